package qualys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/gen/pcrs"
)

// ErrUnexpectedBody is wrapped when a successful response does not carry
// the documented JSON: an HTML page from a proxy, a truncated or empty
// body, another content type. The error names the status and content type.
var ErrUnexpectedBody = errors.New("qualys: unexpected response body")

// Client drives both Qualys APIs through one authenticated authTransport. The
// generated clients are exposed as they are, for every operation; the
// methods on Client add what the generated code cannot: iterators over
// paginated searches, decoded base64, streamed posture records and errors
// that say what went wrong.
type Client struct {
	// CAR is the generated client of the CAR API (/sm/...).
	CAR *car.ClientWithResponses
	// PCRS is the generated client of the PCRS API (/pcrs/...).
	PCRS *pcrs.ClientWithResponses

	transport *authTransport
	http      *http.Client
	gateway   string
	maxRecord int64 // bound on one streamed posture record
}

// NewClient builds a client from options; see newAuthTransport for where the
// gateway and credentials come from. It does no I/O: the first call
// fetches the token.
func NewClient(opts ...Option) (*Client, error) {
	cfg, err := newConfig(opts...)
	if err != nil {
		return nil, err
	}
	t, ts, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}
	hc := t.Client()
	gateway := ts.GatewayURL()
	carClient, err := car.NewClientWithResponses(gateway, car.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("qualys: building the CAR client: %w", err)
	}
	pcrsClient, err := pcrs.NewClientWithResponses(gateway, pcrs.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("qualys: building the PCRS client: %w", err)
	}
	return &Client{CAR: carClient, PCRS: pcrsClient, transport: t, http: hc, gateway: gateway, maxRecord: cfg.maxRecord}, nil
}

// GatewayURL is the gateway every request goes to, e.g.
// "https://gateway.qg2.apps.qualys.com".
func (c *Client) GatewayURL() string { return c.gateway }

// HTTPClient returns the authenticated *http.Client, for requests the
// generated clients do not cover, or as the HttpRequestDoer of a generated
// client built by hand: it adds the token and retries like every call.
func (c *Client) HTTPClient() *http.Client { return c.http }

// LastRateLimit returns the rate-limit state of the latest response that
// reported one for the API a path belongs to (see rateKey), and false
// when none has yet.
func (c *Client) LastRateLimit(path string) (RateLimit, bool) {
	return c.transport.LastRateLimit(path)
}

// checkResponse turns a generated client's response into an error: nil
// for a 2xx, otherwise the *APIError the status and body describe. body is
// the generated response's Body field.
func checkResponse(resp *http.Response, body []byte) error {
	if resp == nil {
		return fmt.Errorf("%w: no response", ErrUnexpectedBody)
	}
	if isSuccess(resp.StatusCode) {
		return nil
	}
	return parseErrorResponse(resp, body)
}

// call sends one request through a generated client's raw method and
// parses it with the matching generated parser, so every failure (network,
// HTTP status, truncated or non-JSON body) becomes one descriptive error.
func call[R any](ctx context.Context, op string, send func(context.Context) (*http.Response, error), parse func(*http.Response) (R, error)) (R, error) {
	var zero R
	resp, err := send(ctx)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return zero, fmt.Errorf("qualys: %s: %w", op, ctxErr)
		}
		return zero, scrubError("qualys: "+op+": ", err, nil)
	}
	// The transport bounds every body (see Transport.RoundTrip), so this
	// read is bounded too.
	body, n, err := readAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		switch {
		case ctx.Err() != nil:
			// The body was cut because the caller gave up: say so,
			// rather than blame the server.
			return zero, fmt.Errorf("qualys: %s: %w", op, ctx.Err())
		case errors.Is(err, ErrBodyTooLarge):
			return zero, err
		case !isSuccess(resp.StatusCode):
			return zero, parseErrorResponse(resp, body)
		}
		return zero, fmt.Errorf("qualys: %s: HTTP %d (%s): body cut after %d bytes: %w: %w",
			op, resp.StatusCode, contentType(resp), n, ErrUnexpectedBody, scrubError("", err, nil))
	}
	if !isSuccess(resp.StatusCode) {
		return zero, parseErrorResponse(resp, body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(strings.ToLower(ct), "json") && looksLikeJSON(body) {
		// The generated parsers decode only bodies labelled JSON; Qualys
		// does not document the content type of every answer, and a
		// proxy may relabel it, so a JSON body is decoded whatever its
		// label says.
		resp.Header = resp.Header.Clone()
		resp.Header.Set("Content-Type", "application/json")
	}
	parsed, err := parse(resp)
	if err != nil {
		if ctx.Err() != nil {
			// The body may have ended early, cleanly, because the
			// caller's context ended mid-read (seen on a busy
			// machine): the cut is the caller's, not the server's.
			return zero, fmt.Errorf("qualys: %s: %w", op, ctx.Err())
		}
		return zero, unexpectedBody(op, resp, body, err)
	}
	return parsed, nil
}

// readAll reads a body whole. It reads into blocks of growing size and
// joins them once at the end into a buffer of the exact size, so a body
// that fails (too large, cut) never costs more than what was read, and a
// complete one at most twice its size, where appending to one buffer
// would cost up to twice again at each growth. On error, the bytes read
// are returned only when they are few enough to describe (error bodies are
// capped far below); n counts them all.
func readAll(r io.Reader) (body []byte, n int, err error) {
	var blocks [][]byte
	size := 4 << 10
	for {
		buf := make([]byte, size)
		m := 0
		var rerr error
		for m < len(buf) && rerr == nil {
			var k int
			k, rerr = r.Read(buf[m:])
			m += k
		}
		blocks = append(blocks, buf[:m])
		n += m
		if rerr == io.EOF {
			return bytes.Join(blocks, nil), n, nil
		}
		if rerr != nil {
			if n > maxErrorBody {
				return nil, n, rerr
			}
			return bytes.Join(blocks, nil), n, rerr
		}
		size = min(2*size, 1<<20)
	}
}

// unexpectedBody describes a 2xx body that is not the documented JSON.
func unexpectedBody(op string, resp *http.Response, body []byte, cause error) error {
	msg := "qualys: " + op + ": " + describeBody(resp.StatusCode, resp.Header.Get("Content-Type"), body)
	if cause != nil {
		return fmt.Errorf("%s: %w: %w", msg, ErrUnexpectedBody, scrubError("", cause, nil))
	}
	return fmt.Errorf("%s: %w", msg, ErrUnexpectedBody)
}

// decoded returns v, or an ErrUnexpectedBody error when the generated
// parser left it nil (it only decodes bodies labelled JSON).
func decoded[T any](op string, resp *http.Response, body []byte, v *T) (*T, error) {
	if v == nil {
		return nil, unexpectedBody(op, resp, body, nil)
	}
	return v, nil
}

// looksLikeJSON reports whether a body starts like a JSON object or array.
func looksLikeJSON(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// contentType names a response's content type for messages, scrubbed
// like any server text.
func contentType(resp *http.Response) string {
	if ct := scrubServerText(resp.Header.Get("Content-Type"), 100, nil); ct != "" {
		return ct
	}
	return "no content type"
}
