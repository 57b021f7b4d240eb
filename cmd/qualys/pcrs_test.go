package main

import (
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/qualystest"
)

func TestPCRSCommands(t *testing.T) {
	h := newHarness(t)
	d := h.sim.Data()
	policy := itoa(d.Policies[0].ID)
	if recs := lines(t, h.mustRun("platforms")); len(recs) != 14 || recs[0]["gateway"] != "https://gateway.qg1.apps.qualys.com" {
		t.Errorf("platforms: %v", recs)
	}
	if recs := lines(t, h.mustRun("pcrs", "policies", "--limit", "2")); len(recs) != 2 {
		t.Errorf("policies: %v", recs)
	}
	if recs := lines(t, h.mustRun("pcrs", "policies", "--since", "2000-01-01T00:00:00Z")); len(recs) != len(d.Policies) {
		t.Errorf("%d policies since 2000, want %d", len(recs), len(d.Policies))
	}
	recs := lines(t, h.mustRun("pcrs", "hostids", "--policy-id", policy))
	if len(recs) != 1 || recs[0]["policyId"] != policy || len(recs[0]["hostIds"].([]any)) == 0 {
		t.Fatalf("hostids: %v", recs)
	}
	hosts := recs[0]["hostIds"].([]any)
	out := h.mustRun("pcrs", "hostids", "--policy-id", policy, "-o", "table", "--wide")
	if !strings.Contains(out, hosts[0].(string)+","+hosts[1].(string)) {
		t.Errorf("the table drops the host ids:\n%s", out)
	}
	recs = lines(t, h.mustRun("pcrs", "posture", "--policy-id", policy, "--status", "Failed", "--limit", "5"))
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5", len(recs))
	}
	for _, r := range recs {
		if r["status"] != "Failed" {
			t.Errorf("status %v", r["status"])
		}
	}
	recs = lines(t, h.mustRun("pcrs", "posture", "--policy-id", policy, "--criticality", "URGENT,CRITICAL"))
	if len(recs) == 0 {
		t.Fatal("no URGENT or CRITICAL records")
	}
	for _, r := range recs {
		if l := r["criticality"].(map[string]any)["label"]; l != "URGENT" && l != "CRITICAL" {
			t.Errorf("criticality %v", l)
		}
	}
}

// The summary counts every record once by status, and splits the same
// total by criticality.
func TestPostureSummary(t *testing.T) {
	h := newHarness(t)
	policy := itoa(h.sim.Data().Policies[0].ID)
	all := len(lines(t, h.mustRun("pcrs", "posture", "--policy-id", policy)))
	recs := lines(t, h.mustRun("pcrs", "posture", "--policy-id", policy, "--summary", "--top", "3"))
	if len(recs) == 0 || recs[0]["by"] != "all" || int(recs[0]["total"].(float64)) != all {
		t.Fatalf("summary %v, want %d records in all", recs, all)
	}
	first := recs[0]
	if first["passed"].(float64)+first["failed"].(float64)+first["error"].(float64) != first["total"].(float64) {
		t.Errorf("statuses do not add up: %v", first)
	}
	var byCrit float64
	controls := 0
	for _, r := range recs[1:] {
		switch r["by"] {
		case "criticality":
			byCrit += r["total"].(float64)
		case "control":
			controls++
		}
	}
	if int(byCrit) != all || controls != 3 {
		t.Errorf("criticalities add to %v (want %d), %d controls (want 3)", byCrit, all, controls)
	}
	h.width = 80
	out := h.mustRun("pcrs", "posture", "--policy-id", policy, "--summary", "-o", "table")
	checkTable(t, out, 1+6+10, 80)
}

// Progress goes to stderr as lines when stderr is not a terminal, and
// never with --progress never.
func TestPostureProgress(t *testing.T) {
	h := newHarness(t, qualystest.WithHosts(30))
	policy := itoa(h.sim.Data().Policies[0].ID)
	code, _, errOut := h.run("", "pcrs", "posture", "--policy-id", policy, "--progress", "always")
	if code != exitOK || !strings.Contains(errOut, "qualys: posture:") || strings.Contains(errOut, "\r") {
		t.Errorf("exit %d, progress %q", code, errOut)
	}
	code, _, errOut = h.run("", "pcrs", "posture", "--policy-id", policy, "--progress", "never")
	if code != exitOK || errOut != "" {
		t.Errorf("--progress never: exit %d, %q", code, errOut)
	}
}
