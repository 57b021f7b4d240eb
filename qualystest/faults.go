package qualystest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a failure injected into one request (see Server.Fail).
type Fault struct {
	kind        faultKind
	status      int
	body        []byte
	contentType string
	delay       time.Duration
	n           int64
}

type faultKind int

const (
	faultStatus faultKind = iota + 1
	faultSlow
	faultExpiredToken
	faultResetBeforeResponse
	faultResetAfterHeaders
	faultResetAfterBytes
	faultTruncateBody
)

// Status answers the request with code and body instead of serving it,
// without rate-limit headers. The Content-Type follows the body: JSON for
// a body starting with { or [, HTML for <, else text.
func Status(code int, body string) Fault {
	ct := "text/plain; charset=utf-8"
	switch t := strings.TrimSpace(body); {
	case strings.HasPrefix(t, "{"), strings.HasPrefix(t, "["):
		ct = "application/json"
	case strings.HasPrefix(t, "<"):
		ct = "text/html; charset=utf-8"
	}
	return Fault{kind: faultStatus, status: code, body: []byte(body), contentType: ct}
}

// HTMLError answers with code and an HTML error page, as a load balancer in
// front of the gateway does (typically 502, 503 or 504).
func HTMLError(code int) Fault {
	text := strconv.Itoa(code) + " " + http.StatusText(code)
	return Status(code, "<html>\r\n<head><title>"+text+"</title></head>\r\n<body>\r\n<center><h1>"+text+
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
}

// Conflict answers 409 with a CAR error body carrying a classic throttling
// code: 1960 (too many concurrent calls) or 1965 (rate limit), the way the
// classic API signals throttling.
func Conflict(code int) Fault {
	msg := "Rate limit exceeded, please wait before retrying."
	if code == 1960 {
		msg = "Concurrency limit exceeded, please wait until a running call completes."
	}
	return Status(http.StatusConflict, fmt.Sprintf(`{"errorCode":"%d","message":%q}`, code, msg))
}

// TooManyRequests answers 429 with no rate-limit header and no body, so a
// client must fall back to its own backoff.
func TooManyRequests() Fault {
	return Fault{kind: faultStatus, status: http.StatusTooManyRequests}
}

// Slow delays the request by d, then serves it normally; a client timeout
// shorter than d sees the request time out.
func Slow(d time.Duration) Fault { return Fault{kind: faultSlow, delay: d} }

// ExpiredToken answers 401 "JWT expired" to this one request, whatever
// token it carries (ExpireTokens expires every token instead).
func ExpiredToken() Fault { return Fault{kind: faultExpiredToken} }

// ResetBeforeResponse resets the TCP connection (RST) before any byte of
// the response: the client gets a connection error and cannot know
// whether the request was processed.
func ResetBeforeResponse() Fault { return Fault{kind: faultResetBeforeResponse} }

// ResetAfterHeaders serves the request, sends the status line and headers,
// then resets the connection: the body read fails.
func ResetAfterHeaders() Fault { return Fault{kind: faultResetAfterHeaders} }

// ResetAfterBytes serves the request and resets the connection after n
// bytes of the body (on the wire, so gzip bytes for a compressed posture
// stream): a stream broken mid-body, as Qualys documents it for postureInfo.
func ResetAfterBytes(n int64) Fault { return Fault{kind: faultResetAfterBytes, n: n} }

// TruncateBody serves the request but ends the body after n bytes with a
// clean close: the response has neither Content-Length nor chunked framing,
// so the HTTP layer sees a normal end of body and only the payload (JSON,
// gzip) reveals the truncation.
func TruncateBody(n int64) Fault { return Fault{kind: faultTruncateBody, n: n} }

// Repeat returns n copies of f, for Fail.
func Repeat(n int, f Fault) []Fault {
	out := make([]Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// String names the fault, for logs and test messages.
func (f Fault) String() string {
	switch f.kind {
	case faultStatus:
		return fmt.Sprintf("Status(%d)", f.status)
	case faultSlow:
		return fmt.Sprintf("Slow(%s)", f.delay)
	case faultExpiredToken:
		return "ExpiredToken"
	case faultResetBeforeResponse:
		return "ResetBeforeResponse"
	case faultResetAfterHeaders:
		return "ResetAfterHeaders"
	case faultResetAfterBytes:
		return fmt.Sprintf("ResetAfterBytes(%d)", f.n)
	case faultTruncateBody:
		return fmt.Sprintf("TruncateBody(%d)", f.n)
	}
	return "Fault(none)"
}

// faultQueues holds the faults waiting for requests, one queue per target.
type faultQueues struct {
	mu sync.Mutex
	q  map[string][]Fault
}

func newFaultQueues() *faultQueues { return &faultQueues{q: map[string][]Fault{}} }

// AnyRequest is the Fail target that matches every request, /auth included.
const AnyRequest = "*"

// Fail queues faults for the next requests to target: an operationId
// ("executeScript", "getPostureInfoV5", "createPcrsToken"), a path
// ("/pcrs/5.0/posture/postureInfo", "/auth") or AnyRequest. Each request
// takes the first fault of the first non-empty queue among its
// operationId, its path and AnyRequest, then is otherwise handled as
// usual; once the queues are empty requests are served normally. Faults
// apply before authentication, so they hit the request whatever its token.
func (s *Server) Fail(target string, faults ...Fault) {
	q := s.faults
	q.mu.Lock()
	defer q.mu.Unlock()
	q.q[target] = append(q.q[target], faults...)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	q := s.faults
	q.mu.Lock()
	defer q.mu.Unlock()
	q.q = map[string][]Fault{}
}

// PendingFaults returns how many faults are still queued for target.
func (s *Server) PendingFaults(target string) int {
	q := s.faults
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.q[target])
}

func (q *faultQueues) pop(keys ...string) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range append(keys, AnyRequest) {
		if fs := q.q[k]; len(fs) > 0 {
			q.q[k] = fs[1:]
			return fs[0], true
		}
	}
	return Fault{}, false
}

// applyFault starts a fault on a request. It returns the writer the rest of
// the request must use, and done when the fault has answered already.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, c *call, f Fault) (http.ResponseWriter, bool) {
	switch f.kind {
	case faultStatus:
		if f.contentType != "" {
			w.Header().Set("Content-Type", f.contentType)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
		w.WriteHeader(f.status)
		w.Write(f.body)
		return w, true
	case faultSlow:
		s.sleepOrAbort(r, f.delay)
		return w, false
	case faultExpiredToken:
		if c.api == apiAuth {
			return w, false
		}
		s.unauthorized(w, r, c, "JWT expired")
		return w, true
	case faultResetBeforeResponse:
		resetConnection(w, false)
		return w, true
	}
	return &faultWriter{ResponseWriter: w, f: f}, false
}

// errFaultInjected stops a handler writing into a connection a fault broke.
var errFaultInjected = errors.New("qualystest: connection broken by an injected fault")

// faultWriter carries out the faults that let the response start.
type faultWriter struct {
	http.ResponseWriter
	f           Fault
	wroteHeader bool
	written     int64
	broken      bool
}

func (w *faultWriter) WriteHeader(code int) {
	if w.wroteHeader || w.broken {
		return
	}
	w.wroteHeader = true
	if w.f.kind == faultTruncateBody {
		// Close-delimited body: no length, no chunks, connection closed
		// after the reply.
		h := w.Header()
		h.Del("Content-Length")
		h.Set("Transfer-Encoding", "identity")
	}
	w.ResponseWriter.WriteHeader(code)
	if w.f.kind == faultResetAfterHeaders {
		w.broken = true
		resetConnection(w.ResponseWriter, true)
	}
}

func (w *faultWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.broken {
		return 0, errFaultInjected
	}
	if w.f.kind == faultResetAfterBytes || w.f.kind == faultTruncateBody {
		if left := w.f.n - w.written; int64(len(p)) >= left {
			n, _ := w.ResponseWriter.Write(p[:left])
			w.written += int64(n)
			w.broken = true
			if w.f.kind == faultResetAfterBytes {
				resetConnection(w.ResponseWriter, true)
			}
			return n, errFaultInjected
		}
	}
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	return n, err
}

func (w *faultWriter) Flush() {
	if !w.broken {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

func (w *faultWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// resetConnection takes the connection over and closes it with a TCP reset
// (SO_LINGER 0), skipping the TLS close_notify a clean close would send.
// With flush, what the response has buffered goes out first (flushing
// would also send the headers of a response not started yet).
func resetConnection(w http.ResponseWriter, flush bool) {
	rc := http.NewResponseController(w)
	if flush {
		_ = rc.Flush()
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	raw.Close()
}
