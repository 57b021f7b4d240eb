package qualys

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrUnknownPlatform is wrapped by LookupPlatform when its argument names no
// shared Qualys platform.
var ErrUnknownPlatform = errors.New("qualys: unknown platform")

// Platform is one Qualys cloud platform (pod) and its three public base URLs.
// CAR (/sm) and PCRS (/pcrs) are both served from GatewayURL, which is also
// where /auth mints tokens.
type Platform struct {
	Name       string // e.g. "US1"; the host name for a private cloud
	UIURL      string // web UI, e.g. https://qualysguard.qualys.com
	APIURL     string // classic API server, e.g. https://qualysapi.qualys.com
	GatewayURL string // API gateway, e.g. https://gateway.qg1.apps.qualys.com
}

// platformTable is an array, not a slice, so that nothing can modify it:
// Platforms hands out copies.
var platformTable = [...]Platform{
	// US1 and EU1 are the two pods whose gateway is not qualysapi.X with
	// "qualysapi" replaced by "gateway"; never derive one from the other.
	{"US1", "https://qualysguard.qualys.com", "https://qualysapi.qualys.com", "https://gateway.qg1.apps.qualys.com"},
	{"US2", "https://qualysguard.qg2.apps.qualys.com", "https://qualysapi.qg2.apps.qualys.com", "https://gateway.qg2.apps.qualys.com"},
	{"US3", "https://qualysguard.qg3.apps.qualys.com", "https://qualysapi.qg3.apps.qualys.com", "https://gateway.qg3.apps.qualys.com"},
	{"US4", "https://qualysguard.qg4.apps.qualys.com", "https://qualysapi.qg4.apps.qualys.com", "https://gateway.qg4.apps.qualys.com"},
	{"EU1", "https://qualysguard.qualys.eu", "https://qualysapi.qualys.eu", "https://gateway.qg1.apps.qualys.eu"},
	{"EU2", "https://qualysguard.qg2.apps.qualys.eu", "https://qualysapi.qg2.apps.qualys.eu", "https://gateway.qg2.apps.qualys.eu"},
	{"EU3", "https://qualysguard.qg3.apps.qualys.it", "https://qualysapi.qg3.apps.qualys.it", "https://gateway.qg3.apps.qualys.it"},
	{"IN1", "https://qualysguard.qg1.apps.qualys.in", "https://qualysapi.qg1.apps.qualys.in", "https://gateway.qg1.apps.qualys.in"},
	{"CA1", "https://qualysguard.qg1.apps.qualys.ca", "https://qualysapi.qg1.apps.qualys.ca", "https://gateway.qg1.apps.qualys.ca"},
	// QualysETL maps AE1 to a .eu gateway; every other
	// source says .ae, and .eu is another pod.
	{"AE1", "https://qualysguard.qg1.apps.qualys.ae", "https://qualysapi.qg1.apps.qualys.ae", "https://gateway.qg1.apps.qualys.ae"},
	{"UK1", "https://qualysguard.qg1.apps.qualys.co.uk", "https://qualysapi.qg1.apps.qualys.co.uk", "https://gateway.qg1.apps.qualys.co.uk"},
	{"AU1", "https://qualysguard.qg1.apps.qualys.com.au", "https://qualysapi.qg1.apps.qualys.com.au", "https://gateway.qg1.apps.qualys.com.au"},
	{"KSA1", "https://qualysguard.qg1.apps.qualysksa.com", "https://qualysapi.qg1.apps.qualysksa.com", "https://gateway.qg1.apps.qualysksa.com"},
	{"GOV1", "https://qualysguard.gov1.qualys.us", "https://qualysapi.gov1.qualys.us", "https://gateway.gov1.qualys.us"},
}

// Platforms returns the 14 shared Qualys platforms. The slice is a fresh
// copy on every call, so callers may modify it.
func Platforms() []Platform {
	out := make([]Platform, len(platformTable))
	copy(out, platformTable[:])
	return out
}

// LookupPlatform finds a shared platform by name ("us1", "EU3"; case does
// not matter) or by any of its URLs: UI, API server or gateway, with or
// without scheme, port, trailing slash or path. An unknown value gives an
// error that wraps ErrUnknownPlatform and lists the valid names. Private
// clouds are not listed anywhere; use customPlatform for them.
func LookupPlatform(s string) (Platform, error) {
	in := strings.TrimSpace(s)
	for _, p := range platformTable {
		if strings.EqualFold(in, p.Name) {
			return p, nil
		}
	}
	if host := hostOf(in); host != "" {
		for _, p := range platformTable {
			for _, u := range []string{p.UIURL, p.APIURL, p.GatewayURL} {
				if host == hostOf(u) {
					return p, nil
				}
			}
		}
	}
	return Platform{}, fmt.Errorf("%w %q: want one of %s, or the UI, API-server or gateway URL of one of them (a private cloud: give its gateway URL)",
		ErrUnknownPlatform, truncate(in, 100), strings.Join(platformNames(), ", "))
}

// customPlatform describes a private cloud platform, whose URLs Qualys does
// not publish (Help > About in the account shows them). gatewayURL must be
// an absolute https URL without user information, query or fragment.
func customPlatform(gatewayURL string) (Platform, error) {
	u, err := parseGatewayURLQuietly(gatewayURL, false) // errors must not echo user information
	if err != nil {
		return Platform{}, err
	}
	return Platform{Name: u.Hostname(), GatewayURL: u.String()}, nil
}

// parseGatewayURL validates a gateway base URL and returns it without a
// trailing slash. Plain http is accepted only for loopback hosts and only
// when allowPlainLoopback is set, so that credentials never cross a network
// unencrypted.
func parseGatewayURL(raw string, allowPlainLoopback bool) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("qualys: gateway URL: %w", err)
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("qualys: gateway URL %q is not absolute (want https://host)", truncate(raw, 100))
	case u.User != nil:
		// Do not echo the URL: its user information may hold a password.
		return nil, errors.New("qualys: gateway URL must not contain user information")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("qualys: gateway URL %q must not have a query or fragment", truncate(raw, 100))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if err := checkScheme(u, allowPlainLoopback); err != nil {
		return nil, err
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// checkScheme enforces the HTTPS-only rule shared by the gateway URL and
// every request the transport sends.
func checkScheme(u *url.URL, allowPlainLoopback bool) error {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if allowPlainLoopback && isLoopbackHost(u.Hostname()) {
			return nil
		}
		if allowPlainLoopback {
			return fmt.Errorf("%w: plain http to %s: only loopback hosts may use http", ErrInsecureTransport, u.Hostname())
		}
		return fmt.Errorf("%w: plain http to %s (use https; WithPlainHTTPLoopback allows http to loopback test servers)", ErrInsecureTransport, u.Hostname())
	default:
		return fmt.Errorf("%w: unsupported scheme %q", ErrInsecureTransport, u.Scheme)
	}
}

// isLoopbackHost reports whether host is localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostOf returns the lower-case host name of s, which may lack a scheme.
func hostOf(s string) string {
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
}

func platformNames() []string {
	names := make([]string, len(platformTable))
	for i, p := range platformTable {
		names[i] = p.Name
	}
	return names
}

// truncate shortens s to at most n runes so that echoed input stays short.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
