package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// Each retry the SDK reports is one line in the tool's words.
func TestNoticesSayRetriesAndWaits(t *testing.T) {
	var errOut bytes.Buffer
	f := &factory{env: &env{stderr: &errOut}}
	n := f.noticeSink()
	for _, r := range []qualys.Retry{
		{Operation: "POST /sm/v1/jobs/search", Attempt: 1, Reason: "connection error", Wait: 1240 * time.Millisecond},
		{Operation: "GET /pcrs/1.0/posture/hostids", Attempt: 2, Reason: "HTTP 429", Wait: 7 * time.Second, Throttled: true},
		{Operation: "GET /sm/v1/script-types", Attempt: 1, Reason: "HTTP 401: fetching a new token"},
	} {
		n.retry(r)
	}
	want := "qualys: POST /sm/v1/jobs/search: connection error; trying again in 1.2s\n" +
		"qualys: GET /pcrs/1.0/posture/hostids: waiting 7s on the rate limit\n" +
		"qualys: GET /sm/v1/script-types: HTTP 401: fetching a new token; trying again\n"
	if errOut.String() != want {
		t.Errorf("notices:\n%s\nwant:\n%s", errOut.String(), want)
	}
}

// While a bar is drawn, a notice clears it first rather than landing on
// the bar's line.
func TestNoticesClearTheBar(t *testing.T) {
	var term bytes.Buffer
	f := &factory{env: &env{stderr: &term, stderrTerminal: true}, globals: globals{progress: "always"}}
	p, err := f.newProgress()
	if err != nil {
		t.Fatal(err)
	}
	p.last = time.Time{} // a terminal redraws every 100ms: draw now
	p.update(1, 4, "script 7: 1 done, 3 running")
	f.noticeSink().retry(qualys.Retry{Operation: "POST /sm/v1/assetjobs/search", Reason: "HTTP 503", Wait: time.Second})
	if !strings.Contains(term.String(), "running (0s)\r\033[Kqualys: POST /sm/v1/assetjobs/search: HTTP 503; trying again in 1s\n") {
		t.Errorf("terminal: %q", term.String())
	}
}
