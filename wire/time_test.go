package wire

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeKeepsItsForm(t *testing.T) {
	for _, in := range []string{`"2024-10-04T09:47:33Z"`, `"2024-10-04T09:47:33.120Z"`, `"2024-10-04T11:47:33+02:00"`, `""`, `null`} {
		var v Time
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, _ := json.Marshal(v)
		if string(out) != in {
			t.Errorf("%s re-encoded as %s", in, out)
		}
	}
}

func TestTimeUnsetForms(t *testing.T) {
	var v struct {
		A, B, C Time
	}
	if err := json.Unmarshal([]byte(`{"A":"","B":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if !v.A.IsZero() || !v.B.IsZero() || !v.C.IsZero() || !v.A.Time().IsZero() {
		t.Fatalf("unset times: %+v", v)
	}
}

func TestTimeValue(t *testing.T) {
	var v Time
	if err := json.Unmarshal([]byte(`"2024-10-04T11:47:33+02:00"`), &v); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 10, 4, 9, 47, 33, 0, time.UTC)
	if !v.Time().Equal(want) {
		t.Fatalf("got %v, want %v", v.Time(), want)
	}
	if b, _ := json.Marshal(TimeOf(want)); string(b) != `"2024-10-04T09:47:33Z"` {
		t.Fatalf("TimeOf encodes as %s", b)
	}
}

func TestTimeRejects(t *testing.T) {
	for _, in := range []string{`"yesterday"`, `1728035253000`, `"2024-13-04T09:47:33Z"`, `true`, `{}`} {
		var v Time
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("%s decoded as %v, want an error", in, v)
		}
	}
}
