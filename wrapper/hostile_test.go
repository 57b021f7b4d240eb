package qualys

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	htmlpkg "html"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
)

// Tests against hostile servers: a proxy, a gateway bug or a man in the
// middle with a trusted certificate, sending bodies without end, gzip
// bombs, pages that lie, echoed secrets and requests that never answer.
// Each checks the error class, the exact number of requests, and that the
// live heap stays within maxHeapGrowth of where it started.

// maxHeapGrowth is the most the live heap may grow during one hostile
// exchange. The bounds in the code are far below it (64 KiB per error
// body, 16 MiB per posture record); the failures they prevent grew the heap
// by hundreds of MiB.
const maxHeapGrowth = 64 << 20

// heapGrowth runs f while sampling the live heap (after a collection, so
// garbage does not count) and fails the test when the peak rose more than
// maxHeapGrowth above the heap before f. It returns the growth.
func heapGrowth(t *testing.T, f func()) int64 {
	t.Helper()
	return heapGrowthWithin(t, maxHeapGrowth, f)
}

// heapGrowthWithin is heapGrowth with another bound.
func heapGrowthWithin(t *testing.T, bound int64, f func()) int64 {
	t.Helper()
	live := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := live()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if v := live(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	})
	f()
	close(stop)
	wg.Wait()
	growth := int64(peak.Load()) - int64(base)
	t.Logf("live heap growth: %d KiB", growth>>10)
	if growth > bound {
		t.Errorf("live heap grew by %d MiB, bound %d MiB", growth>>20, bound>>20)
	}
	return growth
}

// writeUntilGone writes head, then fill over and over until the client
// hangs up or limit bytes of fill were written.
func writeUntilGone(w io.Writer, head []byte, fill []byte, limit int64) {
	if _, err := w.Write(head); err != nil {
		return
	}
	for n := int64(0); n < limit; n += int64(len(fill)) {
		if _, err := w.Write(fill); err != nil {
			return
		}
	}
}

// gzipMember is one gzip member holding data; members concatenated form
// one valid gzip stream that expands to their contents in turn, which is
// how a few hundred KiB on the wire become gigabytes.
func gzipMember(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// listPolicies reads the policy list to its end.
func listPolicies(ctx context.Context, c *Client) error {
	for _, err := range c.Policies(ctx, time.Time{}) {
		if err != nil {
			return err
		}
	}
	return nil
}

func mustBe(t *testing.T, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("error %q does not match %v", err, target)
		}
	}
}

func mustNotBe(t *testing.T, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if errors.Is(err, target) {
			t.Fatalf("error %q matches %v", err, target)
		}
	}
}

const posturePath = "/pcrs/5.0/posture/postureInfo"

