package wire

import (
	"encoding/json"
	"testing"
)

func TestDecimalKeepsItsForm(t *testing.T) {
	for _, in := range []string{`"2.98"`, `2.98`, `27`, `"0"`} {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, _ := json.Marshal(d)
		if string(out) != in {
			t.Errorf("%s re-encoded as %s", in, out)
		}
	}
	var d Decimal
	_ = json.Unmarshal([]byte(`"2.98"`), &d)
	if f, err := d.Float64(); err != nil || f != 2.98 {
		t.Fatalf("Float64 = %v, %v", f, err)
	}
}

func TestDecimalRejects(t *testing.T) {
	for _, in := range []string{`true`, `{}`, `[1]`} {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
	var d Decimal
	_ = json.Unmarshal([]byte(`"n/a"`), &d)
	if _, err := d.Float64(); err == nil {
		t.Error(`"n/a" parsed as a number`)
	}
}
