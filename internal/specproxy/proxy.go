// Package specproxy is a reverse proxy that checks live traffic against the
// Qualys OpenAPI documents in spec/. It forwards every request unchanged to
// an upstream gateway (or the simulator) and every answer unchanged to the
// client, validates both against the operation they belong to, and writes
// one JSON line per finding to a report.
//
// Response bodies stream through: the proxy validates them while it
// forwards them, one array element at a time for list bodies such as
// posture streams, so memory does not grow with the body. Findings carry
// the keyword that failed and a pointer, never the value found, so
// passwords and tokens cannot reach the report.
package specproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/routers"
)

// Options configure a proxy. Upstream and Report are required.
type Options struct {
	// Upstream is the base URL requests are forwarded to, such as
	// https://gateway.qg2.apps.qualys.com. It must be https, or http to a
	// loopback host with PlainHTTPLoopback.
	Upstream string
	// Report receives one JSON line per finding (see Finding). Writes are
	// serialised; the first write error stops the report.
	Report io.Writer
	// Strict treats members a schema does not declare as findings, as if
	// every object schema said additionalProperties: false. The published
	// documents stay open because Qualys adds fields within a version.
	Strict bool
	// PlainHTTPLoopback allows an http:// upstream on a loopback host.
	PlainHTTPLoopback bool
	// Transport carries requests upstream (default: a clone of
	// http.DefaultTransport). The proxy never lets it decompress, so that
	// bodies reach the client as the upstream sent them.
	Transport http.RoundTripper
	// Logger gets one line per exchange: method, path, operation, status,
	// findings and duration; never headers, queries or bodies. Default:
	// no logging.
	Logger *slog.Logger
	// MaxRequestBody is the largest request body accepted (default
	// 32 MiB); a larger one is answered 413 and reported.
	MaxRequestBody int64
	// MaxCheckedBody is the largest response body, or array element of a
	// streamed list, that is validated (default 64 MiB). Larger ones are
	// forwarded unchecked and reported as body-too-large.
	MaxCheckedBody int64
	// MaxFindings caps the findings of one message (default 100).
	MaxFindings int
	// Now returns the time stamped on findings (default time.Now).
	Now func() time.Time
}

// Defaults of the size limits.
const (
	DefaultMaxRequestBody = 32 << 20
	DefaultMaxCheckedBody = 64 << 20
	DefaultMaxFindings    = 100
)

// ErrInvalidOptions is wrapped by every error New returns for bad options.
var ErrInvalidOptions = errors.New("specproxy: invalid options")

// Proxy is the handler New returns.
type Proxy struct {
	opts     Options
	upstream *url.URL
	specs    *specs
	report   *reporter
	rp       *httputil.ReverseProxy
}

// New returns a proxy for opts.
func New(opts Options) (*Proxy, error) {
	if opts.Report == nil {
		return nil, fmt.Errorf("%w: a report writer is required", ErrInvalidOptions)
	}
	up, err := checkUpstream(opts.Upstream, opts.PlainHTTPLoopback)
	if err != nil {
		return nil, err
	}
	if opts.MaxRequestBody <= 0 {
		opts.MaxRequestBody = DefaultMaxRequestBody
	}
	if opts.MaxCheckedBody <= 0 {
		opts.MaxCheckedBody = DefaultMaxCheckedBody
	}
	if opts.MaxFindings <= 0 {
		opts.MaxFindings = DefaultMaxFindings
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	sp, err := loadSpecs(opts.Strict)
	if err != nil {
		return nil, err
	}
	p := &Proxy{opts: opts, upstream: up, specs: sp, report: &reporter{w: opts.Report}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(up)
			// SetURL joins the paths; keep the client's query as sent.
			pr.Out.URL.RawQuery = pr.In.URL.RawQuery
		},
		Transport:      noDecompression(opts.Transport),
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.upstreamError,
		// Copy errors (a client gone mid-body) go to the proxy's logger,
		// not to the process's standard logger.
		ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	return p, nil
}

func checkUpstream(raw string, plainLoopback bool) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: an upstream URL is required", ErrInvalidOptions)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the input, which may hold a password.
		return nil, fmt.Errorf("%w: the upstream is not a URL", ErrInvalidOptions)
	}
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("%w: the upstream URL must not hold a user name or password", ErrInvalidOptions)
	case u.Host == "":
		return nil, fmt.Errorf("%w: the upstream URL needs a host, e.g. https://gateway.qg2.apps.qualys.com", ErrInvalidOptions)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%w: the upstream URL must not have a query or fragment", ErrInvalidOptions)
	case u.Scheme == "https":
	case u.Scheme == "http" && plainLoopback && isLoopbackHost(u.Hostname()):
	case u.Scheme == "http":
		return nil, fmt.Errorf("%w: the upstream must use https (plain http only to a loopback host, when allowed)", ErrInvalidOptions)
	default:
		return nil, fmt.Errorf("%w: the upstream scheme %q is not https", ErrInvalidOptions, u.Scheme)
	}
	return u, nil
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// noDecompression returns a transport that hands bodies over as sent.
func noDecompression(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if t, ok := rt.(*http.Transport); ok && !t.DisableCompression {
		t = t.Clone()
		t.DisableCompression = true
		return t
	}
	return rt
}

