package wire

import (
	"encoding/json"
	"testing"
)

func TestIDKeepsItsForm(t *testing.T) {
	for _, in := range []string{`"32533"`, `32533`, `"ddf20f3a-cfd3-6fd4-81d0-53071ad1d389"`, `"1"`, `0`} {
		var id ID
		if err := json.Unmarshal([]byte(in), &id); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != in {
			t.Errorf("%s re-encoded as %s", in, out)
		}
	}
}

func TestIDRejectsOtherJSON(t *testing.T) {
	for _, in := range []string{`1.5`, `true`, `{}`, `[]`, `"unterminated`} {
		var id ID
		if err := json.Unmarshal([]byte(in), &id); err == nil {
			t.Errorf("%s decoded as id %q, want an error", in, id)
		}
	}
}

func TestIDInt64(t *testing.T) {
	if n, err := IDFromString("4677689").Int64(); err != nil || n != 4677689 {
		t.Fatalf("got %d, %v", n, err)
	}
	if _, err := IDFromString("abc").Int64(); err == nil {
		t.Fatal("non-numeric id parsed as integer")
	}
	if IDFromInt(7).Quoted() || !IDFromString("7").Quoted() || IDFromInt(7).String() != "7" {
		t.Fatal("constructors set the wrong form")
	}
}

func TestIDNull(t *testing.T) {
	var v struct {
		ID ID `json:"id"`
	}
	if err := json.Unmarshal([]byte(`{"id":null}`), &v); err != nil || !v.ID.IsZero() {
		t.Fatalf("null id: %v %+v", err, v)
	}
}
