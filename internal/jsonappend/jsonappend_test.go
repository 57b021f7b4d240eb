package jsonappend

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"testing"
)

func TestStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x1f control", "é ü 中文 🎉", "bad \xff utf-8", "Politique de sécurité — serveurs"} {
		got := String(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, got, err)
		}
		want, _ := json.Marshal(s) // encoding/json also turns bad UTF-8 into U+FFFD
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q: decodes to %q, want %q", s, back, wantBack)
		}
	}
}

func TestUUIDShapeAndSeed(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	a := string(UUID(nil, rand.New(rand.NewPCG(1, 2))))
	b := string(UUID(nil, rand.New(rand.NewPCG(1, 2))))
	c := string(UUID(nil, rand.New(rand.NewPCG(1, 3))))
	if !shape.MatchString(a) || a != b || a == c {
		t.Errorf("%s %s %s: want UUID-shaped, equal for one seed, different across seeds", a, b, c)
	}
}
