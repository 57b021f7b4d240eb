package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qualyskit/qualys-go/internal/specproxy"
)

// proxyOptions are the flags of 'qualys proxy'.
type proxyOptions struct {
	f                              *factory
	upstream, listen, report       string
	strict, allowRemote, plainHTTP bool
}

// newProxyCmd is "qualys proxy": it forwards every request unchanged to
// the upstream (a Qualys gateway or the simulator) and every answer
// unchanged back, checks both against the CAR and PCRS specs, and appends
// one JSON line per finding to the report file. Clients point their
// gateway URL at the address it prints.
func newProxyCmd(f *factory, runF func(context.Context, *proxyOptions) error) *cobra.Command {
	opts := &proxyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "proxy --upstream URL --report FILE",
		Short: "Check live traffic against the API specs, between a client and a gateway",
		Long: `Forward every request unchanged to the upstream (a Qualys gateway or the
simulator) and every answer unchanged back, check both against the CAR and
PCRS specs, and append one JSON line per finding to the report file. Point
clients' gateway URL at the address it prints. It listens on loopback only,
in plain http, unless --allow-remote.`,
		Example: `  qualys proxy --upstream https://gateway.qg2.apps.qualys.com --report findings.jsonl --strict
  export QUALYS_GATEWAY_URL=http://127.0.0.1:8480`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, proxyRun) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.upstream, "upstream", "", "gateway URL requests are forwarded to")
	fl.StringVar(&opts.listen, "listen", "127.0.0.1:8480", "address to listen on")
	fl.StringVar(&opts.report, "report", "", "file the findings are appended to, one JSON line each")
	fl.BoolVar(&opts.strict, "strict", false, "report fields the specs do not declare")
	fl.BoolVar(&opts.allowRemote, "allow-remote", false, "allow listening on an address other than loopback")
	fl.BoolVar(&opts.plainHTTP, "plain-http", false, "allow an http:// upstream on this machine")
	return cmd
}

func proxyRun(ctx context.Context, opts *proxyOptions) error {
	f := opts.f
	if opts.upstream == "" {
		return usagef("proxy needs --upstream, the gateway URL to forward to")
	}
	if opts.report == "" {
		return usagef("proxy needs --report, the file findings are written to")
	}
	if err := checkListen(opts.listen, opts.allowRemote); err != nil {
		return err
	}
	var transport http.RoundTripper
	if f.httpClient != nil {
		transport = f.httpClient.Transport
	}
	// The file opens once the options are known to be good, so a usage
	// error leaves no empty report behind.
	out := &reportFile{}
	p, err := specproxy.New(specproxy.Options{
		Upstream:          opts.upstream,
		Report:            out,
		Strict:            opts.strict,
		PlainHTTPLoopback: opts.plainHTTP,
		Transport:         transport,
		Logger:            slog.New(slog.NewTextHandler(f.stderr, nil)),
	})
	if errors.Is(err, specproxy.ErrInvalidOptions) {
		msg := "--upstream: " + strings.TrimPrefix(err.Error(), "specproxy: invalid options: ")
		if strings.HasPrefix(opts.upstream, "http://") && !opts.plainHTTP {
			msg += " (add --plain-http for an http upstream on this machine)"
		}
		return usagef("%s", msg)
	}
	if err != nil {
		return err
	}
	pr, err := f.printer(columns{{"PROXY URL", "proxyUrl"}, {"UPSTREAM", "upstream"}, {"REPORT", "report"}})
	if err != nil {
		return err
	}
	f.ran = true
	file, err := os.OpenFile(opts.report, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the report file: %w", err)
	}
	defer file.Close()
	out.f = file
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", opts.listen, err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	proxyURL := "http://" + ln.Addr().String()
	fmt.Fprintf(f.stderr, "Checking traffic to %s against the specs; findings go to %s. Stop with Ctrl-C.\n\n  export QUALYS_GATEWAY_URL=%s\n\n",
		redactURL(opts.upstream), opts.report, proxyURL)
	if opts.allowRemote {
		fmt.Fprintln(f.stderr, "Warning: clients reach the proxy over plain http; passwords and tokens cross the network unencrypted.")
	}
	if err := pr.record(map[string]string{"proxyUrl": proxyURL, "upstream": redactURL(opts.upstream), "report": opts.report}); err != nil {
		srv.Close()
		return err
	}
	if err := pr.flush(); err != nil {
		srv.Close()
		return err
	}
	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	return file.Sync()
}

// reportFile is the report writer, given to the proxy before the file is
// opened; nothing is written before it is.
type reportFile struct{ f *os.File }

func (r *reportFile) Write(p []byte) (int, error) { return r.f.Write(p) }

// checkListen refuses an address other than loopback unless allowed: the
// proxy carries passwords and tokens in plain http.
func checkListen(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--listen %q is not host:port", addr)
	}
	if allowRemote {
		return nil
	}
	if isLoopback(host) {
		return nil
	}
	return usagef("--listen %s is not a loopback address; the proxy carries passwords and tokens over plain http, so add --allow-remote to listen there anyway", addr)
}

// redactURL drops user information from a URL before it is printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(the upstream URL)"
	}
	u.User = nil
	return u.String()
}
