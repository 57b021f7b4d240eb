//go:build prism

package prism

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// gateway puts both mocks behind one loopback URL, as a Qualys gateway
// serves both APIs, and keeps every violation Prism reports.
type gateway struct {
	url        string
	mu         sync.Mutex
	violations []string
	requests   int
	paths      map[string]int
}

func (g *gateway) count(path string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paths[path]
}

func newGateway(t *testing.T) *gateway {
	t.Helper()
	g := &gateway{paths: map[string]int{}}
	proxyTo := func(raw string) *httputil.ReverseProxy {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
			ModifyResponse: func(resp *http.Response) error {
				g.mu.Lock()
				defer g.mu.Unlock()
				g.requests++
				g.paths[resp.Request.URL.Path]++
				if v := resp.Header.Get("sl-violations"); v != "" {
					g.violations = append(g.violations, resp.Request.Method+" "+resp.Request.URL.Path+": "+v)
				}
				return nil
			},
		}
	}
	carProxy, pcrsProxy := proxyTo(carMock.url), proxyTo(pcrsMock.url)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/pcrs/") {
			pcrsProxy.ServeHTTP(w, r)
			return
		}
		carProxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g.url = srv.URL
	return g
}

// TestWrapperAgainstPrism runs the wrapper's calls over both mocks: token,
// library search and get (base64 content decoded), import, execution, job
// search, policies, host ids and posture (gzip asked for; Prism answers
// its JSON example, which the wrapper detects). Prism must accept every request,
// and the wrapper must decode every example answer.
func TestWrapperAgainstPrism(t *testing.T) {
	g := newGateway(t)
	c, err := qualys.NewClient(qualys.WithGatewayURL(g.url), qualys.WithPlainHTTPLoopback(),
		qualys.WithCredentials("prism_user", "prism-password"), qualys.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := withTimeout(t)

	n := 0
	for s, err := range c.LibraryScripts(ctx, qualys.WithPageSize(10), qualys.WithScriptContent()) {
		if err != nil {
			t.Fatalf("library search: %v", err)
		}
		if s.Title == "" {
			t.Errorf("library search: a record without a title: %+v", s)
		}
		if n++; n == 20 {
			break
		}
	}
	// The document's example page is empty (totalCount 0): the pager
	// must stop after that one page rather than ask again.
	if got := g.count("/sm/v1/script-library/search"); n != 0 || got != 1 {
		t.Errorf("library search: %d records in %d requests, want the example's empty page once", n, got)
	}
	lib, err := c.LibraryScript(ctx, wire.NewID(599))
	if err != nil {
		t.Fatalf("library get: %v", err)
	}
	if lib.Title == "" {
		t.Errorf("library get: no title in %+v", lib)
	}
	if _, err := c.ImportLibraryScript(ctx, qualys.Import{LibraryID: wire.NewID(599), Title: "imported", CategoryID: 7}); err != nil {
		t.Errorf("import: %v", err)
	}
	uuid, err := c.ExecuteScript(ctx, wire.NewID(1234), qualys.Execution{AssetIDs: []wire.ID{wire.NewID(1), wire.NewID(2)}})
	if err != nil || uuid == "" {
		t.Errorf("execute: %q, %v", uuid, err)
	}
	jobs := 0
	for _, err := range c.Jobs(ctx) {
		if err != nil {
			t.Fatalf("jobs: %v", err)
		}
		if jobs++; jobs == 20 {
			break
		}
	}
	policies := 0
	for p, err := range c.Policies(ctx, time.Time{}) {
		if err != nil {
			t.Fatalf("policies: %v", err)
		}
		if p.ID.IsZero() || p.Title == "" {
			t.Errorf("policies: a policy without id or title: %+v", p)
		}
		policies++
	}
	if policies == 0 {
		t.Error("policies: none in Prism's example")
	}
	// The example answers two policies, the second one unknown: the
	// wrapper returns both elements and an error for the unknown one.
	hosts, err := c.HostIDs(ctx, []wire.ID{wire.NewID(4677689)}, time.Time{})
	if !errors.Is(err, qualys.ErrInBody) || len(hosts) != 2 {
		t.Fatalf("hostids: %d elements, error %v; want the example's two and ErrInBody", len(hosts), err)
	}
	if len(hosts) == 0 || len(hosts[0].HostIDs) == 0 {
		t.Fatalf("hostids: %+v", hosts)
	}
	records := 0
	for rec, err := range c.PostureStream(ctx, qualys.PostureRequest{
		Policies: pcrs.PostureInfoRequest{{PolicyID: hosts[0].PolicyID, SubscriptionID: hosts[0].SubscriptionID, HostIDs: hosts[0].HostIDs}},
		Filter:   qualys.PostureFilter{Evidence: true, Status: []pcrs.PostureStatus{qualys.Failed}},
	}) {
		if err != nil {
			t.Fatalf("posture: %v", err)
		}
		if rec.Status == "" {
			t.Errorf("posture: a record without a status: %+v", rec)
		}
		records++
	}
	if records == 0 {
		t.Error("posture: no records")
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	for _, v := range g.violations {
		t.Errorf("Prism found a wrapper request invalid: %s", v)
	}
	if g.requests < 9 {
		t.Errorf("only %d requests reached Prism", g.requests)
	}
}
