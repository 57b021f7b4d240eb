package qualys_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/syncbuf"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// faultEnv is what a fault case works with: a client of a fresh
// simulator, the simulator, and the client's debug log.
type faultEnv struct {
	c    *qualys.Client
	sim  *qualystest.Server
	logs *syncbuf.Buffer
}

// headerAdder adds headers to the first n responses with a status, the
// way a gateway in front of the simulator would (the simulator's faults
// carry no rate-limit headers).
type headerAdder struct {
	base   http.RoundTripper
	status int
	n      int32
	h      http.Header
	done   atomic.Int32
}

func (a *headerAdder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(r)
	if err == nil && resp.StatusCode == a.status && a.done.Add(1) <= a.n {
		for k, v := range a.h {
			resp.Header[k] = v
		}
	}
	return resp, err
}

// bodyCorrupter flips one byte of the first postureInfo body, at the
// offset pick chooses from the body's length: damage on the wire that
// TCP checksums missed, or a proxy that rewrote a gzip stream.
type bodyCorrupter struct {
	base http.RoundTripper
	pick func(n int) int
	done atomic.Bool
}

func (b *bodyCorrupter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/postureInfo") || resp.StatusCode != http.StatusOK || b.done.Swap(true) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		body[b.pick(len(body))] ^= 0x5a
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func newFaultEnv(t *testing.T, simOpts []qualystest.Option, wrap func(http.RoundTripper) http.RoundTripper, opts ...qualys.Option) *faultEnv {
	t.Helper()
	sim := qualystest.NewServer(t, simOpts...)
	hc := *sim.Client()
	if wrap != nil {
		hc.Transport = wrap(hc.Transport)
	}
	logs := &syncbuf.Buffer{}
	base := []qualys.Option{qualys.WithHTTPClient(&hc), fastRetries(),
		qualys.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))}
	c := clientOf(t, sim, append(base, opts...)...)
	return &faultEnv{c: c, sim: sim, logs: logs}
}

// postureOf builds the postureInfo request for every host of the first
// policy.
func (e *faultEnv) postureOf(t *testing.T) qualys.PostureRequest {
	t.Helper()
	policy := wire.NewID(e.sim.Data().Policies[0].ID)
	hosts, err := e.c.HostIDs(context.Background(), []wire.ID{policy}, time.Time{})
	if err != nil || len(hosts) == 0 {
		t.Fatalf("host ids: %v", err)
	}
	return qualys.PostureRequest{Policies: []pcrs.PostureInfoRequestItem{{PolicyID: policy, SubscriptionID: hosts[0].SubscriptionID, HostIDs: hosts[0].HostIDs}}}
}

// stream reads a posture stream to its end or first error.
func stream(ctx context.Context, c *qualys.Client, req qualys.PostureRequest) (records []pcrs.PostureRecord, err error) {
	for rec, err := range c.PostureStream(ctx, req) {
		if err != nil {
			return records, err
		}
		records = append(records, rec)
	}
	return records, nil
}

// mustMatch fails unless err matches every target.
func mustMatch(t *testing.T, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error matching %v, got success", targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("error %v does not match %v", err, target)
		}
	}
}

func mustCount(t *testing.T, sim *qualystest.Server, target string, want int) {
	t.Helper()
	if got := sim.Count(target); got != want {
		t.Errorf("%s received %d requests, want %d", target, got, want)
	}
}

