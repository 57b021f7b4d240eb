package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/qualyskit/qualys-go/qualystest"
)

// leaves lists every runnable command path of the tree.
func leaves(c *cobra.Command) [][]string {
	var out [][]string
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() || sub.Name() == "help" {
			continue
		}
		if sub.HasAvailableSubCommands() {
			out = append(out, leaves(sub)...)
			continue
		}
		out = append(out, strings.Fields(strings.TrimPrefix(sub.CommandPath(), "qualys ")))
	}
	return out
}

// Every command has its own help, with its flags and an example, and
// asking for it sends nothing.
func TestEveryCommandHasHelp(t *testing.T) {
	h := newHarness(t)
	all := leaves(newRootCmd(&factory{env: &env{}}))
	if len(all) < 30 {
		t.Fatalf("only %d commands: %v", len(all), all)
	}
	for _, path := range all {
		code, out, errOut := h.run("", append(path, "--help")...)
		name := strings.Join(path, " ")
		if code != exitOK || !strings.Contains(out, "Usage:\n  qualys "+name) || errOut != "" {
			t.Errorf("%s --help: exit %d, stderr %q, stdout:\n%s", name, code, errOut, out)
			continue
		}
		if path[0] != "completion" && !strings.Contains(out, "Examples:") && name != "version" && name != "platforms" {
			t.Errorf("%s --help has no example", name)
		}
		if !strings.Contains(out, "--output") || !strings.Contains(out, "--help") {
			t.Errorf("%s --help does not list the flags", name)
		}
	}
	if n := h.requests(); n != 0 {
		t.Errorf("help sent %d requests", n)
	}
}

