package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the API, the network or the data failed
	exitUsage = 2 // the command line is wrong
)

// env is the process around a command, so tests run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	httpClient     *http.Client // nil: the default, trusting the system roots (and SSL_CERT_FILE)
}

// usageError is a wrong command line: exit status 2 and the usage text.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// globals are the flags every command takes.
type globals struct {
	platform, gatewayURL, username string
	passwordStdin                  bool
	output                         string
	timeout                        time.Duration
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.platform, "platform", "", "Qualys platform, e.g. US2 (default $QUALYS_PLATFORM)")
	fs.StringVar(&g.gatewayURL, "gateway-url", "", "API gateway URL, overrides the platform (default $QUALYS_GATEWAY_URL)")
	fs.StringVar(&g.username, "username", "", "Qualys user name (default $QUALYS_USERNAME)")
	fs.BoolVar(&g.passwordStdin, "password-stdin", false, "read the password from the first line of stdin (default $QUALYS_PASSWORD)")
	fs.StringVar(&g.output, "output", "jsonl", "output format: jsonl, json or table")
	fs.DurationVar(&g.timeout, "timeout", 0, "give up after this long (0: no limit)")
}

const usage = `qualys: the Qualys CAR and PCRS APIs from a shell

Usage:
  qualys platforms
  qualys car scripts list [--filter Q] [--page-size N] [--limit N]
  qualys car scripts run ID (--asset-ids 1,2 | --tag-ids 3,4) [--exclude-ids 5]
  qualys car library list [--filter Q] [--page-size N] [--limit N]
  qualys car library get ID [--content]
  qualys car library import ID --title T --category ID [--approved]
  qualys car jobs list [--filter Q] [--page-size N] [--limit N]
  qualys car assetjobs list [--job-id ID] [--filter Q] [--results] [--limit N]
  qualys pcrs policies [--since DATE]
  qualys pcrs hostids --policy-id ID[,ID...] [--since DATE]
  qualys pcrs posture --policy-id ID[,ID...] [--status Failed] [--evidence] [--api-version 5.0] [--limit N]
  qualys pcrs sync [--db FILE|URL] [--policy-id ID[,ID...]] [--overlap 24h] [--wait 1m]
  qualys pcrs report [--db FILE|URL] [--html FILE]
  qualys simulate [--addr 127.0.0.1:8443] [--hosts N] [--ca-file PATH]
  qualys proxy --upstream URL --report FILE [--listen 127.0.0.1:8480] [--strict] [--allow-remote] [--plain-http]

Every command takes --platform, --gateway-url, --username, --password-stdin,
--output jsonl|json|table and --timeout. Credentials and platform default to
QUALYS_USERNAME, QUALYS_PASSWORD, QUALYS_PLATFORM and QUALYS_GATEWAY_URL.
Custom CAs come from the system store or SSL_CERT_FILE.

Exit status: 0 success, 1 API or network error, 2 usage error.
`

// run executes one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	err := dispatch(ctx, e, args)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(e.stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "qualys: %s\n\n%s", ue.msg, usage)
		return exitUsage
	default:
		msg := err.Error()
		if !strings.HasPrefix(msg, "qualys: ") {
			msg = "qualys: " + msg
		}
		fmt.Fprintln(e.stderr, msg)
		return exitError
	}
}

// command is one leaf of the command tree.
type command struct {
	flags func(fs *flag.FlagSet) // registers the command's own flags
	args  int                    // positional arguments required (-1: any)
	run   func(ctx context.Context, c *cli, args []string) error
}

func commands() map[string]*command {
	return map[string]*command{
		"platforms":          platformsCommand(),
		"car scripts list":   scriptsListCommand(),
		"car scripts run":    scriptsRunCommand(),
		"car library list":   libraryListCommand(),
		"car library get":    libraryGetCommand(),
		"car library import": libraryImportCommand(),
		"car jobs list":      jobsListCommand(),
		"car assetjobs list": assetJobsListCommand(),
		"pcrs policies":      policiesCommand(),
		"pcrs hostids":       hostIDsCommand(),
		"pcrs posture":       postureCommand(),
		"pcrs sync":          pcrsSyncCommand(),
		"pcrs report":        pcrsReportCommand(),
		"simulate":           simulateCommand(),
		"proxy":              proxyCommand(),
	}
}

func dispatch(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 0 {
			return usagef("no command")
		}
		return flag.ErrHelp
	}
	all := commands()
	// The command is the longest run of leading words that names one.
	var name string
	var cmd *command
	for n := min(3, len(args)); n > 0; n-- {
		if c, ok := all[strings.Join(args[:n], " ")]; ok {
			name, cmd, args = strings.Join(args[:n], " "), c, args[n:]
			break
		}
	}
	if cmd == nil {
		return usagef("unknown command %q", strings.Join(args[:min(3, len(args))], " "))
	}
	fs := flag.NewFlagSet("qualys "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var g globals
	g.register(fs)
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%s: %v", name, err)
	}
	if cmd.args >= 0 && len(positional) != cmd.args {
		return usagef("%s takes %d argument(s), got %d", name, cmd.args, len(positional))
	}
	out, err := newPrinter(g.output, e.stdout)
	if err != nil {
		return err
	}
	if g.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.timeout)
		defer cancel()
	}
	c := &cli{env: e, globals: g, out: out}
	if err := cmd.run(ctx, c, positional); err != nil {
		return err
	}
	return out.flush()
}

// parseInterspersed lets flags follow positional arguments, as in
// "qualys car library get 599 --content".
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// cli is what a running command uses.
type cli struct {
	*env
	globals
	out *printer
}

// client builds the API client from flags and environment. The password
// comes only from QUALYS_PASSWORD or stdin.
func (c *cli) client() (*qualys.Client, error) {
	username := firstNonEmpty(c.username, c.getenv(qualys.EnvUsername))
	password := c.getenv(qualys.EnvPassword)
	if c.passwordStdin {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading the password from stdin: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if username == "" || password == "" {
		return nil, usagef("credentials: set QUALYS_USERNAME (or --username) and QUALYS_PASSWORD (or --password-stdin)")
	}
	opts := []qualys.Option{qualys.WithCredentials(username, password)}
	switch {
	case c.gatewayURL != "":
		opts = append(opts, qualys.WithGatewayURL(c.gatewayURL))
	case c.platform != "":
		opts = append(opts, qualys.WithPlatform(c.platform))
	case c.getenv(qualys.EnvGatewayURL) != "":
		opts = append(opts, qualys.WithGatewayURL(c.getenv(qualys.EnvGatewayURL)))
	case c.getenv(qualys.EnvPlatform) != "":
		opts = append(opts, qualys.WithPlatform(c.getenv(qualys.EnvPlatform)))
	default:
		return nil, usagef("platform: set QUALYS_PLATFORM (or --platform) or QUALYS_GATEWAY_URL (or --gateway-url)")
	}
	if strings.HasPrefix(c.gatewayURL, "http://") || (c.gatewayURL == "" && strings.HasPrefix(c.getenv(qualys.EnvGatewayURL), "http://")) {
		// An explicit http:// gateway is the opt-in, e.g. for qualys proxy;
		// the client still refuses one that is not on loopback.
		opts = append(opts, qualys.WithPlainHTTPLoopback())
	}
	if c.httpClient != nil {
		opts = append(opts, qualys.WithHTTPClient(c.httpClient))
	}
	client, err := qualys.NewClient(opts...)
	if errors.Is(err, qualys.ErrUnknownPlatform) {
		return nil, &usageError{err.Error()}
	}
	return client, err
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// isTerminal reports whether w is a terminal, for the progress bar.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
