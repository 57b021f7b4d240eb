package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
)

func TestCARCommands(t *testing.T) {
	h := newHarness(t)
	d := h.sim.Data()
	lib := d.CAR.Library[0]
	job := d.CAR.Jobs[0]
	script := d.CAR.Scripts[0]
	tests := []struct {
		args  []string
		check func(t *testing.T, recs []map[string]any, out string)
	}{
		{[]string{"car", "scripts", "list", "--page-size", "7"}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != len(d.CAR.Scripts) {
				t.Errorf("%d scripts, want every page: %d", len(recs), len(d.CAR.Scripts))
			}
		}},
		{[]string{"car", "scripts", "get", itoa(script.ID)}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != 1 || recs[0]["id"] != itoa(script.ID) || recs[0]["title"] != script.Title {
				t.Errorf("get: %v", recs)
			}
		}},
		{[]string{"car", "library", "list", "--filter", "moduleCode:AUTOR", "--limit", "3"}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != 3 {
				t.Errorf("%d records, want 3", len(recs))
			}
		}},
		{[]string{"car", "library", "list", "--limit", "1", "--content"}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != 1 || recs[0]["content"] == "" || recs[0]["content"] == nil {
				t.Errorf("no decoded content: %v", recs)
			}
		}},
		{[]string{"car", "library", "get", itoa(lib.ID), "--content"}, nil},
		{[]string{"car", "library", "import", itoa(lib.ID), "--title", "Imported", "--category", "7", "--approved"}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != 1 || recs[0]["scriptId"] == nil {
				t.Errorf("import: %v", recs)
			}
		}},
		{[]string{"car", "jobs", "list", "--limit", "2"}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != 2 {
				t.Errorf("%d jobs", len(recs))
			}
		}},
		{[]string{"car", "jobs", "get", itoa(job.ID)}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != 1 || recs[0]["id"] != itoa(job.ID) {
				t.Errorf("jobs get: %v", recs)
			}
		}},
		{[]string{"car", "assetjobs", "list", "--job-id", itoa(job.ID), "--results"}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) == 0 || !strings.HasSuffix(recs[0]["scriptOutput"].(string), "\n") {
				t.Errorf("asset jobs with results: %v", recs)
			}
		}},
		{[]string{"car", "schedules", "list"}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != len(d.CAR.Schedules) {
				t.Errorf("%d schedules, want %d", len(recs), len(d.CAR.Schedules))
			}
		}},
		{[]string{"car", "tags", "list", "--limit", "3"}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != 3 || recs[0]["tagUuid"] == nil {
				t.Errorf("tags: %v", recs)
			}
		}},
		{[]string{"car", "blocked-commands", "get", itoa(d.CAR.BlockedCommands[0].LanguageID)}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) == 0 || recs[0]["commands"] == nil {
				t.Errorf("blocked commands: %v", recs)
			}
		}},
		{[]string{"car", "blocked-commands", "create", "--language-id", itoa(d.CAR.BlockedCommands[0].LanguageID), "--commands", "Format-Volume,Clear-Disk"}, func(t *testing.T, recs []map[string]any, _ string) {
			if len(recs) != 1 || recs[0]["id"] == nil {
				t.Errorf("create: %v", recs)
			}
		}},
		{[]string{"car", "blocked-commands", "update", "--language-id", itoa(d.CAR.BlockedCommands[0].LanguageID), "--commands", "Format-Volume"}, nil},
		{[]string{"car", "blocked-commands", "update", "--language-id", itoa(d.CAR.BlockedCommands[0].LanguageID), "--command-id", itoa(d.CAR.BlockedCommands[0].CommandID), "--commands", "Stop-Computer"}, nil},
		{[]string{"car", "blocked-commands", "delete", "--command-ids", itoa(d.CAR.BlockedCommands[0].CommandID)}, nil},
		{[]string{"car", "assets", "block", itoa(d.Hosts[0].ID)}, nil},
		{[]string{"car", "assets", "unblock", itoa(d.Hosts[0].ID)}, nil},
		{[]string{"car", "tags", "block", itoa(d.Tags[0].ID)}, nil},
		{[]string{"car", "tags", "unblock", itoa(d.Tags[0].ID)}, nil},
		{[]string{"car", "lab-assets", "delete", itoa(d.CAR.LabAssetIDs[0])}, func(t *testing.T, recs []map[string]any, _ string) {
			if !slices.Contains(d.CAR.LabAssetIDs, d.CAR.LabAssetIDs[0]) || slices.Contains(h.sim.Data().CAR.LabAssetIDs, d.CAR.LabAssetIDs[0]) {
				t.Errorf("the lab asset is still there: %v", recs)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:3], " "), func(t *testing.T) {
			out := h.mustRun(tt.args...)
			if tt.check == nil {
				if out == "" {
					t.Error("no output")
				}
				return
			}
			if slices.Contains(tt.args, "--content") && tt.args[2] == "get" {
				return
			}
			tt.check(t, lines(t, out), out)
		})
	}
	if got := h.mustRun("car", "library", "get", itoa(lib.ID), "--content"); got != string(lib.Content) {
		t.Errorf("library content %q, want %q", got, lib.Content)
	}
	if after := h.sim.Data().CAR; len(after.BlockedAssetIDs) != len(d.CAR.BlockedAssetIDs) || slices.Contains(after.BlockedTagIDs, d.Tags[0].ID) {
		t.Errorf("block then unblock left %v and %v", after.BlockedAssetIDs, after.BlockedTagIDs)
	}
}