// TestHostilePostureBodies: posture answers without end, gzip bombs and
// answers that are not records end in an error after one request, in
// bounded memory, with the records before the damage and never a record
// made of nothing.
func TestHostilePostureBodies(t *testing.T) {
	record := `{"id":1,"hostId":7,"policyId":2,"controlId":3,"status":"Passed"}`
	mib := bytes.Repeat([]byte("x"), 1<<20)
	blanks := bytes.Repeat([]byte(" "), 1<<20)
	cases := []struct {
		name    string
		opts    []Option
		serve   func(w http.ResponseWriter)
		records int
		want    []error
		not     []error
		check   func(t *testing.T, err error)
	}{
		{name: "endless JSON string in a record, default limit",
			serve: func(w http.ResponseWriter) {
				writeUntilGone(w, []byte(`[`+record+`,{"id":2,"hostId":7,"policyId":2,"controlId":3,"remediation":"`), mib, 1<<30)
			},
			records: 1, want: []error{ErrBodyTooLarge}, not: []error{ErrUnexpectedBody},
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "16777216-byte limit") || !strings.Contains(err.Error(), "record 1") {
					t.Errorf("error %q does not name the record and the limit", err)
				}
			}},
		{name: "gzip members expanding to an endless string",
			opts: []Option{WithMaxPostureRecordSize(4 << 20)},
			serve: func(w http.ResponseWriter) {
				writeUntilGone(w, gzipMember([]byte(`[`+record+`,{"id":2,"hostId":7,"policyId":2,"controlId":3,"rationale":"`)), gzipMember(mib), 1<<40)
			},
			records: 1, want: []error{ErrBodyTooLarge}},
		{name: "gzip members expanding to endless white space",
			opts: []Option{WithMaxPostureRecordSize(4 << 20)},
			serve: func(w http.ResponseWriter) {
				writeUntilGone(w, gzipMember([]byte(`[`+record+`,`)), gzipMember(blanks), 1<<40)
			},
			records: 1, want: []error{ErrBodyTooLarge}},
		{name: "endless white space before the array",
			opts: []Option{WithMaxPostureRecordSize(1 << 20)},
			serve: func(w http.ResponseWriter) {
				writeUntilGone(w, nil, blanks, 1<<30)
			},
			want: []error{ErrBodyTooLarge}},
		{name: "200 holding a gateway error message",
			serve: func(w http.ResponseWriter) {
				io.WriteString(w, `{"message":"Internal server error"}`)
			},
			want: []error{ErrInBody}, not: []error{ErrUnexpectedBody},
			check: func(t *testing.T, err error) {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.Message != "Internal server error" || apiErr.Operation != "POST "+posturePath {
					t.Errorf("error %#v: want an *APIError carrying the server's message", err)
				}
			}},
		{name: "200 holding a CAR-style error envelope, gzip",
			serve: func(w http.ResponseWriter) {
				w.Write(gzipMember([]byte(`{"errorCode":"E500","message":"backend unavailable"}`)))
			},
			want: []error{ErrInBody},
			check: func(t *testing.T, err error) {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.Code != "E500" || apiErr.Message != "backend unavailable" {
					t.Errorf("error %v: want code E500 and the server's message", err)
				}
			}},
		{name: "bare object that is neither a record nor an error",
			serve: func(w http.ResponseWriter) {
				io.WriteString(w, `{"status":"Passed"}`)
			},
			want: []error{ErrUnexpectedBody},
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "hostId, policyId, controlId") {
					t.Errorf("error %q does not name the missing identifiers", err)
				}
			}},
		{name: "array element without identifiers after a good record",
			serve: func(w http.ResponseWriter) {
				io.WriteString(w, `[`+record+`,{"message":"Internal server error"}]`)
			},
			records: 1, want: []error{ErrUnexpectedBody}},
		{name: "clean close right after a comma between records",
			serve: func(w http.ResponseWriter) {
				io.WriteString(w, `[`+record+`,`+record+`,`)
			},
			records: 2, want: []error{ErrUnexpectedBody, io.ErrUnexpectedEOF}},
		{name: "clean close right after a record",
			serve: func(w http.ResponseWriter) {
				w.Write(gzipMember([]byte(`[` + record + `,` + record)))
			},
			records: 2, want: []error{ErrUnexpectedBody, io.ErrUnexpectedEOF}},
		{name: "a bare record is still one record",
			serve: func(w http.ResponseWriter) {
				io.WriteString(w, record)
			},
			records: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				tc.serve(w)
			})
			c := h.client(t, append([]Option{WithPCRSRateLimit(0, 0)}, tc.opts...)...)
			var recs []pcrs.PostureRecord
			var err error
			heapGrowth(t, func() {
				recs, err = collect(c.PostureStream(context.Background(), postureRequest("7")))
			})
			if len(recs) != tc.records {
				t.Errorf("%d records, want %d", len(recs), tc.records)
			}
			if tc.want == nil && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.want != nil {
				mustBe(t, err, tc.want...)
			}
			mustNotBe(t, err, tc.not...)
			if tc.check != nil {
				tc.check(t, err)
			}
			if n := h.count(posturePath); n != 1 {
				t.Errorf("%d postureInfo requests, want 1", n)
			}
		})
	}
}

const policyListPath = "/pcrs/2.0/posture/policy/list"

