package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/internal/syncbuf"
	"github.com/qualyskit/qualys-go/qualystest"
)

func TestProxyUsageErrors(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.jsonl")
	h := newHarness(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy", "--report", report}, "--upstream"},
		{[]string{"proxy", "--upstream", h.sim.URL}, "--report"},
		{[]string{"proxy", "--upstream", h.sim.URL, "--report", report, "--listen", "0.0.0.0:0"}, "--allow-remote"},
		{[]string{"proxy", "--upstream", h.sim.URL, "--report", report, "--listen", "nonsense"}, "host:port"},
		{[]string{"proxy", "--upstream", "http://gateway.example.com", "--report", report}, "https"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:4010", "--report", report}, "--plain-http"},
		{[]string{"proxy", "--upstream", "https://user:hunter2@gateway.example.com", "--report", report}, "user name or password"},
	} {
		code, _, stderr := h.run("", c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", c.args, code, stderr, c.want)
		}
		if strings.Contains(stderr, "hunter2") || strings.Contains(stderr, "specproxy") {
			t.Errorf("%v: stderr %q repeats a password or names Go code", c.args, stderr)
		}
	}
	if _, err := os.Stat(report); err == nil {
		t.Errorf("a usage error still created the report file")
	}
	if n := len(h.sim.Counts()); n != 0 {
		t.Errorf("usage errors sent requests: %v", h.sim.Counts())
	}
}

// TestProxyCommand runs the proxy command in front of the simulator, runs
// CLI commands through it, and stops it as Ctrl-C does: clean traffic
// leaves the report empty, a drifted answer adds its findings.
func TestProxyCommand(t *testing.T) {
	h := newHarness(t)
	report := filepath.Join(t.TempDir(), "report.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		e := h.commandEnv(strings.NewReader(""), pw, &stderr)
		e.getenv = func(string) string { return "" } // the upstream comes from the flag alone
		done <- run(ctx, e, []string{"proxy", "--upstream", h.sim.URL, "--listen", "127.0.0.1:0", "--report", report, "--strict"})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v", err)
	}
	go io.Copy(io.Discard, pr)
	var info struct{ ProxyURL, Report string }
	if err := json.Unmarshal([]byte(line), &info); err != nil || info.Report != report || !strings.HasPrefix(info.ProxyURL, "http://127.0.0.1:") {
		t.Fatalf("printed %q: %v", line, err)
	}
	h.env["QUALYS_GATEWAY_URL"] = info.ProxyURL
	if code, out, errOut := h.run("", "car", "library", "list", "--limit", "3"); code != exitOK || len(lines(t, out)) != 3 {
		t.Fatalf("library list through the proxy: exit %d, %q %q", code, out, errOut)
	}
	h.sim.Drift("searchJobs", qualystest.UnknownEnum("/body/list/0/platform", "BEOS"))
	if code, _, errOut := h.run("", "car", "jobs", "list", "--limit", "1"); code != exitOK {
		t.Fatalf("jobs list through the proxy: exit %d, %q", code, errOut)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d; stderr %s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the proxy did not stop within 20 s of Ctrl-C")
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var findings []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("report line %q: %v", l, err)
		}
		findings = append(findings, m)
	}
	if len(findings) != 1 || findings[0]["pointer"] != "/body/list/0/platform" || findings[0]["rule"] != "enum" {
		t.Errorf("report %s, want one enum finding at /body/list/0/platform", raw)
	}
	log := stderr.String()
	if !strings.Contains(log, "export QUALYS_GATEWAY_URL="+info.ProxyURL) || !strings.Contains(log, "searchLibraryScripts") {
		t.Errorf("stderr lacks the address or the exchange log:\n%s", log)
	}
	if strings.Contains(log, h.sim.Password()) || strings.Contains(string(raw), h.sim.Password()) {
		t.Errorf("the password reached the log or the report")
	}
}