// Ids CAR rejects inside its 200 fail the command.
func TestBatchRejections(t *testing.T) {
	h := newHarness(t)
	code, out, errOut := h.run("", "car", "assets", "unblock", "1", "2")
	if code != exitError || !strings.Contains(errOut, "rejected 1,2") || out == "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestScriptsCreateAndUpdateFromFiles(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	body := write("body.yaml", "title: Collect logs\ntypeId: 1\nlanguageId: 6\nplatform: LINUX\ncategoryId: 7\n")
	script := write("collect.sh", "#!/bin/sh\necho \"collected\"\n")
	out := h.mustRun("car", "scripts", "create", "--file", body, "--content-file", script)
	recs := lines(t, out)
	if len(recs) != 1 || recs[0]["id"] == nil {
		t.Fatalf("create: %s", out)
	}
	id := strconv.FormatFloat(recs[0]["id"].(float64), 'f', -1, 64)
	got := lines(t, h.mustRun("car", "scripts", "get", id))
	if len(got) != 1 || got[0]["title"] != "Collect logs" {
		t.Errorf("created script: %v", got)
	}
	update := write("update.json", `{"comment":"louder"}`)
	h.mustRun("car", "scripts", "update", id, "--file", update, "--content-file", script)

	before := h.requests()
	for name, text := range map[string]string{
		"unknown field": "title: x\ntypeId: 1\nlanguageId: 6\ntitel: y\n",
		"wrong type":    "title: x\ntypeId: one\nlanguageId: 6\n",
		"bad platform":  "title: x\ntypeId: 1\nlanguageId: 6\nplatform: AMIGA\n",
		"missing title": "typeId: 1\nlanguageId: 6\n",
		"not yaml":      "title: [x\n",
	} {
		code, _, errOut := h.run("", "car", "scripts", "create", "--file", write("bad.yaml", text), "--content-file", script)
		if code != exitUsage || !strings.Contains(errOut, "bad.yaml") {
			t.Errorf("%s: exit %d, %q", name, code, errOut)
		}
	}
	if code, _, errOut := h.run("", "car", "scripts", "create", "--file", body); code != exitUsage || !strings.Contains(errOut, "content") {
		t.Errorf("no content: exit %d, %q", code, errOut)
	}
	if n := h.requests() - before; n != 0 {
		t.Errorf("%d requests for bad bodies", n)
	}
}

// A run whose polls slow down for the CAR rate limit says so on its
// progress line, from what the SDK reports after each poll.
func TestScriptsRunSaysTheRateLimitWait(t *testing.T) {
	// 8 CAR calls an hour: a few polls in, the rest of the hour is spread
	// over the calls left, minutes apart.
	h := newHarness(t, qualystest.WithRateLimit(8, time.Hour))
	d := h.sim.Data()
	var free qualystest.Host
	for _, hst := range d.Hosts {
		if !slices.Contains(d.CAR.BlockedAssetIDs, hst.ID) && !slices.ContainsFunc(hst.TagIDs, func(id int64) bool { return slices.Contains(d.CAR.BlockedTagIDs, id) }) {
			free = hst
			break
		}
	}
	// A blocked asset never gets an asset job: the run polls on until the
	// asset set settles, long enough to reach the limit.
	blocked := d.CAR.BlockedAssetIDs[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The wait is minutes long: once it is said, the test has seen enough.
	errOut := &watchWriter{want: "on the CAR rate limit", seen: cancel}
	var out bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: errOut, getenv: func(k string) string { return h.env[k] },
		httpClient: h.sim.Client(), configDir: h.configDir, width: func() int { return 0 }}
	code := run(ctx, e, []string{"car", "scripts", "run", itoa(d.CAR.Scripts[0].ID), "--asset-ids", itoa(free.ID) + "," + itoa(blocked),
		"--wait", "--poll-interval", "1ms", "--max-poll-interval", "5ms", "--progress", "always"})
	text := errOut.String()
	if code != exitError || !regexp.MustCompile(`qualys: script \d+: 1 done, 0 running; waiting (\d+h)?\d+m\d+s on the CAR rate limit \(\d+s\)\n`).MatchString(text) {
		t.Errorf("exit %d, stderr %q", code, text)
	}
	if n := h.sim.Count("executeScript"); n != 1 {
		t.Errorf("%d executions", n)
	}
}