// TestReliabilityMoreFaults continues the fault table of
// docs/reliability.md: throttling with the gateway's headers, /auth
// failures, bodies cut or damaged mid-way, and posture streams whose
// records must be kept or refused whole.
func TestReliabilityMoreFaults(t *testing.T) {
	noPCRSBudget := qualys.WithPCRSRateLimit(0, 0) // let the simulator do the throttling
	tests := []struct {
		name    string
		simOpts []qualystest.Option
		wrap    func(http.RoundTripper) http.RoundTripper
		opts    []qualys.Option
		run     func(t *testing.T, ctx context.Context, e *faultEnv)
	}{
		{name: "429 with X-RateLimit-ToWait-Sec from the gateway's own limit is waited out",
			simOpts: []qualystest.Option{qualystest.WithRateLimit(2, time.Second)}, opts: []qualys.Option{noPCRSBudget},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				for i := 0; i < 3; i++ {
					if _, err := collect(e.c.Policies(ctx, time.Time{})); err != nil {
						t.Fatalf("call %d: %v", i+1, err)
					}
				}
				mustCount(t, e.sim, "listPoliciesV2", 4) // the third was refused once, then served
				if !strings.Contains(e.logs.String(), "wait_source=X-RateLimit-ToWait-Sec") {
					t.Errorf("the wait did not come from the header:\n%s", e.logs)
				}
				if rl, ok := e.c.LastRateLimit("/pcrs/2.0/posture/policy/list"); !ok || rl.Limit == nil || *rl.Limit != 2 {
					t.Errorf("rate state %+v, %v", rl, ok)
				}
			}},
		{name: "429 asking for a wait beyond WithMaxThrottleWait fails at once",
			simOpts: []qualystest.Option{qualystest.WithRateLimit(1, time.Minute)}, opts: []qualys.Option{noPCRSBudget, qualys.WithMaxThrottleWait(time.Second)},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				if _, err := collect(e.c.Policies(ctx, time.Time{})); err != nil {
					t.Fatal(err)
				}
				_, err := collect(e.c.Policies(ctx, time.Time{}))
				var rle *qualys.RateLimitError
				if !errors.As(err, &rle) || rle.Wait <= rle.MaxWait || rle.APIError == nil || rle.APIError.StatusCode != 429 {
					t.Fatalf("got %v, want a *RateLimitError for a 429", err)
				}
				mustMatch(t, err, qualys.ErrRateLimited)
				mustCount(t, e.sim, "listPoliciesV2", 2)
			}},
		{name: "409 code 1965 with a ToWait header beyond the cap fails at once with the code",
			wrap: func(rt http.RoundTripper) http.RoundTripper {
				return &headerAdder{base: rt, status: 409, n: 1, h: http.Header{"X-Ratelimit-Towait-Sec": {"600"}, "X-Ratelimit-Remaining": {"0"}}}
			},
			opts: []qualys.Option{qualys.WithMaxThrottleWait(5 * time.Second)},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("listPoliciesV2", qualystest.Conflict(1965))
				_, err := collect(e.c.Policies(ctx, time.Time{}))
				var rle *qualys.RateLimitError
				if !errors.As(err, &rle) || rle.Wait != 10*time.Minute || rle.APIError.Code != "1965" {
					t.Fatalf("got %v, want a *RateLimitError asking 10m with code 1965", err)
				}
				mustCount(t, e.sim, "listPoliciesV2", 1)
			}},
		{name: "409 code 1960 with X-RateLimit-ToWait-Sec 1 is waited out and re-sent",
			wrap: func(rt http.RoundTripper) http.RoundTripper {
				return &headerAdder{base: rt, status: 409, n: 1, h: http.Header{"X-Ratelimit-Towait-Sec": {"1"}}}
			},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("searchJobs", qualystest.Conflict(1960))
				if err := jobs(ctx, e.c); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(e.logs.String(), "wait_source=X-RateLimit-ToWait-Sec") {
					t.Errorf("the wait did not come from the header:\n%s", e.logs)
				}
			}},
		{name: "503 with Retry-After is retried after the server's wait",
			wrap: func(rt http.RoundTripper) http.RoundTripper {
				return &headerAdder{base: rt, status: 503, n: 1, h: http.Header{"Retry-After": {"1"}}}
			},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("listPoliciesV2", qualystest.HTMLError(503))
				if _, err := collect(e.c.Policies(ctx, time.Time{})); err != nil {
					t.Fatal(err)
				}
				mustCount(t, e.sim, "listPoliciesV2", 2)
				if !strings.Contains(e.logs.String(), "wait_source=Retry-After") {
					t.Errorf("Retry-After was not used:\n%s", e.logs)
				}
			}},
		{name: "409 code 1965 beyond the retry budget", opts: []qualys.Option{qualys.WithMaxRetries(2)},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("listPoliciesV2", qualystest.Repeat(5, qualystest.Conflict(1965))...)
				_, err := collect(e.c.Policies(ctx, time.Time{}))
				mustMatch(t, err, qualys.ErrRateLimited)
				var apiErr *qualys.APIError
				if !errors.As(err, &apiErr) || apiErr.Code != "1965" || errors.Is(err, qualys.ErrConflict) {
					t.Errorf("got %v, want the 1965 throttle, not a conflict", err)
				}
				mustCount(t, e.sim, "listPoliciesV2", 3)
			}},
		{name: "501 is not retried",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("listPoliciesV2", qualystest.HTMLError(501))
				_, err := collect(e.c.Policies(ctx, time.Time{}))
				mustMatch(t, err, qualys.ErrServer)
				mustCount(t, e.sim, "listPoliciesV2", 1)
			}},
		{name: "connection reset mid-body on a GET",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("listPoliciesV2", qualystest.ResetAfterBytes(20))
				_, err := collect(e.c.Policies(ctx, time.Time{}))
				mustMatch(t, err, qualys.ErrUnexpectedBody)
				if !strings.Contains(err.Error(), "body cut after 20 bytes") {
					t.Errorf("error %v does not say where the body was cut", err)
				}
			}},
		{name: "connection reset mid-body on a CAR search page",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("searchJobs", qualystest.Slow(0), qualystest.ResetAfterBytes(50)) // page 2
				n := 0
				var last error
				for _, err := range e.c.Jobs(ctx, qualys.WithPageSize(3)) {
					if last = err; err != nil {
						break
					}
					n++
				}
				mustMatch(t, last, qualys.ErrUnexpectedBody)
				if n != 3 {
					t.Errorf("%d jobs before the error, want the 3 of page 1", n)
				}
			}},
		{name: "JSON body truncated on a GET",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("listPoliciesV2", qualystest.TruncateBody(30))
				list, err := collect(e.c.Policies(ctx, time.Time{}))
				mustMatch(t, err, qualys.ErrUnexpectedBody)
				if list != nil {
					t.Errorf("a partial result %+v", list)
				}
			}},
		{name: "connection reset before the response on a CAR search is retried",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("searchJobs", qualystest.ResetBeforeResponse())
				if err := jobs(ctx, e.c); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "/auth 503 once, then a token",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("/auth", qualystest.HTMLError(503))
				if _, err := collect(e.c.Policies(ctx, time.Time{})); err != nil {
					t.Fatal(err)
				}
				mustCount(t, e.sim, "/auth", 2)
			}},
		{name: "/auth connection reset, then a token",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("/auth", qualystest.ResetBeforeResponse())
				if _, err := collect(e.c.Policies(ctx, time.Time{})); err != nil {
					t.Fatal(err)
				}
				mustCount(t, e.sim, "/auth", 2)
			}},
		{name: "/auth answering 200 with an HTML page is not a token",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("/auth", qualystest.Status(200, "<html><body>Please log in</body></html>"))
				_, err := collect(e.c.Policies(ctx, time.Time{}))
				if err == nil || !strings.Contains(err.Error(), "not a token") || strings.Contains(err.Error(), "Please log in") {
					t.Fatalf("got %v, want a not-a-token error that does not echo the page", err)
				}
				mustCount(t, e.sim, "/auth", 1)
				mustCount(t, e.sim, "listPoliciesV2", 0)
			}},
		{name: "expired token on an execute is replayed once with a new token",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("executeScript", qualystest.ExpiredToken())
				if _, err := e.c.ExecuteScript(ctx, wire.NewID(32533), qualys.Execution{AssetIDs: []wire.ID{wire.NewID(1)}}); err != nil {
					t.Fatal(err)
				}
				mustCount(t, e.sim, "executeScript", 2)
				mustCount(t, e.sim, "/auth", 2)
			}},
		{name: "expired token whose refresh first meets a 503",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				if _, err := collect(e.c.Policies(ctx, time.Time{})); err != nil {
					t.Fatal(err)
				}
				e.sim.Fail("listPoliciesV2", qualystest.ExpiredToken())
				e.sim.Fail("/auth", qualystest.HTMLError(503))
				if _, err := collect(e.c.Policies(ctx, time.Time{})); err != nil {
					t.Fatal(err)
				}
				mustCount(t, e.sim, "/auth", 3)
				mustCount(t, e.sim, "listPoliciesV2", 3)
			}},
		{name: "every token expired under 8 concurrent callers: one refresh",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				if _, err := collect(e.c.Policies(ctx, time.Time{})); err != nil {
					t.Fatal(err)
				}
				e.sim.ExpireTokens()
				var wg sync.WaitGroup
				errs := make(chan error, 8)
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := collect(e.c.Policies(ctx, time.Time{}))
						errs <- err
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Error(err)
					}
				}
				mustCount(t, e.sim, "/auth", 2)
			}},
		{name: "slow /auth past the caller's deadline does not poison the next call",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				e.sim.Fail("/auth", qualystest.Slow(2*time.Second))
				short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
				_, err := collect(e.c.Policies(short, time.Time{}))
				mustMatch(t, err, context.DeadlineExceeded)
				if _, err := collect(e.c.Policies(ctx, time.Time{})); err != nil {
					t.Fatalf("the next call: %v", err)
				}
			}},
		{name: "500 on postureInfo is retried: a read despite POST",
			simOpts: []qualystest.Option{qualystest.WithHosts(20)},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				req := e.postureOf(t)
				clean, err := stream(ctx, e.c, req)
				if err != nil || len(clean) == 0 {
					t.Fatalf("clean stream: %d records, %v", len(clean), err)
				}
				e.sim.Fail("getPostureInfoV5", qualystest.Status(500, `{"message":"boom"}`))
				got, err := stream(ctx, e.c, req)
				if err != nil || len(got) != len(clean) {
					t.Fatalf("%d records (want %d), %v", len(got), len(clean), err)
				}
				mustCount(t, e.sim, "getPostureInfoV5", 3)
			}},
		{name: "posture stream cut mid-body keeps the records read and names the cause",
			simOpts: []qualystest.Option{qualystest.WithHosts(30)},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				req := e.postureOf(t)
				clean, _ := stream(ctx, e.c, req)
				e.sim.Fail("getPostureInfoV5", qualystest.ResetAfterBytes(6000))
				got, err := stream(ctx, e.c, req)
				mustMatch(t, err, qualys.ErrUnexpectedBody)
				var netErr net.Error
				if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &netErr) && !strings.Contains(err.Error(), "reset") {
					t.Errorf("error %v does not name the cut", err)
				}
				if len(got) == 0 || len(got) >= len(clean) {
					t.Errorf("%d of %d records before the cut: want some, not all", len(got), len(clean))
				}
				for i := range got {
					if got[i].HostID != clean[i].HostID {
						t.Fatalf("record %d is host %v, want %v", i, got[i].HostID, clean[i].HostID)
					}
				}
			}},
		{name: "posture stream truncated with a clean close is an error, never a short result",
			simOpts: []qualystest.Option{qualystest.WithHosts(30)},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				req := e.postureOf(t)
				clean, _ := stream(ctx, e.c, req)
				e.sim.Fail("getPostureInfoV5", qualystest.TruncateBody(6000))
				got, err := stream(ctx, e.c, req)
				mustMatch(t, err, qualys.ErrUnexpectedBody, io.ErrUnexpectedEOF)
				if len(got) >= len(clean) {
					t.Errorf("%d of %d records from a truncated body", len(got), len(clean))
				}
			}},
		{name: "posture gzip trailer corrupted: every record, then a checksum error",
			simOpts: []qualystest.Option{qualystest.WithHosts(20)},
			wrap: func(rt http.RoundTripper) http.RoundTripper {
				return &bodyCorrupter{base: rt, pick: func(n int) int { return n - 6 }} // inside the CRC-32
			},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				req := e.postureOf(t)
				got, err := stream(ctx, e.c, req)
				mustMatch(t, err, qualys.ErrUnexpectedBody, gzip.ErrChecksum)
				clean, cerr := stream(ctx, e.c, req) // the corrupter fires once
				if cerr != nil || len(got) != len(clean) {
					t.Errorf("%d records before the checksum error, %d in a clean stream (%v)", len(got), len(clean), cerr)
				}
			}},
		{name: "posture gzip data corrupted mid-stream",
			simOpts: []qualystest.Option{qualystest.WithHosts(20)},
			wrap: func(rt http.RoundTripper) http.RoundTripper {
				return &bodyCorrupter{base: rt, pick: func(n int) int { return n / 2 }}
			},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				req := e.postureOf(t)
				got, err := stream(ctx, e.c, req)
				mustMatch(t, err, qualys.ErrUnexpectedBody)
				clean, _ := stream(ctx, e.c, req)
				if len(got) >= len(clean) {
					t.Errorf("%d of %d records from a damaged body", len(got), len(clean))
				}
			}},
		{name: "posture answered by a 502 page, retries off",
			opts: []qualys.Option{qualys.WithMaxRetries(0)},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				req := e.postureOf(t)
				e.sim.Fail("getPostureInfoV5", qualystest.HTMLError(502))
				got, err := stream(ctx, e.c, req)
				mustMatch(t, err, qualys.ErrServer)
				var apiErr *qualys.APIError
				if !errors.As(err, &apiErr) || !strings.Contains(apiErr.ContentType, "text/html") || len(got) != 0 {
					t.Errorf("got %d records and %v", len(got), err)
				}
			}},
		{name: "posture 200 with an HTML page",
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				req := e.postureOf(t)
				e.sim.Fail("getPostureInfoV5", qualystest.Status(200, "<html><body>Maintenance</body></html>"))
				got, err := stream(ctx, e.c, req)
				mustMatch(t, err, qualys.ErrUnexpectedBody)
				if len(got) != 0 {
					t.Errorf("%d records from an HTML page", len(got))
				}
			}},
		{name: "posture stream cancelled after the first record",
			simOpts: []qualystest.Option{qualystest.WithHosts(30)},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				req := e.postureOf(t)
				e.sim.Fail("getPostureInfoV5", qualystest.Slow(0))
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				n := 0
				var last error
				for _, err := range e.c.PostureStream(cctx, req) {
					if last = err; err != nil {
						break
					}
					if n++; n == 1 {
						cancel()
					}
				}
				// The records already buffered may still arrive; the
				// stream must end with the cancellation, not success.
				mustMatch(t, last, context.Canceled)
			}},
		{name: "FetchPosture across a truncated batch: every record once, or an error",
			simOpts: []qualystest.Option{qualystest.WithHosts(30)},
			run: func(t *testing.T, ctx context.Context, e *faultEnv) {
				query := qualys.PostureQuery{PolicyIDs: []wire.ID{wire.NewID(e.sim.Data().Policies[0].ID)}}
				count := func() (map[string]int, error) {
					seen := map[string]int{}
					for rec, err := range e.c.FetchPosture(ctx, query, qualys.WithConcurrency(2), qualys.WithBatchSize(10)) {
						if err != nil {
							return seen, err
						}
						seen[fmt.Sprint(rec.PolicyID, "/", rec.HostID, "/", rec.ControlID, "/", rec.ID)]++
					}
					return seen, nil
				}
				clean, err := count()
				if err != nil || len(clean) == 0 {
					t.Fatalf("clean fetch: %d records, %v", len(clean), err)
				}
				e.sim.Fail("getPostureInfoV5", qualystest.TruncateBody(3000))
				got, err := count()
				if err != nil {
					mustMatch(t, err, qualys.ErrUnexpectedBody)
					return
				}
				if len(got) != len(clean) {
					t.Errorf("%d distinct records without an error, want %d", len(got), len(clean))
				}
				for k, n := range got {
					if n != 1 {
						t.Errorf("record %s delivered %d times", k, n)
					}
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFaultEnv(t, tt.simOpts, tt.wrap, tt.opts...)
			tt.run(t, context.Background(), e)
		})
	}
}
