package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/qualystest"
)

// harness runs commands in-process against one simulator, with a fresh
// configuration directory and no terminal unless width is set.
type harness struct {
	t         *testing.T
	sim       *qualystest.Server
	env       map[string]string
	configDir string
	width     int
	keyring   secretStore // nil: no keyring service
}

func newHarness(t *testing.T, opts ...qualystest.Option) *harness {
	t.Helper()
	sim := qualystest.NewServer(t, opts...)
	return &harness{t: t, sim: sim, configDir: t.TempDir(), env: map[string]string{
		"QUALYS_GATEWAY_URL": sim.URL, "QUALYS_USERNAME": sim.Username(), "QUALYS_PASSWORD": sim.Password(),
	}}
}

// run executes one command line and returns its exit status and output.
func (h *harness) run(stdin string, args ...string) (code int, stdout, stderr string) {
	h.t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), h.commandEnv(strings.NewReader(stdin), &out, &errOut), args)
	return code, out.String(), errOut.String()
}

// commandEnv is what a command the harness runs sees: stdin, the two
// output writers, a copy of the harness's environment, its configuration
// directory, terminal width and keyring, and an HTTP client that trusts
// the simulator.
func (h *harness) commandEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	vars := maps.Clone(h.env)
	return &env{stdin: stdin, stdout: stdout, stderr: stderr,
		getenv: func(k string) string { return vars[k] }, httpClient: h.sim.Client(), configDir: h.configDir,
		width: func() int { return h.width }, stdoutTerminal: h.width > 0, keyring: h.keyring}
}

// requests is how many requests the simulator has served.
func (h *harness) requests() int {
	n := 0
	for k, v := range h.sim.Counts() {
		if strings.HasPrefix(k, "/") {
			n += v
		}
	}
	return n
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

// mustRun runs a command that must succeed.
func (h *harness) mustRun(args ...string) string {
	h.t.Helper()
	code, out, errOut := h.run("", args...)
	if code != exitOK {
		h.t.Fatalf("qualys %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// factory builds what a command's run function gets, for tests that call
// run functions directly, as gh's do.
func (h *harness) factory(out *bytes.Buffer) *factory {
	return &factory{
		env:     h.commandEnv(strings.NewReader(""), out, &bytes.Buffer{}),
		globals: globals{output: "jsonl", progress: "never", attemptTimeout: defaultAttemptTimeout},
	}
}
