package qualys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
)

// postureGateway answers hostids with two policies and postureInfo with
// one record per requested host, counting requests and their overlap.
type postureGateway struct {
	t        *testing.T
	policies map[string][]string // policy id -> host ids
	delay    time.Duration
	// fail, when set, decides per postureInfo request (numbered from 1)
	// whether to answer with a broken body after `after` records.
	fail func(n int) (broken bool, after int)
	// concurrencyLimit, when set, is sent as X-ConcurrencyLimit-Limit.
	concurrencyLimit string

	requests  atomic.Int32
	inFlight  atomic.Int32
	maxFlight atomic.Int32
	mu        sync.Mutex
	batchSize []int
}

func (g *postureGateway) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/pcrs/3.0/posture/hostids":
		var out []pcrs.PolicyHostIDs
		ids := slices.Sorted(func(yield func(string) bool) {
			for id := range g.policies {
				if !yield(id) {
					return
				}
			}
		})
		for _, id := range ids {
			out = append(out, pcrs.PolicyHostIDs{PolicyID: wire.IDFromString(id), SubscriptionID: wire.IDFromString("1337821"), HostIDs: idsOf(g.policies[id])})
		}
		json.NewEncoder(w).Encode(out)
	case "/pcrs/5.0/posture/postureInfo":
		if g.concurrencyLimit != "" {
			w.Header().Set("X-ConcurrencyLimit-Limit", g.concurrencyLimit)
		}
		n := int(g.requests.Add(1))
		cur := g.inFlight.Add(1)
		defer g.inFlight.Add(-1)
		for {
			m := g.maxFlight.Load()
			if cur <= m || g.maxFlight.CompareAndSwap(m, cur) {
				break
			}
		}
		var body pcrs.PostureInfoRequest
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			// A request the client cancelled mid-body (a caller that
			// stopped early) arrives cut.
			w.WriteHeader(400)
			return
		}
		if len(body) != 1 {
			g.t.Errorf("postureInfo body with %d policies, want 1 per batch", len(body))
		}
		g.mu.Lock()
		g.batchSize = append(g.batchSize, len(body[0].HostIDs))
		g.mu.Unlock()
		time.Sleep(g.delay)
		broken, after := false, 0
		if g.fail != nil {
			broken, after = g.fail(n)
		}
		io.WriteString(w, "[")
		for i, h := range body[0].HostIDs {
			if broken && i == after {
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler)
			}
			if i > 0 {
				io.WriteString(w, ",")
			}
			fmt.Fprintf(w, `{"id":%d,"policyId":%s,"hostId":%s,"controlId":1,"status":"Passed"}`, i, body[0].PolicyID, h)
		}
		io.WriteString(w, "]")
	default:
		http.NotFound(w, r)
	}
}

func hostRange(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(from + i)
	}
	return out
}

// key identifies a record by policy and host.
func key(r pcrs.PostureRecord) string { return fmt.Sprintf("%s/%s", r.PolicyID, r.HostID) }

func TestFetchPostureEveryRecordOnce(t *testing.T) {
	g := &postureGateway{t: t, delay: 5 * time.Millisecond, policies: map[string][]string{
		"100": hostRange(1, 250), "200": hostRange(1000, 101),
	}}
	c := newTestServer(t, g.serve, withHTTP2()).client(t)
	var progress []FetchProgress
	seen := map[string]int{}
	for rec, err := range c.FetchPosture(context.Background(), PostureQuery{},
		WithBatchSize(50), WithConcurrency(3), WithProgress(func(p FetchProgress) { progress = append(progress, p) })) {
		if err != nil {
			t.Fatal(err)
		}
		seen[key(rec)]++
	}
	if len(seen) != 351 {
		t.Errorf("got %d distinct records, want 351", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("record %s yielded %d times", k, n)
		}
	}
	// 250 hosts in batches of 50 and 101 in 50+50+1.
	if got := g.requests.Load(); got != 8 {
		t.Errorf("sent %d postureInfo requests, want 8", got)
	}
	if m := g.maxFlight.Load(); m > 3 || m < 2 {
		t.Errorf("max concurrent requests %d, want 2..3", m)
	}
	first, last := progress[0], progress[len(progress)-1]
	if first != (FetchProgress{HostsTotal: 351, BatchesTotal: 8}) {
		t.Errorf("first progress %+v", first)
	}
	if last != (FetchProgress{HostsDone: 351, HostsTotal: 351, BatchesDone: 8, BatchesTotal: 8, Records: 351}) {
		t.Errorf("last progress %+v", last)
	}
	if len(progress) != 9 {
		t.Errorf("got %d progress calls, want 9 (1 + one per batch)", len(progress))
	}
}

