package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the API, the network or the data failed
	exitUsage = 2 // the command line or the configuration is wrong
)

// env is the process around a command, so tests run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	httpClient     *http.Client // nil: the default, trusting the system roots (and SSL_CERT_FILE)
	configDir      string       // "" : os.UserConfigDir()
	keyring        secretStore  // nil: no keyring service runs here
	// width is the terminal width of stdout, 0 when it is not a terminal.
	width func() int
	// stdoutTerminal and stderrTerminal say which are terminals: tables
	// by default, progress bars.
	stdoutTerminal, stderrTerminal bool
}

// globals are the flags every command takes, before or after its name.
type globals struct {
	profile, platform, gatewayURL, username string
	passwordStdin                           bool
	output, fields                          string
	wide, verbose                           bool
	timeout, attemptTimeout                 time.Duration
	progress                                string
}

func (g *globals) register(fs *pflag.FlagSet) {
	fs.StringVar(&g.profile, "profile", "", "configuration profile to use (default $QUALYS_PROFILE, else \"default\")")
	fs.StringVar(&g.platform, "platform", "", "Qualys platform, e.g. US2 (default $QUALYS_PLATFORM or the profile's)")
	fs.StringVar(&g.gatewayURL, "gateway-url", "", "API gateway URL of a private cloud (default $QUALYS_GATEWAY_URL or the profile's)")
	fs.StringVar(&g.username, "username", "", "Qualys user name (default $QUALYS_USERNAME or the profile's)")
	fs.BoolVar(&g.passwordStdin, "password-stdin", false, "read the password from the first line of stdin (default $QUALYS_PASSWORD)")
	fs.StringVarP(&g.output, "output", "o", "", "output format: "+strings.Join(formats, ", ")+" (default jsonl, or table on a terminal)")
	fs.StringVar(&g.fields, "fields", "", "comma-separated fields to print, e.g. id,title,platform (nested: asset.name)")
	fs.BoolVar(&g.wide, "wide", false, "do not cut table cells to the terminal width")
	fs.DurationVar(&g.timeout, "timeout", 0, "give up on the whole command after this long, e.g. 5m (default: no limit)")
	fs.DurationVar(&g.attemptTimeout, "attempt-timeout", defaultAttemptTimeout, "give up on one request that has not answered after this long, then retry")
	fs.BoolVarP(&g.verbose, "verbose", "v", false, "log each request, retry and wait on stderr (never credentials)")
	fs.StringVar(&g.progress, "progress", "auto", "progress on stderr: auto (a bar on a terminal, a line every few seconds otherwise), always or never")
}

// defaultAttemptTimeout bounds one attempt until the response headers
// arrive, so a hung gateway is reported and retried rather than waited on.
const defaultAttemptTimeout = 30 * time.Second

// factory is what every command uses: the process, the global flags, and
// the client and printer built from them on demand.
type factory struct {
	*env
	globals
	// ran is set when a command starts its own work: an error before it
	// is a usage error.
	ran bool
	// cancel ends the context of --timeout.
	cancel context.CancelFunc
	// notices says what the SDK retries and waits for (see noticeSink).
	notices *notices
}

// usageError is a wrong command line or configuration: exit status 2,
// reported before any request.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run executes one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	f := &factory{env: e}
	root := newRootCmd(f)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if f.cancel != nil {
		f.cancel()
	}
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) || !f.ran {
		fmt.Fprintf(e.stderr, "qualys: %s\n", oneLine(err.Error()))
		if cmd != nil {
			fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "qualys: %s\n", describe(err, f.globals))
	return exitError
}

const rootLong = `qualys drives the Qualys Custom Assessment and Remediation (CAR) and Policy
Compliance (PCRS) APIs: run scripts on assets and read what they printed,
manage scripts, jobs, schedules and blocked commands, and pull compliance
posture.

Credentials come from a profile ('qualys configure'), the environment
(QUALYS_PLATFORM or QUALYS_GATEWAY_URL, QUALYS_USERNAME, QUALYS_PASSWORD) or
flags; the password never from a flag or a file. 'qualys simulate' starts a
local Qualys simulator to try everything without an account.

Exit status: 0 success, 1 API or network error, 2 usage or configuration error.`

