package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qualyskit/qualys-go/qualystest"
)

func TestSyncAndReport(t *testing.T) {
	h := newHarness(t)
	db := filepath.Join(t.TempDir(), "posture.sqlite")
	code, out, errOut := h.run("", "pcrs", "sync", "--db", db)
	if code != exitOK {
		t.Fatalf("sync: exit %d: %s", code, errOut)
	}
	first := lines(t, out)
	if len(first) != 1 || first[0]["fullPolicies"] != float64(len(h.sim.Data().Policies)) || first[0]["records"].(float64) == 0 {
		t.Fatalf("first sync: %v", first)
	}
	if _, err := h.sim.Evolve(qualystest.Evolution{At: time.Now().Add(-time.Hour), ChangedHosts: 3, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = h.run("", "pcrs", "sync", "--db", db)
	if code != exitOK {
		t.Fatalf("second sync: exit %d: %s", code, errOut)
	}
	second := lines(t, out)
	if second[0]["incrementalPolicies"] != float64(len(h.sim.Data().Policies)) || second[0]["changes"].(float64) == 0 {
		t.Errorf("second sync: %v, want incremental with changes", second)
	}

	html := filepath.Join(t.TempDir(), "report.html")
	code, out, errOut = h.run("", "pcrs", "report", "--db", db, "--output", "json", "--html", html)
	if code != exitOK {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	var doc []map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("report JSON: %v\n%s", err, out)
	}
	if doc[0]["changeCount"] == nil || doc[0]["policies"] == nil || doc[0]["criticality"] == nil {
		t.Errorf("report JSON lacks a section: %v", doc[0])
	}
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), "<svg") {
		t.Errorf("HTML report: %v", err)
	}
	code, out, _ = h.run("", "pcrs", "report", "--db", db, "--output", "table")
	if code != exitOK || !strings.Contains(out, "PASS RATE") || !strings.Contains(out, "Changes in the latest sync") {
		t.Errorf("table report: exit %d\n%s", code, out)
	}
	// On an 80-column terminal every line fits: the policy titles and
	// control statements are cut, as in every other table.
	h.width = 80
	code, out, _ = h.run("", "pcrs", "report", "--db", db, "--output", "table")
	if code != exitOK || !strings.Contains(out, "STATEMENT") {
		t.Errorf("table report at 80 columns: exit %d\n%s", code, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("report line of %d > 80 columns: %q", n, line)
		}
	}
}

// TestSyncUsageErrors: a wrong command line exits 2 before any request.
func TestSyncUsageErrors(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"pcrs", "sync", "--db", filepath.Join(dir, "a.sqlite"), "--policy-id", "abc"},
		{"pcrs", "sync", "--db", filepath.Join(dir, "a.sqlite"), "--policy-id", "-4"},
		{"pcrs", "sync", "--db", "mysql://x/y"},
		{"pcrs", "sync", "--db", filepath.Join(dir, "a.sqlite"), "--overlap", "-1h"},
		{"pcrs", "sync", "--db", filepath.Join(dir, "a.sqlite"), "--batch-hosts", "0"},
		{"pcrs", "sync", "--db", filepath.Join(dir, "a.sqlite"), "--api-version", "9.0"},
		{"pcrs", "sync", "--db", ":memory:"},
		{"pcrs", "report", "--db", "mysql://x/y"},
	} {
		code, _, errOut := h.run("", args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, errOut)
		}
		if strings.Contains(errOut, "posturestore.") || strings.Contains(errOut, "*") {
			t.Errorf("%v: the message shows Go names: %s", args, errOut)
		}
	}
	if n := h.sim.Count("/auth") + h.sim.Count("getPostureInfoV5"); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
}

func TestSyncUnknownPolicyAndDefaultStore(t *testing.T) {
	h := newHarness(t)
	home := t.TempDir()
	h.env["HOME"] = home
	h.env["XDG_DATA_HOME"] = ""
	code, _, errOut := h.run("", "pcrs", "report")
	if code != exitUsage || !strings.Contains(errOut, "qualys pcrs sync") {
		t.Errorf("report without a store: exit %d: %s", code, errOut)
	}
	code, _, errOut = h.run("", "pcrs", "sync", "--policy-id", "999999")
	if code != exitError || !strings.Contains(errOut, "policy 999999 is not in the subscription") {
		t.Errorf("unknown policy: exit %d: %s", code, errOut)
	}
	id := strconv.FormatInt(h.sim.Data().Policies[0].ID, 10)
	if code, _, errOut = h.run("", "pcrs", "sync", "--policy-id", id); code != exitOK {
		t.Fatalf("sync into the default store: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "qualys", "posture.sqlite")); runtime.GOOS == "linux" && err != nil {
		t.Errorf("the default store is not under the user's data directory: %v", err)
	}
}