// exchange is one request and its answer going through the proxy.
type exchange struct {
	p         *Proxy
	method    string
	path      string
	start     time.Time
	routes    []*routers.Route // the operation in each document that has it
	operation string
	pending   []Finding // request findings, written once the status is known
	status    int
	findings  int
	truncated bool
}

type exchangeKey struct{}

// ServeHTTP forwards one request and checks both directions.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := &exchange{p: p, method: r.Method, path: r.URL.Path, start: time.Now()}
	defer ex.finish()
	body, err := readAtMost(r.Body, p.opts.MaxRequestBody)
	if err != nil {
		ex.operation = ex.method + " " + ex.path
		if errors.Is(err, errTooLarge) {
			ex.status = http.StatusRequestEntityTooLarge
			ex.add("request", "", RuleBodyTooLarge, fmt.Sprintf("the request body is over %d bytes; not forwarded", p.opts.MaxRequestBody))
			http.Error(w, "qualys proxy: request body too large", ex.status)
			return
		}
		ex.status = http.StatusBadRequest
		http.Error(w, "qualys proxy: could not read the request body", ex.status)
		return
	}
	p.checkRequest(ex, r, body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
}

func (p *Proxy) modifyResponse(resp *http.Response) error {
	ex, _ := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	if ex == nil {
		return nil
	}
	ex.status = resp.StatusCode
	ex.flushRequest()
	p.checkResponse(ex, resp)
	return nil
}

func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	ex, _ := r.Context().Value(exchangeKey{}).(*exchange)
	if errors.Is(err, context.Canceled) {
		// The client went away; nothing to answer.
		if ex != nil {
			ex.status = 499
		}
		return
	}
	if ex != nil {
		ex.status = http.StatusBadGateway
	}
	// The transport's error names the upstream URL, never credentials
	// (checkUpstream refuses user information).
	p.opts.Logger.Warn("upstream failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
	http.Error(w, "qualys proxy: the upstream could not be reached", http.StatusBadGateway)
}

// add records a finding of this exchange, holding request findings until
// the upstream's status is known.
func (ex *exchange) add(direction, pointer, rule, message string) {
	if ex.truncated {
		return
	}
	if ex.findings >= ex.p.opts.MaxFindings {
		ex.truncated = true
		rule, pointer = RuleTooManyFindings, ""
		message = fmt.Sprintf("more than %d findings; the rest are left out", ex.p.opts.MaxFindings)
	}
	ex.findings++
	f := Finding{Time: ex.p.opts.Now().UTC(), Operation: ex.operation, Direction: direction, Pointer: pointer, Rule: rule, Message: message}
	if ex.status == 0 {
		ex.pending = append(ex.pending, f)
		return
	}
	f.Status = ex.status
	ex.p.report.write(f)
}

func (ex *exchange) flushRequest() {
	for _, f := range ex.pending {
		f.Status = ex.status
		ex.p.report.write(f)
	}
	ex.pending = nil
}

func (ex *exchange) finish() {
	if ex.status == 0 {
		ex.status = http.StatusBadGateway
	}
	ex.flushRequest()
	ex.p.opts.Logger.Info("exchange", "method", ex.method, "path", ex.path, "operation", ex.operation,
		"status", ex.status, "findings", ex.findings, "duration", time.Since(ex.start))
}

var errTooLarge = errors.New("body too large")

// readAtMost reads all of r, or fails with errTooLarge past limit bytes.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}
