package qualystest

import (
	"errors"
	"testing"
)

type filterRec struct {
	id, lang, name string
}

var filterFields = map[string]filterField[filterRec]{
	"job.id":             {get: func(r filterRec) []string { return []string{r.id} }},
	"job.scriptLanguage": {get: func(r filterRec) []string { return []string{r.lang} }},
	"script.name":        {text: true, get: func(r filterRec) []string { return []string{r.name} }},
}

func TestFilter(t *testing.T) {
	t.Parallel()
	recs := []filterRec{
		{"29429", "PowerShell-Script", "Script test for subscribed modules"},
		{"29429", "Shell", "Collect logs"},
		{"100", "PowerShell-Script", "Reboot"},
		{"7", "Shell", "Check disk (Shell) 3"},
	}
	cases := map[string][]int{
		"":                         {0, 1, 2, 3},
		"job.id:29429":             {0, 1},
		"job.id: 29429":            {0, 1},
		`job.id:"29429"`:           {0, 1},
		"job.scriptLanguage:shell": {1, 3},
		"job.id:29429 AND (job.scriptLanguage:PowerShell-Script)": {0},
		"job.id:29429 and job.scriptLanguage:Shell":               {1},
		"job.id:100 OR job.scriptLanguage:Shell":                  {1, 2, 3},
		"(job.id:100 OR job.id:29429) AND script.name:test":       {0},
		"script.name:Script test for subscribed modules":          {0},
		`script.name:"test for" AND job.id:29429`:                 {0},
		"Job.Id:100":                       {2},
		"script.name:Check disk (Shell) 3": {3},
		"(job.id:7 AND script.name:disk (Shell)) OR job.id:100": {2, 3},
		"job.id:7 AND (script.name:(Shell))":                    {3},
	}
	for src, want := range cases {
		e, err := parseFilter(src, filterFields)
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		var got []int
		for i, r := range recs {
			if e == nil || e.match(r) {
				got = append(got, i)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%q matched %v, want %v", src, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%q matched %v, want %v", src, got, want)
				break
			}
		}
	}
}

func TestFilterErrors(t *testing.T) {
	t.Parallel()
	for src, unknown := range map[string]string{
		"status:PASSED":        "status",
		"job.id:1 AND bogus:2": "bogus",
		"job.id":               "",
		"(job.id:1":            "",
		`script.name:"open`:    "",
		"job.id:":              "",
		"(job.id:1))":          "",
	} {
		_, err := parseFilter(src, filterFields)
		var fe *filterError
		if !errors.As(err, &fe) {
			t.Errorf("%q: error %v, want a filter error", src, err)
			continue
		}
		if fe.unknown != unknown {
			t.Errorf("%q: unknown field %q, want %q", src, fe.unknown, unknown)
		}
	}
}
