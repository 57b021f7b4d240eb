package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzBase64: encoded bytes decode back in every alphabet and padding
// Qualys may send; arbitrary text either decodes or fails with
// ErrInvalidBase64; JSON decoding never fails on the text itself and
// re-encodes it unchanged.
func FuzzBase64(f *testing.F) {
	f.Add([]byte("Shell Script Output printed!!\n"), "U2hlbGwgU2NyaXB0IE91dHB1dCBwcmludGVkISEK")
	f.Add([]byte{0xff, 0xfe, 0x00}, "not*base64")
	f.Add([]byte{}, "PCMKQ0lEOiAxMDkx\nCiM+Cg==")
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			got, err := RawBase64(enc.EncodeToString(data)).Decode()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("round trip of %x: %x, %v", data, got, err)
			}
		}
		if _, err := RawBase64(text).Decode(); err != nil && !errors.Is(err, ErrInvalidBase64) {
			t.Fatalf("%q: %v does not wrap ErrInvalidBase64", text, err)
		}
		js, _ := json.Marshal(text)
		var b Base64
		if err := json.Unmarshal(js, &b); err != nil {
			t.Fatalf("JSON string %s rejected: %v", js, err)
		}
		out, _ := json.Marshal(b)
		var want, got string
		json.Unmarshal(js, &want)
		if err := json.Unmarshal(out, &got); err != nil || got != want || b.Raw() != want {
			t.Fatalf("re-encoded %s as %s", js, out)
		}
	})
}