// TestHostileWholeBodies: error pages and success bodies without end, plain
// or as gzip bombs, cost one bounded read: error bodies are read up to
// 64 KiB and still classified, success bodies fail at WithMaxResponseSize
// with an error naming the operation and the limit.
func TestHostileWholeBodies(t *testing.T) {
	html := []byte(strings.Repeat("<p>Internal Server Error</p>\n", 1<<10))
	bomb := gzipMember(bytes.Repeat([]byte("<p>Internal Server Error</p>\n"), 100<<20/29))
	const executePath = "/sm/v1/scripts/42/execute"
	execute := func(c *Client) error {
		_, err := c.ExecuteScript(context.Background(), wire.NewID(42), Execution{AssetIDs: []wire.ID{wire.NewID(1)}})
		return err
	}
	policies := func(c *Client) error { return listPolicies(context.Background(), c) }
	cases := []struct {
		name  string
		opts  []Option
		serve func(w http.ResponseWriter)
		do    func(*Client) error
		path  string
		want  []error
		not   []error
		check func(t *testing.T, err error)
		// heap overrides maxHeapGrowth for a body that is held whole up
		// to its limit.
		heap int64
	}{
		{name: "execute answered by 100 MiB of HTML behind a 500",
			serve: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusInternalServerError)
				writeUntilGone(w, nil, html, 100<<20)
			},
			do: execute, path: executePath, want: []error{ErrServer},
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "Internal Server Error") {
					t.Errorf("error %q lost the page's text", err)
				}
			}},
		{name: "execute answered by a gzip bomb behind a 500",
			serve: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "text/html")
				w.Header().Set("Content-Encoding", "gzip")
				w.WriteHeader(http.StatusInternalServerError)
				w.Write(bomb)
			},
			do: execute, path: executePath, want: []error{ErrServer}},
		{name: "success body past WithMaxResponseSize",
			opts: []Option{WithMaxResponseSize(1 << 20)},
			serve: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				writeUntilGone(w, []byte(`{"policyList":[{"title":"`), html, 1<<30)
			},
			do: policies, path: policyListPath, want: []error{ErrBodyTooLarge}, not: []error{ErrUnexpectedBody},
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "GET "+policyListPath) || !strings.Contains(err.Error(), "1048576-byte limit") {
					t.Errorf("error %q does not name the operation and the limit", err)
				}
			}},
		{name: "gzip-encoded success body expanding past the default limit",
			serve: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gzipMember([]byte(`{"policyList":[{"title":"`)))
				// Members of 1 MiB each: 80 MiB expanded, past 64 MiB.
				m := gzipMember(bytes.Repeat([]byte("a"), 1<<20))
				for range 80 {
					if _, err := w.Write(m); err != nil {
						return
					}
				}
			},
			do: policies, path: policyListPath, want: []error{ErrBodyTooLarge},
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "67108864-byte limit") {
					t.Errorf("error %q does not name the default limit", err)
				}
			},
			// What was read up to the limit is held: a body within the
			// limit is parsed whole.
			heap: 2 * defaultMaxBody},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { tc.serve(w) })
			c := h.client(t, append([]Option{WithPCRSRateLimit(0, 0), WithMaxRetries(0)}, tc.opts...)...)
			var err error
			heapGrowthWithin(t, cmp.Or(tc.heap, maxHeapGrowth), func() { err = tc.do(c) })
			mustBe(t, err, tc.want...)
			mustNotBe(t, err, tc.not...)
			if tc.check != nil {
				tc.check(t, err)
			}
			if n := h.count(tc.path); n != 1 {
				t.Errorf("%d requests to %s, want 1", n, tc.path)
			}
		})
	}
}

// TestBodyLimitIsExact: a success body of exactly the limit is read whole;
// one byte more fails.
func TestBodyLimitIsExact(t *testing.T) {
	const limit = 4096
	const prefix, suffix = `{"policyList":[{"title":"`, `"}]}`
	for _, extra := range []int{0, 1} {
		h := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, prefix+strings.Repeat("p", limit+extra-len(prefix)-len(suffix))+suffix)
		})
		c := h.client(t, WithPCRSRateLimit(0, 0), WithMaxResponseSize(limit))
		err := listPolicies(context.Background(), c)
		if extra == 0 && err != nil {
			t.Fatalf("body of exactly the limit: %v", err)
		}
		if extra == 1 {
			mustBe(t, err, ErrBodyTooLarge)
		}
	}
}

const scriptsPath = "/sm/v1/scripts/search"