func TestFetchPostureRetriesBatchBrokenBeforeRecords(t *testing.T) {
	g := &postureGateway{t: t, policies: map[string][]string{"100": hostRange(1, 10)},
		fail: func(n int) (bool, int) { return n == 1, 0 }}
	c := newTestServer(t, g.serve, withHTTP2()).client(t)
	recs, err := collect(c.FetchPosture(context.Background(), PostureQuery{}, WithBatchSize(10)))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 10 || g.requests.Load() != 2 {
		t.Errorf("got %d records in %d requests, want 10 in 2", len(recs), g.requests.Load())
	}
}

// A batch broken after records were handed over ends the fetch with an
// error: repeating it would yield those records twice.
func TestFetchPostureBrokenMidBatch(t *testing.T) {
	g := &postureGateway{t: t, policies: map[string][]string{"100": hostRange(1, 200)},
		fail: func(n int) (bool, int) { return true, 150 }}
	c := newTestServer(t, g.serve, withHTTP2()).client(t)
	recs, err := collect(c.FetchPosture(context.Background(), PostureQuery{}, WithBatchSize(200), WithConcurrency(1)))
	if err == nil || !errors.Is(err, ErrUnexpectedBody) {
		t.Fatalf("got %v, want an ErrUnexpectedBody error", err)
	}
	if len(recs) != 150 {
		t.Errorf("got %d records before the error, want the 150 sent", len(recs))
	}
	if g.requests.Load() != 1 {
		t.Errorf("the broken batch was sent %d times, want once", g.requests.Load())
	}
}

func TestFetchPostureBreakStopsWorkers(t *testing.T) {
	g := &postureGateway{t: t, delay: 2 * time.Millisecond, policies: map[string][]string{"100": hostRange(1, 1000)}}
	c := newTestServer(t, g.serve, withHTTP2()).client(t)
	n := 0
	for _, err := range c.FetchPosture(context.Background(), PostureQuery{}, WithBatchSize(10), WithConcurrency(4)) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 15 {
			break
		}
	}
	// Every worker has returned once the loop is left, so no request
	// starts afterwards (one cancelled in flight may still reach the
	// server, hence the first pause).
	time.Sleep(50 * time.Millisecond)
	sent := g.requests.Load()
	time.Sleep(50 * time.Millisecond)
	if after := g.requests.Load(); after != sent {
		t.Errorf("%d requests started after the loop ended", after-sent)
	}
	if sent >= 100 {
		t.Errorf("all %d batches were requested although the caller stopped early", sent)
	}
}

func TestFetchPostureUnknownPolicy(t *testing.T) {
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[{"policyId":"1","subscriptionId":"2","hostIds":[],"error":"Error: Compliance Policy does not exist."}]`)
	}, withHTTP2()).client(t)
	_, err := collect(c.FetchPosture(context.Background(), PostureQuery{PolicyIDs: []wire.ID{wire.NewID(1)}}))
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrInBody) {
		t.Fatalf("got %v, want ErrNotFound in body", err)
	}
}

func TestFetchPostureRejectsBadParamsBeforeResolving(t *testing.T) {
	var calls atomic.Int32
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }, withHTTP2()).client(t)
	_, err := collect(c.FetchPosture(context.Background(), PostureQuery{Version: "3.0",
		Filter: PostureFilter{DetectionScore: true}}))
	if !errors.Is(err, ErrInvalidRequest) || calls.Load() != 0 {
		t.Fatalf("got %v after %d calls, want ErrInvalidRequest before any call", err, calls.Load())
	}
}

func TestSplitBatches(t *testing.T) {
	got := splitBatches([]pcrs.PolicyHostIDs{
		{PolicyID: wire.NewID(1), HostIDs: idsOf(hostRange(0, 5))},
		{PolicyID: wire.NewID(2), HostIDs: nil},
		{PolicyID: wire.NewID(3), HostIDs: idsOf(hostRange(0, 2))},
	}, 2)
	var sizes []string
	for _, b := range got {
		sizes = append(sizes, fmt.Sprintf("%s:%d", b.policyID, len(b.item.HostIDs)))
	}
	if want := []string{"1:2", "1:2", "1:1", "3:2"}; !slices.Equal(sizes, want) {
		t.Errorf("batches %v, want %v", sizes, want)
	}
}

// TestFetchPostureHonoursServerConcurrency: once the server has said how
// many requests it runs at once, the fetcher runs no more than that, even
// when allowed more.
func TestFetchPostureHonoursServerConcurrency(t *testing.T) {
	g := &postureGateway{t: t, delay: 20 * time.Millisecond, concurrencyLimit: "2",
		policies: map[string][]string{"100": hostRange(1, 80)}}
	c := newTestServer(t, g.serve, withHTTP2()).client(t)
	fetch := func() {
		for _, err := range c.FetchPosture(context.Background(), PostureQuery{}, WithBatchSize(10), WithConcurrency(8)) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	fetch() // the first requests start before any answer
	g.maxFlight.Store(0)
	fetch()
	if m := g.maxFlight.Load(); m > 2 || m == 0 {
		t.Errorf("max concurrent requests %d once the server reported a limit of 2", m)
	}
}
