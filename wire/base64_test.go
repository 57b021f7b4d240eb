package wire

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestBase64DecodesEveryAlphabet(t *testing.T) {
	want := "Shell Script Output printed!!\n\xfb\xff"
	for name, in := range map[string]string{
		"std padded":   "U2hlbGwgU2NyaXB0IE91dHB1dCBwcmludGVkISEK+/8=",
		"std unpadded": "U2hlbGwgU2NyaXB0IE91dHB1dCBwcmludGVkISEK+/8",
		"url padded":   "U2hlbGwgU2NyaXB0IE91dHB1dCBwcmludGVkISEK-_8=",
		"url unpadded": "U2hlbGwgU2NyaXB0IE91dHB1dCBwcmludGVkISEK-_8",
		"line-wrapped": "U2hlbGwgU2NyaXB0IE91dHB1\ndCBwcmludGVkISEK+/8=",
	} {
		got, err := RawBase64(in).Text()
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
	}
}

func TestBase64InvalidKeepsRaw(t *testing.T) {
	var v struct {
		Content Base64 `json:"content"`
	}
	// A damaged value must not fail the JSON decode of the whole record.
	if err := json.Unmarshal([]byte(`{"content":"not*base64!"}`), &v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if v.Content.Raw() != "not*base64!" {
		t.Fatalf("raw = %q", v.Content.Raw())
	}
	_, err := v.Content.Decode()
	if !errors.Is(err, ErrInvalidBase64) {
		t.Fatalf("err = %v, want ErrInvalidBase64", err)
	}
	for _, bad := range []string{"a", "ab+_", "####"} {
		if _, err := RawBase64(bad).Decode(); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
}

func TestBase64EncodeRoundTrip(t *testing.T) {
	b := EncodeBase64String("echo hi\n")
	if b.Raw() != "ZWNobyBoaQo=" {
		t.Fatalf("raw = %q", b.Raw())
	}
	out, _ := json.Marshal(b)
	var back Base64
	if err := json.Unmarshal(out, &back); err != nil || back != b {
		t.Fatalf("round trip: %v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`12`), &back); err == nil {
		t.Fatal("a number accepted as base64 text")
	}
}