// watchWriter collects what a command writes and calls seen once the
// text holds want.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen func()
}

func (w *watchWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(b)
	if strings.Contains(w.buf.String(), w.want) {
		w.seen()
	}
	return n, err
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// The run of a script waits for every asset and shows its output and the
// assets CAR did not run it on.
func TestScriptsRunWait(t *testing.T) {
	h := newHarness(t)
	d := h.sim.Data()
	var free qualystest.Host
	for _, hst := range d.Hosts {
		if !slices.Contains(d.CAR.BlockedAssetIDs, hst.ID) && !slices.ContainsFunc(hst.TagIDs, func(id int64) bool { return slices.Contains(d.CAR.BlockedTagIDs, id) }) {
			free = hst
			break
		}
	}
	blocked := d.CAR.BlockedAssetIDs[0]
	code, out, errOut := h.run("", "car", "scripts", "run", itoa(d.CAR.Scripts[0].ID), "--asset-ids", itoa(free.ID)+","+itoa(blocked),
		"--wait", "--poll-interval", "1ms", "--max-poll-interval", "5ms", "--progress", "always")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "qualys: script "+itoa(d.CAR.Scripts[0].ID)+": 1 done, 0 running") {
		t.Errorf("no progress lines: %q", errOut)
	}
	recs := lines(t, out)
	if len(recs) != 2 || recs[0]["status"] != "EXECUTION PASSED" || !strings.Contains(recs[0]["output"].(string), "printed") ||
		recs[1]["status"] != "SKIPPED" || !strings.Contains(recs[1]["reason"].(string), "blocked") {
		t.Errorf("runs: %s", out)
	}
	if !strings.Contains(errOut, "2 asset(s): 1 passed, 0 failed, 1 skipped") {
		t.Errorf("no summary on stderr: %q", errOut)
	}
	if n := h.sim.Count("executeScript"); n != 1 {
		t.Errorf("%d executions", n)
	}
	// --exit-status: a skipped asset fails the command, after its rows.
	code, out, errOut = h.run("", "car", "scripts", "run", itoa(d.CAR.Scripts[0].ID), "--asset-ids", itoa(free.ID)+","+itoa(blocked),
		"--wait", "--poll-interval", "1ms", "--max-poll-interval", "5ms", "--exit-status")
	if code != exitError || len(lines(t, out)) != 2 || !strings.Contains(errOut, "0 asset(s) failed and 1 did not run") {
		t.Errorf("--exit-status: exit %d, %s, %q", code, out, errOut)
	}
	// CAR never lists the job: the wait ends at --max-wait, saying so.
	empty := `{"errorCode":null,"message":null,"body":{"totalCount":0,"list":[]}}`
	h.sim.Fail("searchJobs", qualystest.Repeat(1000, qualystest.Status(200, empty))...)
	code, _, errOut = h.run("", "car", "scripts", "run", itoa(d.CAR.Scripts[0].ID), "--asset-ids", itoa(free.ID),
		"--wait", "--poll-interval", "1ms", "--max-poll-interval", "5ms", "--max-wait", "100ms")
	// (What it was waiting for depends on how far 100ms got on a busy
	// machine: the job, or an answer.)
	if code != exitError || !strings.Contains(errOut, "stopped waiting after --max-wait 100ms; the run goes on in CAR") ||
		strings.Contains(errOut, "context") {
		t.Errorf("--max-wait: exit %d, %q", code, errOut)
	}
	h.sim.ClearFaults()
	// Without --wait: the correlation UUID and how to follow it.
	code, out, errOut = h.run("", "car", "scripts", "run", itoa(d.CAR.Scripts[0].ID), "--asset-ids", itoa(free.ID))
	if recs := lines(t, out); code != exitOK || len(recs) != 1 || recs[0]["correlationUuid"] == "" || !strings.Contains(errOut, "--wait") {
		t.Errorf("run: exit %d, %s, %s", code, out, errOut)
	}
}

