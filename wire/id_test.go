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

func TestIDSameIDInEitherForm(t *testing.T) {
	var quoted, number ID
	if err := json.Unmarshal([]byte(`"4677689"`), &quoted); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`4677689`), &number); err != nil {
		t.Fatal(err)
	}
	if !quoted.Equal(number) || quoted.String() != "4677689" || number.String() != "4677689" {
		t.Fatalf("%v and %v should be the same id", quoted, number)
	}
	if quoted.Equal(NewID(4677688)) || quoted.Equal(ID{}) {
		t.Fatal("different ids compared equal")
	}
	if b, _ := json.Marshal(number.AsString()); string(b) != `"4677689"` {
		t.Fatalf("AsString encodes as %s", b)
	}
	if b, _ := json.Marshal(quoted.AsNumber()); string(b) != `4677689` {
		t.Fatalf("AsNumber encodes as %s", b)
	}
	uuid := IDFromString("ddf20f3a-cfd3-6fd4-81d0-53071ad1d389")
	if b, _ := json.Marshal(uuid.AsNumber()); string(b) != `"ddf20f3a-cfd3-6fd4-81d0-53071ad1d389"` {
		t.Fatalf("a UUID id must stay text, got %s", b)
	}
}

func TestIDEmptyTextIsUnset(t *testing.T) {
	var id ID
	if err := json.Unmarshal([]byte(`""`), &id); err != nil || !id.IsZero() || id.String() != "" {
		t.Fatalf(`"" gave %#v, %v`, id, err)
	}
	if b, _ := json.Marshal(id); string(b) != `""` {
		t.Fatalf(`"" re-encoded as %s`, b)
	}
}

func TestParseID(t *testing.T) {
	for _, in := range []string{"1039", "0", "ddf20f3a-cfd3-6fd4-81d0-53071ad1d389"} {
		id, err := ParseID(in)
		if err != nil || id.String() != in {
			t.Errorf("ParseID(%q) = %v, %v", in, id, err)
		}
	}
	for _, in := range []string{"", "-1", "12a", "1.5", "abc", "01"} {
		if id, err := ParseID(in); err == nil {
			t.Errorf("ParseID(%q) = %v, want an error", in, id)
		}
	}
}
