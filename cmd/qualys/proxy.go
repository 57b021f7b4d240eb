package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/internal/specproxy"
)

// proxyCommand is "qualys proxy": it forwards every request unchanged to
// the upstream (a Qualys gateway or the simulator) and every answer
// unchanged back, checks both against the CAR and PCRS specs, and appends
// one JSON line per finding to the report file. Clients point their
// gateway URL at the address it prints.
func proxyCommand() *command {
	var upstream, listen, report string
	var strict, allowRemote, plainHTTP bool
	return &command{
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&upstream, "upstream", "", "gateway URL requests are forwarded to")
			fs.StringVar(&listen, "listen", "127.0.0.1:8480", "address to listen on")
			fs.StringVar(&report, "report", "", "file the findings are appended to, one JSON line each")
			fs.BoolVar(&strict, "strict", false, "report fields the specs do not declare")
			fs.BoolVar(&allowRemote, "allow-remote", false, "allow listening on an address other than loopback")
			fs.BoolVar(&plainHTTP, "plain-http", false, "allow an http:// upstream on this machine")
		},
		run: func(ctx context.Context, c *cli, _ []string) error {
			if upstream == "" {
				return usagef("proxy needs --upstream, the gateway URL to forward to")
			}
			if report == "" {
				return usagef("proxy needs --report, the file findings are written to")
			}
			if err := checkListen(listen, allowRemote); err != nil {
				return err
			}
			var transport http.RoundTripper
			if c.httpClient != nil {
				transport = c.httpClient.Transport
			}
			// The file opens once the options are known to be good, so a
			// usage error leaves no empty report behind.
			out := &reportFile{}
			p, err := specproxy.New(specproxy.Options{
				Upstream:          upstream,
				Report:            out,
				Strict:            strict,
				PlainHTTPLoopback: plainHTTP,
				Transport:         transport,
				Logger:            slog.New(slog.NewTextHandler(c.stderr, nil)),
			})
			if errors.Is(err, specproxy.ErrInvalidOptions) {
				msg := "--upstream: " + strings.TrimPrefix(err.Error(), "specproxy: invalid options: ")
				if strings.HasPrefix(upstream, "http://") && !plainHTTP {
					msg += " (add --plain-http for an http upstream on this machine)"
				}
				return usagef("%s", msg)
			}
			if err != nil {
				return err
			}
			f, err := os.OpenFile(report, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
			if err != nil {
				return fmt.Errorf("opening the report file: %w", err)
			}
			defer f.Close()
			out.f = f
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listening on %s: %w", listen, err)
			}
			srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()

			proxyURL := "http://" + ln.Addr().String()
			fmt.Fprintf(c.stderr, "Checking traffic to %s against the specs; findings go to %s. Stop with Ctrl-C.\n\n  export QUALYS_GATEWAY_URL=%s\n\n",
				redactURL(upstream), report, proxyURL)
			if allowRemote {
				fmt.Fprintln(c.stderr, "Warning: clients reach the proxy over plain http; passwords and tokens cross the network unencrypted.")
			}
			if err := c.out.record(map[string]string{"proxyUrl": proxyURL, "upstream": redactURL(upstream), "report": report}); err != nil {
				srv.Close()
				return err
			}
			if err := c.out.flush(); err != nil {
				srv.Close()
				return err
			}
			c.out.rows = nil // printed already
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
			return f.Sync()
		},
	}
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
	ip := net.ParseIP(host)
	if strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback()) {
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