// scriptPager serves a CAR script search of total records, with a fault:
// how it picks the records of a page, and the total it reports.
type scriptPager struct {
	total int
	// page returns the record numbers of a page, given what was asked.
	page func(number, size int) []int
	// reported is the totalCount of the page asked (default: total).
	reported func(number int) int
}

func (p *scriptPager) serve(w http.ResponseWriter, r *http.Request) {
	var req struct{ PageNumber, PageSize int }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var recs []string
	for _, i := range p.page(req.PageNumber, req.PageSize) {
		recs = append(recs, fmt.Sprintf(`{"id":"%d","title":"script %d"}`, 1000+i, i))
	}
	total := p.total
	if p.reported != nil {
		total = p.reported(req.PageNumber)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"body":{"totalCount":%d,"list":[%s]}}`, total, strings.Join(recs, ","))
}

// honestPage is offset pagination over total records, at most limit per
// page (0: as many as asked).
func honestPage(total, limit int) func(number, size int) []int {
	return func(number, size int) []int {
		if limit > 0 {
			size = min(size, limit)
		}
		var out []int
		for i := number * size; i < total && len(out) < size; i++ {
			out = append(out, i)
		}
		return out
	}
}

// TestHostilePagination: a server that ignores pageNumber, caps its pages,
// stops early, inflates its total or sends more than asked never makes a
// search yield a record twice or end short without an error; a capped page
// size is followed to the end.
func TestHostilePagination(t *testing.T) {
	cases := []struct {
		name     string
		pager    scriptPager
		records  int  // records yielded
		requests int  // search requests
		fails    bool // ends with an error wrapping ErrUnexpectedBody
	}{
		{name: "server ignoring pageNumber",
			pager:   scriptPager{total: 500, page: func(_, size int) []int { return honestPage(500, 0)(0, size) }},
			records: 100, requests: 2, fails: true},
		{name: "server capping pages at 50",
			pager:   scriptPager{total: 500, page: honestPage(500, 50)},
			records: 500, requests: 10},
		{name: "server capping pages at 30 (not a divisor of the total)",
			pager:   scriptPager{total: 500, page: honestPage(500, 30)},
			records: 500, requests: 17},
		{name: "empty page before the total is reached",
			pager: scriptPager{total: 500, page: func(number, size int) []int {
				if number >= 2 {
					return nil
				}
				return honestPage(500, 0)(number, size)
			}},
			records: 200, requests: 3, fails: true},
		{name: "total growing with every page",
			pager:   scriptPager{total: 500, page: honestPage(1<<30, 0), reported: func(number int) int { return 500 + number }},
			records: 100, requests: 2, fails: true},
		{name: "more records than asked for",
			pager:   scriptPager{total: 500, page: func(number, size int) []int { return honestPage(500, 0)(number, size+1) }},
			records: 0, requests: 1, fails: true},
		{name: "more records than the total",
			pager:   scriptPager{total: 50, page: honestPage(500, 0)},
			records: 0, requests: 1, fails: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestServer(t, tc.pager.serve)
			c := h.client(t, WithPCRSRateLimit(0, 0))
			seen := map[string]int{}
			n := 0
			var err error
			heapGrowth(t, func() {
				for rec, e := range c.Scripts(context.Background()) {
					if e != nil {
						err = e
						break
					}
					b, _ := json.Marshal(rec)
					seen[string(b)]++
					n++
				}
			})
			if tc.fails {
				mustBe(t, err, ErrUnexpectedBody)
			} else if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if n != tc.records || len(seen) != n {
				t.Errorf("%d records, %d distinct; want %d, all distinct", n, len(seen), tc.records)
			}
			if got := h.count(scriptsPath); got != tc.requests {
				t.Errorf("%d search requests, want %d", got, tc.requests)
			}
		})
	}
}

// TestPaginateStopsBeforeThePageNumberOverflows: the walk refuses a page
// number past the largest int32 instead of wrapping to page 0 again.
func TestPaginateStopsBeforeThePageNumberOverflows(t *testing.T) {
	if _, err := nextPage(int64(math.MaxInt32)*7, 7); err != nil {
		t.Fatalf("last page number refused: %v", err)
	}
	_, err := nextPage(int64(math.MaxInt32)*7+7, 7)
	mustBe(t, err, ErrUnexpectedBody)
}

// errorStrings is every way an error reaches a person: its verbs and, for
// an *APIError, each field.
func errorStrings(err error) []string {
	out := []string{fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%s", err)}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		out = append(out, apiErr.Code, apiErr.Message, apiErr.RequestID, apiErr.ContentType, apiErr.Operation, fmt.Sprintf("%+v", *apiErr))
	}
	return out
}

// passwordForms are the shapes a gateway may echo the password in.
func passwordForms(pw string) map[string]string {
	return map[string]string{
		"bare":         pw,
		"form-encoded": url.QueryEscape(pw),
		"JSON-escaped": strings.Trim(string(mustJSON(pw)), `"`),
		"HTML-escaped": htmlpkg.EscapeString(pw),
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestHostileSecretsInHeaders: a failed /auth echoing the password in its
// request id, its content type or its body past the point where messages
// are cut, and an API error echoing a token in its headers: no form of the
// secret reaches the error, its fields or the log.
func TestHostileSecretsInHeaders(t *testing.T) {
	// Characters that every encoding changes, so each form differs.
	const pw = `p&ss<"w0rd> x+y/z`
	token := makeJWT(map[string]any{"sub": "echoed"})
	for form, echoed := range passwordForms(pw) {
		for _, place := range []string{"X-Request-Id", "X-Qualys-Request-Id", "Content-Type", "body past the cut"} {
			t.Run(form+" in "+place, func(t *testing.T) {
				h := newTestServer(t, nil, withLogin(testUser, pw), withAuth(func(w http.ResponseWriter, r *http.Request, _ int) {
					body := `{"message":"Bad credentials"}`
					switch place {
					case "body past the cut":
						body = `{"message":"Bad credentials` + strings.Repeat(" ", 700) + `for ` + echoed + `"}`
					case "Content-Type":
						w.Header().Set(place, "application/json; x="+echoed)
					default:
						w.Header().Set(place, "req-"+echoed)
					}
					w.WriteHeader(http.StatusUnauthorized)
					io.WriteString(w, body)
				}))
				var log bytes.Buffer
				c := h.client(t, WithLogger(slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
				err := listPolicies(context.Background(), c)
				mustBe(t, err, ErrUnauthorized)
				for _, s := range append(errorStrings(err), log.String()) {
					for f, v := range passwordForms(pw) {
						if strings.Contains(s, v) {
							t.Fatalf("the %s password reached %q", f, s)
						}
					}
				}
				if n := h.count("/auth"); n != 1 {
					t.Errorf("%d /auth requests, want 1", n)
				}
			})
		}
	}
	t.Run("token in the headers of an API error", func(t *testing.T) {
		h := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", "Bearer "+token)
			w.Header().Set("Content-Type", "text/plain; echo="+token)
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "rejected")
		})
		c := h.client(t, WithPCRSRateLimit(0, 0))
		err := listPolicies(context.Background(), c)
		mustBe(t, err, ErrInvalidRequest)
		for _, s := range errorStrings(err) {
			if strings.Contains(s, token) || jwtRE.MatchString(s) {
				t.Fatalf("a token reached %q", s)
			}
		}
	})
	t.Run("token in the content type of a 200 that is not JSON", func(t *testing.T) {
		h := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; echo="+token)
			io.WriteString(w, "<html>maintenance</html>")
		})
		c := h.client(t, WithPCRSRateLimit(0, 0))
		err := listPolicies(context.Background(), c)
		mustBe(t, err, ErrUnexpectedBody)
		for _, s := range errorStrings(err) {
			if strings.Contains(s, token) {
				t.Fatalf("the token reached %q", s)
			}
		}
	})
	t.Run("password in a malformed /auth status line", func(t *testing.T) {
		h := newTestServer(t, nil, withLogin(testUser, pw), withAuth(func(w http.ResponseWriter, r *http.Request, _ int) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			fmt.Fprintf(buf, "HTTP/1.1 4x1 %s\r\nX-Request-Id: %s\r\n\r\n", pw, pw)
			buf.Flush()
		}))
		c := h.client(t, WithMaxRetries(0))
		err := listPolicies(context.Background(), c)
		if err == nil {
			t.Fatal("no error")
		}
		for _, s := range errorStrings(err) {
			for f, v := range passwordForms(pw) {
				if strings.Contains(s, v) {
					t.Fatalf("the %s password reached %q", f, s)
				}
			}
		}
	})
}

