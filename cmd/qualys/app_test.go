package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/qualystest"
)

// harness runs commands in-process against one simulator.
type harness struct {
	t   *testing.T
	sim *qualystest.Server
	env map[string]string
}

func newHarness(t *testing.T) *harness {
	sim := qualystest.NewServer(t)
	return &harness{t: t, sim: sim, env: map[string]string{
		"QUALYS_GATEWAY_URL": sim.URL, "QUALYS_USERNAME": sim.Username(), "QUALYS_PASSWORD": sim.Password(),
	}}
}

// run executes one command line and returns its exit status and output.
func (h *harness) run(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return h.env[k] }, httpClient: h.sim.Client()}
	code = run(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

// lines decodes JSON-lines output.
func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON lines: %q: %v", l, err)
		}
		recs = append(recs, m)
	}
	return recs
}

func TestCommands(t *testing.T) {
	h := newHarness(t)
	data := h.sim.Data()
	policy := strconv.FormatInt(data.Policies[0].ID, 10)
	lib := data.CAR.Library[0]
	job := strconv.FormatInt(data.CAR.Jobs[0].ID, 10)
	tests := []struct {
		args  []string
		check func(t *testing.T, out string)
	}{
		{[]string{"platforms"}, func(t *testing.T, out string) {
			if recs := lines(t, out); len(recs) != 14 || recs[0]["gateway"] != "https://gateway.qg1.apps.qualys.com" {
				t.Errorf("%d platforms, first %v", len(recs), recs[0])
			}
		}},
		{[]string{"car", "scripts", "list", "--page-size", "7"}, func(t *testing.T, out string) {
			if n := len(lines(t, out)); n != len(data.CAR.Scripts) {
				t.Errorf("%d scripts, want every page: %d", n, len(data.CAR.Scripts))
			}
		}},
		{[]string{"car", "library", "list", "--filter", "moduleCode:AUTOR", "--limit", "3"}, func(t *testing.T, out string) {
			if n := len(lines(t, out)); n != 3 {
				t.Errorf("%d records, want 3", n)
			}
		}},
		{[]string{"car", "library", "get", strconv.FormatInt(lib.ID, 10), "--content"}, func(t *testing.T, out string) {
			if out != string(lib.Content) {
				t.Errorf("content %q, want %q", out, lib.Content)
			}
		}},
		{[]string{"car", "library", "import", strconv.FormatInt(lib.ID, 10), "--title", "Imported", "--category", "7", "--approved"}, func(t *testing.T, out string) {
			if recs := lines(t, out); len(recs) != 1 || recs[0]["scriptId"] == nil {
				t.Errorf("import: %s", out)
			}
		}},
		{[]string{"car", "scripts", "run", strconv.FormatInt(data.CAR.Scripts[0].ID, 10), "--asset-ids", strconv.FormatInt(data.Hosts[0].ID, 10)}, func(t *testing.T, out string) {
			if recs := lines(t, out); len(recs) != 1 || recs[0]["correlationUuid"] == "" {
				t.Errorf("run: %s", out)
			}
		}},
		{[]string{"car", "jobs", "list", "--output", "json"}, func(t *testing.T, out string) {
			var recs []any
			if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) < len(data.CAR.Jobs) {
				t.Errorf("json output: %d records, %v", len(recs), err)
			}
		}},
		{[]string{"car", "assetjobs", "list", "--job-id", job, "--results"}, func(t *testing.T, out string) {
			recs := lines(t, out)
			if len(recs) == 0 || !strings.Contains(recs[0]["output"].(string), "\n") {
				t.Errorf("asset jobs with results: %s", out)
			}
		}},
		{[]string{"pcrs", "policies", "--output", "table"}, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "ID ") || !strings.Contains(out, policy) {
				t.Errorf("table: %s", out)
			}
		}},
		{[]string{"pcrs", "hostids", "--policy-id", policy}, func(t *testing.T, out string) {
			if recs := lines(t, out); len(recs) != 1 || recs[0]["policyId"] != policy {
				t.Errorf("hostids: %s", out)
			}
		}},
		{[]string{"pcrs", "posture", "--policy-id", policy, "--status", "Failed", "--limit", "5"}, func(t *testing.T, out string) {
			recs := lines(t, out)
			if len(recs) != 5 {
				t.Fatalf("%d records, want 5", len(recs))
			}
			for _, r := range recs {
				if r["status"] != "Failed" {
					t.Errorf("status %v", r["status"])
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := h.run("", tt.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			tt.check(t, out)
		})
	}
}

func TestExitStatuses(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int
		msg  string
	}{
		{"no command", nil, nil, exitUsage, "no command"},
		{"unknown command", []string{"car", "bogus"}, nil, exitUsage, "unknown command"},
		{"unknown flag", []string{"car", "jobs", "list", "--bogus"}, nil, exitUsage, "bogus"},
		{"missing argument", []string{"car", "library", "get"}, nil, exitUsage, "takes 1 argument"},
		{"bad id", []string{"car", "library", "get", "abc"}, nil, exitUsage, "not an id"},
		{"bad output", []string{"platforms", "--output", "xml"}, nil, exitUsage, "--output"},
		{"missing policy", []string{"pcrs", "hostids"}, nil, exitUsage, "--policy-id"},
		{"bad api version", []string{"pcrs", "posture", "--policy-id", "1", "--api-version", "6.0"}, nil, exitUsage, "api-version"},
		{"no credentials", []string{"car", "jobs", "list"}, map[string]string{"QUALYS_PASSWORD": ""}, exitUsage, "QUALYS_PASSWORD"},
		{"unknown platform", []string{"car", "jobs", "list", "--platform", "US9"}, map[string]string{"QUALYS_GATEWAY_URL": ""}, exitUsage, "US9"},
		{"wrong password", []string{"car", "jobs", "list"}, map[string]string{"QUALYS_PASSWORD": "wrong-secret-value"}, exitError, "401"},
		{"unknown library script", []string{"car", "library", "get", "1"}, nil, exitError, "404"},
		{"help", []string{"help"}, nil, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := h.env
			h.env = map[string]string{}
			for k, v := range saved {
				h.env[k] = v
			}
			for k, v := range tt.env {
				h.env[k] = v
			}
			defer func() { h.env = saved }()
			code, _, errOut := h.run("", tt.args...)
			if code != tt.want || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tt.want, errOut, tt.msg)
			}
			if strings.Contains(errOut, "wrong-secret-value") || strings.Contains(errOut, h.sim.Password()) {
				t.Errorf("stderr shows a password: %s", errOut)
			}
		})
	}
}

func TestPasswordFromStdin(t *testing.T) {
	h := newHarness(t)
	h.env["QUALYS_PASSWORD"] = ""
	code, out, errOut := h.run(h.sim.Password()+"\n", "car", "jobs", "list", "--limit", "1", "--password-stdin")
	if code != exitOK || len(lines(t, out)) != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, out, errOut = h.run("not-the-password\n", "car", "jobs", "list", "--password-stdin")
	if code != exitError || strings.Contains(out+errOut, "not-the-password") {
		t.Errorf("wrong password from stdin: exit %d, output %q %q", code, out, errOut)
	}
}
