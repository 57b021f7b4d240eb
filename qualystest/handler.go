package qualystest

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// apiKind tells which API family a request belongs to; error bodies,
// authentication failures and rate limits differ between them.
type apiKind int

const (
	apiNone apiKind = iota
	apiAuth
	apiCAR
	apiPCRS
)

// call is what the simulator knows about one request as it goes through
// the pipeline.
type call struct {
	api    apiKind
	spec   *apiSpec
	opID   string
	route  *routers.Route
	params map[string]string
	input  *openapi3filter.RequestValidationInput
	fault  string // name of the fault applied, for the log
	// methodNotAllowed: the path exists with other methods.
	methodNotAllowed bool
}

// handlerFunc serves one operation once the request is authenticated,
// within its rate limit and valid.
type handlerFunc func(s *Server, w http.ResponseWriter, r *http.Request, c *call)

// ServeHTTP runs every request through the same steps a gateway would:
// latency, counting, injected faults, authentication, rate limit, request
// validation, and finally the operation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		panic(http.ErrAbortHandler)
	}
	defer s.leave()
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	c := s.classify(r)
	defer func() { s.logRequest(r, c, rec, start) }()

	s.sleepOrAbort(r, time.Duration(s.latency.Load()))
	keys := c.keys(r)
	s.count(keys...)
	var out http.ResponseWriter = rec
	if f, ok := s.faults.pop(keys...); ok {
		c.fault = f.String()
		var done bool
		out, done = s.applyFault(rec, r, c, f)
		if done {
			return
		}
	}
	if c.route == nil {
		s.notFound(out, r, c)
		return
	}
	if c.api == apiAuth {
		s.handleAuth(out, r, c)
		return
	}
	if !s.authenticate(out, r, c) || !s.admit(out, r, c) {
		return
	}
	if err := s.validateRequest(r, c); err != nil {
		s.rejectRequest(out, r, c, problems(err))
		return
	}
	h, ok := operations[c.opID]
	if !ok {
		s.fail(out, r, c, http.StatusNotImplemented, "operation "+c.opID+" is not simulated")
		return
	}
	h(s, out, r, c)
}

// classify finds the API and operation of a request. A request no
// operation matches keeps a nil route.
func (s *Server) classify(r *http.Request) *call {
	c := &call{}
	switch p := r.URL.Path; {
	case p == "/auth":
		c.api, c.spec = apiAuth, s.pcrs
	case strings.HasPrefix(p, "/sm/"):
		c.api, c.spec = apiCAR, s.car
	case strings.HasPrefix(p, "/pcrs/"):
		c.api, c.spec = apiPCRS, s.pcrs
	default:
		return c
	}
	if c.spec == nil {
		return c
	}
	route, params, err := c.spec.router.FindRoute(s.routingRequest(r))
	if err != nil {
		c.methodNotAllowed = errors.Is(err, routers.ErrMethodNotAllowed)
		return c
	}
	c.route, c.params, c.opID = route, params, route.Operation.OperationID
	return c
}

// keys are the names Count and Fail know a request by: its operationId
// (both of them for /auth, which each document declares under its own
// name) and its path.
func (c *call) keys(r *http.Request) []string {
	if c.api == apiAuth {
		return []string{"createPcrsToken", "createCarToken", r.URL.Path}
	}
	if c.opID == "" {
		return []string{r.URL.Path}
	}
	return []string{c.opID, r.URL.Path}
}

func (s *Server) logRequest(r *http.Request, c *call, rec *recorder, start time.Time) {
	l := s.cfg.logger
	if l == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("operation", c.opID),
		slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", time.Since(start)),
	}
	if c.fault != "" {
		attrs = append(attrs, slog.String("fault", c.fault))
	}
	l.LogAttrs(r.Context(), slog.LevelInfo, "qualystest request", attrs...)
}

// recorder remembers the status and size of a response for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