func newRootCmd(f *factory) *cobra.Command {
	root := &cobra.Command{
		Use:                        "qualys",
		Short:                      "The Qualys CAR and PCRS APIs from a shell",
		Long:                       rootLong,
		Version:                    version(),
		SilenceUsage:               true,
		SilenceErrors:              true,
		Args:                       noArgs,
		RunE:                       func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SuggestionsMinimumDistance: 2,
		Example: `  qualys configure --platform US2 --username acme_ab12
  export QUALYS_PASSWORD=...
  qualys car scripts list -o table
  qualys car scripts run 32533 --asset-ids 22467561 --wait
  qualys pcrs posture --policy-id 1438626 --summary`,
	}
	// --timeout bounds the whole command, waits included.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if f.timeout < 0 {
			return usagef("--timeout %s: must not be negative", f.timeout)
		}
		if f.timeout > 0 {
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			f.cancel = cancel
			cmd.SetContext(ctx)
		}
		return nil
	}
	root.SetVersionTemplate("qualys {{.Version}}\n")
	f.register(root.PersistentFlags())
	completeValues(root, "output", formats...)
	completeValues(root, "progress", progressModes...)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{flagMessage(err.Error())} })
	root.CompletionOptions.HiddenDefaultCmd = false
	root.AddGroup(&cobra.Group{ID: "api", Title: "API commands:"}, &cobra.Group{ID: "setup", Title: "Setup commands:"})
	for _, c := range []*cobra.Command{newCARCmd(f), newPCRSCmd(f)} {
		c.GroupID = "api"
		root.AddCommand(c)
	}
	// Commands outside the two APIs (configure, simulate, a local proxy...)
	// join this list.
	for _, c := range []*cobra.Command{newConfigureCmd(f, nil), newPlatformsCmd(f), newSimulateCmd(f), newProxyCmd(f, nil), newVersionCmd(f)} {
		c.GroupID = "setup"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("setup")
	root.SetCompletionCommandGroupID("setup")
	// An unknown shell is a usage error, not the completion help. The
	// completion commands keep the writer set before they are made.
	root.SetIn(f.stdin)
	root.SetOut(f.stdout)
	root.SetErr(f.stderr)
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Args = noArgs
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	return root
}

// completeValues offers a flag's allowed values to shell completion.
func completeValues(cmd *cobra.Command, flagName string, values ...string) {
	// The flag exists: registering can only fail for a missing one.
	_ = cmd.RegisterFlagCompletionFunc(flagName, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// group builds a command that only holds others: run alone it lists them,
// and an unknown subcommand is a usage error rather than help.
func group(use, short string, children ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		// Typos one or two letters off get a suggestion.
		SuggestionsMinimumDistance: 2,
	}
	c.AddCommand(children...)
	return c
}

// noArgs rejects any argument with the commands that do exist.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.Runnable() && !cmd.HasAvailableSubCommands() && cmd.HasParent() {
		msg = fmt.Sprintf("%s takes no arguments, got %q", commandName(cmd), strings.Join(args, " "))
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	} else if cmd.HasAvailableSubCommands() {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		msg += "; want one of " + strings.Join(names, ", ")
	}
	return &usageError{msg}
}

// commandName is a command's path without the program's name, for
// messages that already start with it.
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// exactArgs wants n positional arguments, named in the message.
func exactArgs(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		if n == 0 {
			return noArgs(cmd, args)
		}
		if len(args) < n {
			return usagef("%s needs %s", commandName(cmd), strings.Join(names[len(args):], " and "))
		}
		return usagef("%s takes %d argument(s), got %d: %s", commandName(cmd), n, len(args), strings.Join(args, " "))
	}
}

// stdoutWidth is the terminal width of stdout; when stdout is not a
// terminal, $COLUMNS if set, else 0 (tables are not cut).
func stdoutWidth(w io.Writer, getenv func(string) string) func() int {
	return func() int {
		if f, ok := w.(*os.File); ok {
			if n := terminalWidth(f); n > 0 {
				return n
			}
		}
		if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 0 {
			return n
		}
		return 0
	}
}

// flagValueError is pflag's message for a value that does not parse:
// invalid argument "x" for "--limit" flag: strconv.ParseInt: ...
var (
	flagValueError    = regexp.MustCompile(`^invalid argument "(.*)" for "(.*)" flag: (\w+)\.Parse(\w+): .*$`)
	flagDurationError = regexp.MustCompile(`^invalid argument "(.*)" for "(.*)" flag: time: .*$`)
)

// flagMessage says what a flag wants in the CLI's words rather than Go's.
func flagMessage(msg string) string {
	if m := flagValueError.FindStringSubmatch(msg); m != nil {
		want := map[string]string{"Int": "a whole number", "Uint": "a whole number", "Bool": "true or false", "Float": "a number"}[m[4]]
		if want == "" {
			want = "another value"
		}
		return fmt.Sprintf("%s %q: want %s", m[2], m[1], want)
	}
	if m := flagDurationError.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s %q: want a duration such as 90s, 5m or 1h30m", m[2], m[1])
	}
	return msg
}

// oneLine keeps the first line of a message.
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
