package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// settings are where requests go and as whom, resolved from flags, the
// environment and the profile, in that order.
type settings struct {
	platform, gatewayURL, username string
	profile                        string // the profile the values came from, if any
}

// resolve picks each setting from the first of flag, environment and
// profile that has it. A profile named by --profile or QUALYS_PROFILE
// must exist.
func (f *factory) resolve() (settings, error) {
	name := firstNonEmpty(f.globals.profile, f.getenv(envProfile))
	prof, found, err := loadProfile(f.env, firstNonEmpty(name, defaultProfile))
	if err != nil {
		return settings{}, err
	}
	if name != "" && !found {
		return settings{}, usagef("profile %q does not exist; create it with: qualys configure --profile %s --platform NAME --username USER", name, name)
	}
	s := settings{username: firstNonEmpty(f.username, f.getenv(qualys.EnvUsername), prof.Username)}
	if found {
		s.profile = firstNonEmpty(name, defaultProfile)
	}
	// One place decides the target: a flag, else the environment, else the
	// profile; within each, a gateway URL wins over a platform name.
	switch {
	case f.gatewayURL != "" || f.globals.platform != "":
		s.gatewayURL, s.platform = f.gatewayURL, f.globals.platform
	case f.getenv(qualys.EnvGatewayURL) != "" || f.getenv(qualys.EnvPlatform) != "":
		s.gatewayURL, s.platform = f.getenv(qualys.EnvGatewayURL), f.getenv(qualys.EnvPlatform)
	default:
		s.gatewayURL, s.platform = prof.GatewayURL, prof.Platform
	}
	return s, nil
}

// target checks the platform or gateway URL and returns the option that
// points the client at it.
func (s settings) target() (qualys.Option, error) {
	switch {
	case s.gatewayURL != "":
		if err := checkGatewayURL(s.gatewayURL); err != nil {
			return nil, err
		}
		return qualys.WithGatewayURL(s.gatewayURL), nil
	case s.platform != "":
		if _, err := qualys.LookupPlatform(s.platform); err != nil {
			return nil, usagef("platform %q is not a Qualys platform: want one of %s (a private cloud takes --gateway-url)", s.platform, strings.Join(platformNames(), ", "))
		}
		return qualys.WithPlatform(s.platform), nil
	}
	return nil, usagef("no platform: run 'qualys configure', or set QUALYS_PLATFORM (e.g. US2) or QUALYS_GATEWAY_URL, or pass --platform")
}

func platformNames() []string {
	var names []string
	for _, p := range qualys.Platforms() {
		names = append(names, p.Name)
	}
	return names
}

// client builds the API client. Every configuration mistake is a usage
// error, found before any request.
func (f *factory) client() (*qualys.Client, error) {
	s, err := f.resolve()
	if err != nil {
		return nil, err
	}
	target, err := s.target()
	if err != nil {
		return nil, err
	}
	if s.username == "" {
		return nil, usagef("no user name: run 'qualys configure', or set QUALYS_USERNAME, or pass --username")
	}
	password, err := f.password(s)
	if err != nil {
		return nil, err
	}
	if f.attemptTimeout < 0 {
		return nil, usagef("--attempt-timeout %s: must not be negative", f.attemptTimeout)
	}
	opts := []qualys.Option{target, qualys.WithCredentials(s.username, password), qualys.WithAttemptTimeout(f.attemptTimeout)}
	if strings.HasPrefix(strings.ToLower(s.gatewayURL), "http://") {
		// An explicit http:// gateway on loopback (checkGatewayURL allows
		// no other) is the opt-in, e.g. for qualys proxy.
		opts = append(opts, qualys.WithPlainHTTPLoopback())
	}
	if f.httpClient != nil {
		opts = append(opts, qualys.WithHTTPClient(f.httpClient))
	}
	// Retries and rate-limit waits are said, never silent; --verbose
	// logs every request, retries and waits included, instead.
	if f.verbose {
		log := slog.NewTextHandler(f.noticeSink(), &slog.HandlerOptions{Level: slog.LevelDebug})
		opts = append(opts, qualys.WithLogger(slog.New(log)))
	} else {
		opts = append(opts, qualys.WithRetryHook(f.noticeSink().retry))
	}
	c, err := qualys.NewClient(opts...)
	if err != nil {
		return nil, usagef("%s", clean(err.Error()))
	}
	return c, nil
}

// password comes from stdin with --password-stdin, else QUALYS_PASSWORD,
// else the keyring entry 'qualys configure --password-stdin' saved for the
// profile; never from a flag or the profile file.
func (f *factory) password(s settings) (string, error) {
	if f.passwordStdin {
		line, err := bufio.NewReader(f.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password from stdin: %w", err)
		}
		if p := strings.TrimRight(line, "\r\n"); p != "" {
			return p, nil
		}
		return "", usagef("--password-stdin: stdin has no password on its first line")
	}
	if p := f.getenv(qualys.EnvPassword); p != "" {
		return p, nil
	}
	if f.keyring != nil && s.profile != "" {
		// A keyring without the entry, or one that fails, is the same as
		// none: the message below says what to do.
		if p, err := f.keyring.Get(keyringService, keyringUser(s.profile, s.username)); err == nil && p != "" {
			return p, nil
		}
	}
	return "", usagef("no password: set QUALYS_PASSWORD, pipe it in with --password-stdin, or save it in the keyring with qualys configure --password-stdin")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// isLoopback says whether a host is this machine.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback())
}

// checkGatewayURL wants an absolute https URL with nothing but a host, a
// port and a path. The URL is echoed only when it has no user information,
// which may hold a password.
func checkGatewayURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Hostname() == "":
		return usagef("the gateway URL is not an absolute URL such as https://gateway.qg2.apps.qualys.com")
	case u.User != nil:
		return usagef("the gateway URL must not hold a user name or password")
	case strings.EqualFold(u.Scheme, "http") && isLoopback(u.Hostname()):
		// Plain http to this machine only: qualys proxy, a test server.
	case !strings.EqualFold(u.Scheme, "https"):
		return usagef("gateway URL %q: use https (plain http only to this machine, e.g. to qualys proxy)", raw)
	case u.RawQuery != "" || u.Fragment != "":
		return usagef("gateway URL %q: no query or fragment", raw)
	}
	return nil
}