func TestGroupsListTheirCommands(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{{"car"}, {"car", "scripts"}, {"pcrs"}, {"car", "blocked-commands"}, {}} {
		code, out, _ := h.run("", args...)
		if code != exitOK || !strings.Contains(out, "Available Commands:") && !strings.Contains(out, "API commands:") {
			t.Errorf("qualys %v: exit %d:\n%s", args, code, out)
		}
	}
	_, out, _ := h.run("", "car")
	for _, sub := range []string{"scripts", "library", "jobs", "assetjobs", "schedules", "blocked-commands", "tags", "assets", "lab-assets"} {
		if !strings.Contains(out, "\n  "+sub+" ") {
			t.Errorf("qualys car does not list %s", sub)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if out := h.mustRun(args...); !strings.HasPrefix(out, "qualys ") || !strings.Contains(out, "go1.") {
			t.Errorf("%v: %q", args, out)
		}
	}
	// Flag values complete too.
	if out := h.mustRun("__complete", "pcrs", "posture", "--status", ""); !strings.Contains(out, "Failed\n") {
		t.Errorf("--status completion: %q", out)
	}
	if out := h.mustRun("__complete", "car", "jobs", "list", "-o", ""); !strings.Contains(out, "yaml\n") {
		t.Errorf("--output completion: %q", out)
	}
	for shell, marker := range map[string]string{"bash": "complete -o default", "zsh": "#compdef qualys", "fish": "complete -c qualys", "powershell": "Register-ArgumentCompleter"} {
		if out := h.mustRun("completion", shell); !strings.Contains(out, marker) {
			t.Errorf("completion %s lacks %q", shell, marker)
		}
	}
}

// Global flags work before and after the command's name.
func TestGlobalFlagsAnywhere(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{
		{"--output", "json", "car", "jobs", "list", "--limit", "1"},
		{"car", "--output", "json", "jobs", "list", "--limit", "1"},
		{"car", "jobs", "list", "--limit", "1", "-o", "json"},
	} {
		if out := h.mustRun(args...); !strings.HasPrefix(out, "[\n") {
			t.Errorf("%v: not JSON: %q", args, out)
		}
	}
}

// Mistakes on the command line or in the configuration exit 2 with one
// line in the CLI's words, before any request.
func TestUsageErrors(t *testing.T) {
	h := newHarness(t)
	d := h.sim.Data()
	script := itoa(d.CAR.Scripts[0].ID)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown command", []string{"car", "bogus"}, nil, "want one of assetjobs"},
		{"typo", []string{"car", "scrpts"}, nil, "did you mean scripts"},
		{"unknown flag", []string{"car", "jobs", "list", "--bogus"}, nil, "unknown flag: --bogus"},
		{"missing argument", []string{"car", "library", "get"}, nil, "needs a library script id"},
		{"extra argument", []string{"car", "jobs", "list", "x"}, nil, `car jobs list takes no arguments, got "x"`},
		{"unknown shell", []string{"completion", "tcsh"}, nil, `unknown command "tcsh"`},
		{"bad id", []string{"car", "library", "get", "abc"}, nil, "not an id"},
		{"bad output", []string{"platforms", "--output", "xml"}, nil, "want one of jsonl, json, table, csv, yaml"},
		{"bad field", []string{"car", "jobs", "list", "--fields", "id,a b"}, nil, "not a field name"},
		{"bad progress", []string{"pcrs", "posture", "--policy-id", "1", "--progress", "sometimes"}, nil, "want one of auto, always, never"},
		{"missing policy", []string{"pcrs", "hostids"}, nil, "needs --policy-id"},
		{"bad status", []string{"pcrs", "posture", "--policy-id", "1", "--status", "broken"}, nil, "want one of Passed, Failed, Error"},
		{"status case", []string{"pcrs", "posture", "--policy-id", "1", "--status", "failed"}, nil, "did you mean Failed"},
		{"bad criticality", []string{"pcrs", "posture", "--policy-id", "1", "--criticality", "HIGH"}, nil, "want one of UNDEFINED, MINIMAL, MEDIUM, SERIOUS, CRITICAL, URGENT"},
		{"bad date", []string{"pcrs", "policies", "--since", "yesterday"}, nil, "want a date such as 2024-11-01"},
		{"bad hostids date", []string{"pcrs", "hostids", "--policy-id", "1", "--since", "2024-13"}, nil, "want a date"},
		{"bad api version", []string{"pcrs", "posture", "--policy-id", "1", "--api-version", "6.0"}, nil, "want one of 1.0, 2.0"},
		{"negative limit", []string{"car", "scripts", "list", "--limit", "-1"}, nil, "must not be negative"},
		{"exit status without wait", []string{"car", "scripts", "run", script, "--asset-ids", "1", "--exit-status"}, nil, "--exit-status needs --wait"},
		{"no targets", []string{"car", "scripts", "run", script}, nil, "--asset-ids or --tag-ids"},
		{"bad target", []string{"car", "scripts", "run", script, "--asset-ids", "1,x"}, nil, `--asset-ids "x" is not an id`},
		{"test without uuid", []string{"car", "scripts", "run", script, "--test", "--asset-ids", "5"}, nil, "ID:AGENT_UUID"},
		{"bad schedule id", []string{"car", "schedules", "update", "12", "--file", "x.json"}, nil, "want a UUID"},
		{"no commands", []string{"car", "blocked-commands", "create", "--language-id", "201"}, nil, "needs --commands"},
		{"both deletes", []string{"car", "blocked-commands", "delete", "--language-ids", "1", "--command-ids", "2"}, nil, "not both"},
		{"no ids", []string{"car", "assets", "block"}, nil, "needs one or more asset ids"},
		{"no password", []string{"car", "jobs", "list"}, map[string]string{"QUALYS_PASSWORD": ""}, "set QUALYS_PASSWORD"},
		{"no user", []string{"car", "jobs", "list"}, map[string]string{"QUALYS_USERNAME": ""}, "set QUALYS_USERNAME"},
		{"no platform", []string{"car", "jobs", "list"}, map[string]string{"QUALYS_GATEWAY_URL": ""}, "QUALYS_PLATFORM"},
		{"unknown platform", []string{"car", "jobs", "list", "--platform", "US9"}, map[string]string{"QUALYS_GATEWAY_URL": ""}, "want one of US1"},
		{"plain http gateway", []string{"car", "jobs", "list", "--gateway-url", "http://gateway.example.com"}, nil, "use https"},
		{"gateway with password", []string{"car", "jobs", "list", "--gateway-url", "https://u:secretpw@gw.example.com"}, nil, "must not hold a user name or password"},
		{"bad gateway url", []string{"car", "jobs", "list", "--gateway-url", "https://u:secret%zz@gw"}, nil, "not an absolute URL"},
		{"missing profile", []string{"car", "jobs", "list", "--profile", "nope"}, nil, `profile "nope" does not exist`},
		{"profile from env", []string{"car", "jobs", "list"}, map[string]string{"QUALYS_PROFILE": "nope"}, `profile "nope" does not exist`},
		{"not a number", []string{"car", "scripts", "list", "--limit", "x"}, nil, `--limit "x": want a whole number`},
		{"not a duration", []string{"car", "jobs", "list", "--timeout", "5"}, nil, `want a duration such as 90s`},
		{"negative timeout", []string{"car", "jobs", "list", "--timeout", "-1s"}, nil, "must not be negative"},
	}
	goIdent := regexp.MustCompile(`\bWith[A-Z]\w+|CustomPlatform|Err[A-Z]\w+|qualys: .*qualys:|strconv|time: `)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				old := h.env[k]
				h.env[k] = v
				defer func() { h.env[k] = old }()
			}
			before := h.requests()
			code, out, errOut := h.run("", tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d (want 2), stderr %q (want %q)", code, errOut, tt.want)
			}
			if n := h.requests() - before; n != 0 {
				t.Errorf("%d requests sent before the usage error", n)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			if strings.Contains(errOut, "secret") {
				t.Errorf("a secret from the command line is echoed: %q", errOut)
			}
			if first, _, _ := strings.Cut(errOut, "\n"); goIdent.MatchString(first) || !strings.HasPrefix(first, "qualys: ") {
				t.Errorf("message not in the CLI's words: %q", first)
			}
			if strings.Count(errOut, "\n") > 2 || strings.Contains(errOut, "Global Flags") {
				t.Errorf("more than the message and a pointer to help: %q", errOut)
			}
		})
	}
}

