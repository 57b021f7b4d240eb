package wire

import (
	"encoding/json"
	"testing"
)

func TestCountKeepsItsForm(t *testing.T) {
	for _, in := range []string{`2`, `"2"`, `null`, `0`, `"0"`} {
		var c Count
		if err := json.Unmarshal([]byte(in), &c); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, _ := json.Marshal(c)
		if string(out) != in {
			t.Errorf("%s re-encoded as %s", in, out)
		}
	}
}

func TestCountValue(t *testing.T) {
	var v struct{ TotalCount Count }
	if err := json.Unmarshal([]byte(`{"TotalCount":"2"}`), &v); err != nil || v.TotalCount.Int64() != 2 {
		t.Fatalf("quoted count: %+v, %v", v, err)
	}
	for _, in := range []string{`"two"`, `1.5`, `true`, `"1e3"`, `[]`} {
		var c Count
		if err := json.Unmarshal([]byte(in), &c); err == nil {
			t.Errorf("%s decoded as %v, want an error", in, c)
		}
	}
}