// A test run on a lab tag looks the tag's UUID up and runs on its lab
// assets only.
func TestScriptsRunTestMode(t *testing.T) {
	h := newHarness(t)
	d := h.sim.Data()
	var lab qualystest.Tag
	for _, tag := range d.Tags {
		if tag.Lab {
			lab = tag
			break
		}
	}
	out := h.mustRun("car", "scripts", "run", itoa(d.CAR.Scripts[0].ID), "--test", "--tag-ids", itoa(lab.ID), "--wait",
		"--poll-interval", "1ms", "--max-poll-interval", "5ms")
	recs := lines(t, out)
	if len(recs) == 0 {
		t.Fatal("no asset ran")
	}
	for _, r := range recs {
		id, _ := parseID("asset", r["assetId"].(string))
		if !slices.Contains(d.CAR.LabAssetIDs, id) || r["status"] == "SKIPPED" {
			t.Errorf("ran on %v, not a lab asset of the tag", r)
		}
	}
	code, _, errOut := h.run("", "car", "scripts", "run", itoa(d.CAR.Scripts[0].ID), "--test", "--tag-ids", "999", "--wait")
	if code != exitError || !strings.Contains(errOut, "tag 999") || h.sim.Count("executeScript") != 1 {
		t.Errorf("unknown lab tag: exit %d, %q", code, errOut)
	}
	// A lab asset named with its agent UUID.
	var labHost qualystest.Host
	for _, hst := range d.Hosts {
		if slices.Contains(d.CAR.LabAssetIDs, hst.ID) && !slices.Contains(d.CAR.BlockedAssetIDs, hst.ID) &&
			!slices.ContainsFunc(hst.TagIDs, func(id int64) bool { return slices.Contains(d.CAR.BlockedTagIDs, id) }) {
			labHost = hst
			break
		}
	}
	recs = lines(t, h.mustRun("car", "scripts", "run", itoa(d.CAR.Scripts[0].ID), "--test", "--asset-ids", itoa(labHost.ID)+":"+labHost.AgentUUID,
		"--wait", "--poll-interval", "1ms", "--max-poll-interval", "5ms"))
	if len(recs) != 1 || recs[0]["assetId"] != itoa(labHost.ID) || recs[0]["status"] != "EXECUTION PASSED" {
		t.Errorf("lab asset run: %v", recs)
	}
}

// Run functions take their options struct and can be called without the
// command line.
func TestRunFunctionsDirectly(t *testing.T) {
	h := newHarness(t)
	d := h.sim.Data()
	var out bytes.Buffer
	f := h.factory(&out)
	if err := scriptsListRun(t.Context(), &scriptsListOptions{f: f, list: listFlags{pageSize: 3, limit: 4}}); err != nil {
		t.Fatal(err)
	}
	if n := len(lines(t, out.String())); n != 4 {
		t.Errorf("%d scripts, want 4", n)
	}
	out.Reset()
	err := scriptsRunRun(t.Context(), &scriptsRunOptions{f: f, id: itoa(d.CAR.Scripts[0].ID), assets: []string{itoa(d.CAR.BlockedAssetIDs[0])},
		wait: true, pollMin: time.Millisecond, pollMax: 2 * time.Millisecond, maxWait: time.Minute})
	if recs := lines(t, out.String()); err != nil || len(recs) != 1 || recs[0]["status"] != "SKIPPED" {
		t.Errorf("run on a blocked asset: %v, %s", err, out.String())
	}
	// Bad options are usage errors before any request.
	before := h.requests()
	err = postureRun(t.Context(), &postureOptions{f: f, policyOptions: policyOptions{policies: []string{"1"}}, status: []string{"Bad"}, version: "5.0"})
	var ue *usageError
	if !errors.As(err, &ue) || h.requests() != before {
		t.Errorf("bad status: %v", err)
	}
}

func TestSchedulesUpdateFromFile(t *testing.T) {
	h := newHarness(t)
	d := h.sim.Data()
	id := d.CAR.Schedules[0].ID
	body := filepath.Join(t.TempDir(), "schedule.yaml")
	text := "title: Weekly cleanup\nscheduleType: RECURRING\nstartDate: 1767225600000\nstartTime: 1767258000000\nscripts:\n  - id: " +
		itoa(d.CAR.Scripts[0].ID) + "\n    title: cleanup\n"
	if err := os.WriteFile(body, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	h.mustRun("car", "schedules", "update", id, "--file", body)
	var got string
	for _, sc := range h.sim.Data().CAR.Schedules {
		if sc.ID == id {
			got = sc.Title + " " + sc.ScheduleType
		}
	}
	if got != "Weekly cleanup RECURRING" {
		t.Errorf("schedule after update: %q", got)
	}
	// A schedule type the API does not list is refused before sending.
	before := h.requests()
	if err := os.WriteFile(body, []byte("title: x\nscheduleType: SOMETIMES\nstartDate: 1\nstartTime: 1\nscripts: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := h.run("", "car", "schedules", "update", id, "--file", body)
	if code != exitUsage || !strings.Contains(errOut, "ONE_TIME") || h.requests() != before {
		t.Errorf("bad schedule type: exit %d, %q", code, errOut)
	}
}