// API failures exit 1 with one line; secrets never show.
func TestAPIErrors(t *testing.T) {
	h := newHarness(t)
	h.env["QUALYS_PASSWORD"] = "wrong-secret-value"
	code, _, errOut := h.run("", "car", "jobs", "list")
	if code != exitError || !strings.Contains(errOut, "refused the user name or password") || strings.Contains(errOut, "wrong-secret-value") {
		t.Errorf("wrong password: exit %d, %q", code, errOut)
	}
	h.env["QUALYS_PASSWORD"] = h.sim.Password()
	code, _, errOut = h.run("", "car", "library", "get", "1")
	if code != exitError || !strings.Contains(errOut, "404") || strings.Count(errOut, "qualys:") != 1 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("unknown library script: exit %d, %q", code, errOut)
	}
	// Calls made through the generated client directly say the same.
	code, _, errOut = h.run("", "car", "blocked-commands", "get", "999")
	if code != exitError || !strings.Contains(errOut, "HTTP 404") || !strings.Contains(errOut, "languageId 999") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("unknown language: exit %d, %q", code, errOut)
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

// A gateway whose certificate the system does not trust: the message says
// how to trust a CA.
func TestUntrustedCertificate(t *testing.T) {
	h := newHarness(t)
	var out, errOut strings.Builder
	e := h.commandEnv(strings.NewReader(""), &out, &errOut)
	e.httpClient = nil // the default: the system roots, which do not hold the simulator's CA
	code := run(t.Context(), e, []string{"car", "jobs", "list"})
	if code != exitError || !strings.Contains(errOut.String(), "SSL_CERT_FILE") || strings.Count(errOut.String(), "\n") != 1 {
		t.Errorf("exit %d, %q", code, errOut.String())
	}
}

// A gateway that does not answer is given up on after --attempt-timeout
// (then retried), and --timeout bounds the whole command.
func TestTimeouts(t *testing.T) {
	h := newHarness(t)
	h.sim.Fail("searchJobs", qualystest.Repeat(8, qualystest.Slow(5*time.Second))...)
	// 300ms: a token fetch on a busy machine still fits in one attempt.
	code, _, errOut := h.run("", "car", "jobs", "list", "--attempt-timeout", "300ms", "--timeout", "4s")
	msgs := strings.Split(strings.TrimSpace(errOut), "\n")
	last := msgs[len(msgs)-1]
	if code != exitError || !strings.Contains(last, "no answer within --attempt-timeout 300ms") && !strings.Contains(last, "gave up after --timeout") ||
		strings.Count(last, "/sm/v1/jobs/search") > 1 {
		t.Errorf("hung gateway: exit %d, %q", code, errOut)
	}
	// The wait is not silent: each retry is said.
	if len(msgs) < 2 || !strings.Contains(errOut, "POST /sm/v1/jobs/search: connection error; trying again in") {
		t.Errorf("retries not said: %q", errOut)
	}
	h.sim.ClearFaults()
	h.sim.Fail("searchJobs", qualystest.Slow(5*time.Second))
	code, _, errOut = h.run("", "car", "jobs", "list", "--timeout", "100ms")
	if code != exitError || !strings.Contains(errOut, "gave up after --timeout 100ms") {
		t.Errorf("--timeout: exit %d, %q", code, errOut)
	}
}

// --verbose logs each request on stderr and never the password.
func TestVerbose(t *testing.T) {
	h := newHarness(t)
	code, _, errOut := h.run("", "car", "jobs", "list", "--limit", "1", "--verbose")
	if code != exitOK || !strings.Contains(errOut, "/sm/v1/jobs/search") || strings.Contains(errOut, h.sim.Password()) {
		t.Errorf("exit %d, log %q", code, errOut)
	}
}
