package wire

import (
	"encoding/json"
	"testing"
)

func TestFlag(t *testing.T) {
	cases := []struct {
		in   string
		want bool
		out  string
	}{
		{`true`, true, `true`},
		{`false`, false, `false`},
		{`"true"`, true, `"true"`},
		{`"False"`, false, `"false"`},
	}
	for _, c := range cases {
		var f Flag
		if err := json.Unmarshal([]byte(c.in), &f); err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if f.Bool() != c.want {
			t.Errorf("%s = %v", c.in, f.Bool())
		}
		out, _ := json.Marshal(f)
		if string(out) != c.out {
			t.Errorf("%s re-encoded as %s", c.in, out)
		}
	}
	if out, _ := json.Marshal(FlagOf(true)); string(out) != "true" {
		t.Errorf("FlagOf(true) = %s", out)
	}
	for _, bad := range []string{`1`, `"yes"`, `""`, `{}`} {
		var f Flag
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("%s accepted as a flag", bad)
		}
	}
}