// TestHostileAuthThatNeverAnswers: the first /auth request hangs for
// good; the next would be answered at once. Every caller still gets a
// token well within its own deadline: the hung request is abandoned at the
// attempt timeout, whoever started it, and one more is made.
func TestHostileAuthThatNeverAnswers(t *testing.T) {
	h := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"policyList":[]}`)
	})
	h.setAuth(func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			// Read the form first: the server notices a client hanging
			// up only once the request body is consumed.
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, makeJWT(map[string]any{"exp": time.Now().Add(time.Hour).Unix()}))
	})
	// Long enough for a TLS handshake and an answer on a busy machine, so
	// that only the hung request times out and the count stays exact.
	c := h.client(t, WithPCRSRateLimit(0, 0), WithAttemptTimeout(6*time.Second))
	// The caller that starts the refresh gives up early: that must not
	// decide anything for the others.
	starter, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	heapGrowth(t, func() {
		starterErr := listPolicies(starter, c)
		mustBe(t, starterErr, context.DeadlineExceeded)
		for i := range errs {
			wg.Go(func() {
				// A deadline the hung request would outlast without its
				// own timeout.
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				errs[i] = listPolicies(ctx, c)
			})
		}
		wg.Wait()
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if n := h.count("/auth"); n != 2 {
		t.Errorf("%d /auth requests, want 2 (the hung one and its replacement)", n)
	}
	if n := h.count(policyListPath); n != len(errs) {
		t.Errorf("%d API requests, want %d", n, len(errs))
	}
}

// TestHostileCancellation: once the caller's context ends, iterators and
// streams end with its error, even when the rest of the answer is already
// buffered; a body cut because the context ended reports the context, not
// the server. Each case runs 20 times: an ending that depends on timing
// would show here.
func TestHostileCancellation(t *testing.T) {
	record := `{"id":%d,"hostId":7,"policyId":2,"controlId":3,"status":"Passed"}`
	var recs []string
	for i := range 50 {
		recs = append(recs, fmt.Sprintf(record, i+1))
	}
	small := "[" + strings.Join(recs, ",") + "]"
	h := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case posturePath:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, small) // one write: all buffered at once
		case scriptsPath:
			(&scriptPager{total: 500, page: honestPage(500, 0)}).serve(w, r)
		case "/pcrs/3.0/posture/hostids":
			io.WriteString(w, `[{"policyId":"2","subscriptionId":"9","hostIds":["7","8","9","10"]}]`)
		case policyListPath:
			// Headers and the start of a body, then nothing until the
			// client gives up.
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"policyList":[`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	})
	c := h.client(t, WithPCRSRateLimit(0, 0))
	// firstThenCancel ranges over seq, cancels after the first element and
	// returns what came after: the number of further records, and the error.
	firstThenCancel := func(seq func(ctx context.Context) func(func(any, error) bool)) (int, error) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		for _, err := range seq(ctx) {
			if err != nil {
				return n - 1, err
			}
			if n++; n == 1 {
				cancel()
			}
		}
		return n - 1, nil
	}
	seqs := map[string]func(ctx context.Context) func(func(any, error) bool){
		"PostureStream": func(ctx context.Context) func(func(any, error) bool) {
			return anySeq(c.PostureStream(ctx, postureRequest("7")))
		},
		"FetchPosture": func(ctx context.Context) func(func(any, error) bool) {
			return anySeq(c.FetchPosture(ctx, PostureQuery{PolicyIDs: []wire.ID{wire.IDFromString("2")}}, WithBatchSize(1), WithConcurrency(2)))
		},
		"Scripts": func(ctx context.Context) func(func(any, error) bool) {
			return anySeq(c.Scripts(ctx))
		},
	}
	heapGrowth(t, func() {
		for name, seq := range seqs {
			for i := range 20 {
				more, err := firstThenCancel(seq)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("%s, run %d: ended with %v after %d more records, want context.Canceled", name, i, err, more)
				}
				if more != 0 {
					t.Fatalf("%s, run %d: %d records after the cancellation", name, i, more)
				}
			}
		}
		for i := range 3 {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			err := listPolicies(ctx, c)
			cancel()
			mustBe(t, err, context.DeadlineExceeded)
			if errors.Is(err, ErrUnexpectedBody) {
				t.Fatalf("run %d: a body cut by the caller's deadline blamed on the server: %v", i, err)
			}
		}
	})
}

