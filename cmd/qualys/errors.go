package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// describe turns an error into one line for people: what failed and what
// to do about it, in the words of the command line.
func describe(err error, g globals) string {
	var (
		unknownCA *x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		rateLimit *qualys.RateLimitError
		apiErr    *qualys.APIError
		dnsErr    *net.DNSError
		opErr     *net.OpError
	)
	switch {
	case errors.As(err, &unknownCA) || errors.As(err, &verify) && !errors.As(err, &hostname) && !errors.As(err, &invalid):
		return "the gateway's TLS certificate is not signed by a trusted authority. If your organisation uses its own CA, " +
			"point SSL_CERT_FILE at its PEM file (export SSL_CERT_FILE=/path/to/ca.pem) or add it to the system store"
	case errors.As(err, &hostname):
		return fmt.Sprintf("the gateway's TLS certificate is for another host (%s): check --gateway-url or the platform", hostname.Host)
	case errors.As(err, &invalid):
		return "the gateway's TLS certificate is not valid (" + clean(invalid.Error()) + "): check the system clock, or the CA in SSL_CERT_FILE"
	case errors.Is(err, qualys.ErrUnauthorized):
		return "the gateway refused the user name or password (HTTP 401): check the username and QUALYS_PASSWORD, and that the user has API access"
	case errors.As(err, &rateLimit):
		return clean(err.Error()) + "; try again later or raise --timeout"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, context.DeadlineExceeded) && g.timeout > 0 && !strings.Contains(err.Error(), "attempt timeout"):
		return fmt.Sprintf("gave up after --timeout %s: %s", g.timeout, clean(err.Error()))
	case errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "attempt timeout"):
		op, _, _ := strings.Cut(clean(err.Error()), ": ")
		return fmt.Sprintf("%s: no answer within --attempt-timeout %s, even after retries; the gateway may be down or unreachable (raise --attempt-timeout for slow links)", op, g.attemptTimeout)
	case errors.Is(err, context.DeadlineExceeded):
		return clean(err.Error())
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve the gateway host %s: check --gateway-url, the platform, or the network", dnsErr.Name)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "cannot connect to the gateway (" + clean(opErr.Err.Error()) + "): check --gateway-url, the platform, or the network"
	case errors.As(err, &apiErr) && apiErr.StatusCode == 403:
		return clean(err.Error()) + " (the user lacks a role this needs; CAR configuration commands need the Manager role)"
	}
	return clean(err.Error())
}

// goNames maps SDK identifiers that may appear in messages to the CLI's
// words.
var goNames = strings.NewReplacer(
	"WithPlainHTTPLoopback allows http to loopback test servers", "only loopback test servers may use http",
	"CustomPlatform or QUALYS_GATEWAY_URL", "--gateway-url or QUALYS_GATEWAY_URL",
	"use WithPlatform or WithGatewayURL", "use --platform or --gateway-url",
	"WithGatewayURL", "--gateway-url",
	"WithPlatform", "--platform",
	"WithCredentials", "--username and QUALYS_PASSWORD",
	"WithScriptResult", "--results",
	"WithScriptContent", "--content",
	"ErrInvalidRequest", "invalid request",
)

var (
	repeatedPrefix = regexp.MustCompile(`(?:qualys: )+`)
	spaces         = regexp.MustCompile(`\s+`)
	// urlError is how net/http prefixes its errors: Post "https://...": .
	urlError = regexp.MustCompile(`\b(?:Get|Post|Put|Patch|Delete|Head) "[^"]*": `)
)

// clean makes an error text one line without the SDK's "qualys:" prefixes,
// Go identifiers or a part said twice in a row.
func clean(s string) string {
	s = repeatedPrefix.ReplaceAllString(s, "")
	s = urlError.ReplaceAllString(s, "")
	s = goNames.Replace(s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, ": context deadline exceeded"), ": context canceled")
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	parts := strings.Split(s, ": ")
	out := parts[:0]
	for _, p := range parts {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	return strings.Join(out, ": ")
}