// anySeq erases a sequence's element type.
func anySeq[T any](seq func(func(T, error) bool)) func(func(any, error) bool) {
	return func(yield func(any, error) bool) {
		for v, err := range seq {
			if !yield(v, err) {
				return
			}
		}
	}
}

// TestHostileRateLimitHeaders: every out-of-range value of
// X-RateLimit-ToWait-Sec takes one path. Huge values, integer or not,
// read as the cap and fail at once against WithMaxThrottleWait, with one
// request; negative values, NaN and text read as absent, so the transport
// waits its own backoff and re-sends.
func TestHostileRateLimitHeaders(t *testing.T) {
	capped := []string{"1e308", "99999999999999999999", "9223372036854775808", "2147483648", "+Inf", "1.8e19"}
	absent := []string{"-5", "-1e308", "NaN", "-Inf", "soon", "0x"}
	for _, v := range append(capped, absent...) {
		t.Run(v, func(t *testing.T) {
			var calls atomic.Int32
			h := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("X-RateLimit-ToWait-Sec", v)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"policyList":[]}`)
			})
			c := h.client(t, WithPCRSRateLimit(0, 0), WithMaxThrottleWait(time.Minute))
			var err error
			heapGrowth(t, func() { err = listPolicies(context.Background(), c) })
			rl := parseRateLimit(http.Header{"X-Ratelimit-Towait-Sec": {v}})
			if slicesContains(capped, v) {
				var rlErr *RateLimitError
				if !errors.As(err, &rlErr) || rlErr.Wait != time.Duration(maxRateValue)*time.Second {
					t.Fatalf("err %v: want a *RateLimitError asking for the capped wait", err)
				}
				if rl.ToWaitSec == nil || *rl.ToWaitSec != maxRateValue {
					t.Errorf("ToWaitSec %v, want the cap %d", rl.ToWaitSec, maxRateValue)
				}
				if n := h.count(policyListPath); n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("err %v: an unreadable wait should fall back to the backoff", err)
			}
			if rl.ToWaitSec != nil {
				t.Errorf("ToWaitSec %d, want absent", *rl.ToWaitSec)
			}
			if n := h.count(policyListPath); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCertificateErrorOnAPIRequestIsNotRetried: /auth succeeds, but the
// API request meets a certificate the client does not trust (a man in the
// middle on the API path). It fails on the certificate after one attempt:
// retrying a certificate error cannot help and would hide it.
func TestCertificateErrorOnAPIRequestIsNotRetried(t *testing.T) {
	h := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("the API handler ran despite the untrusted certificate")
	})
	trusting := h.Client().Transport
	untrusting := &http.Transport{} // system roots only: the test CA is unknown
	t.Cleanup(untrusting.CloseIdleConnections)
	var apiAttempts atomic.Int32
	route := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/auth" {
			return trusting.RoundTrip(r)
		}
		apiAttempts.Add(1)
		return untrusting.RoundTrip(r)
	})
	c := h.client(t, WithPCRSRateLimit(0, 0), WithHTTPClient(&http.Client{Transport: route}), WithMaxRetries(3))
	var err error
	heapGrowth(t, func() { err = listPolicies(context.Background(), c) })
	if err == nil || !certificateError(err) {
		t.Fatalf("err %v: want a certificate error", err)
	}
	if n := apiAttempts.Load(); n != 1 {
		t.Errorf("%d API attempts, want 1: a certificate error was retried", n)
	}
	if n := h.count("/auth"); n != 1 {
		t.Errorf("%d /auth requests, want 1", n)
	}
}
