package specproxy_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/internal/syncbuf"
	"github.com/qualyskit/qualys-go/qualystest"
)

// BenchmarkAddedLatency measures one small CAR exchange (a job search,
// about 4 KB of JSON) against the simulator directly and through a strict
// proxy, alternating the two in every iteration so that both see the same
// machine load. It reports the median of each and their difference: what
// the proxy adds per request (a loopback hop, request and response
// validation).
func BenchmarkAddedLatency(b *testing.B) {
	sim := qualystest.NewServer(b)
	report := &syncbuf.Buffer{}
	h := newProxyHarness(b, sim.URL, sim.Client().Transport, true, report)
	token := sim.Token()
	exchange := func(base string, client *http.Client) time.Duration {
		req, _ := http.NewRequest("POST", base+"/sm/v1/jobs/search", strings.NewReader(`{"pageSize":10}`))
		req.Header = bearer(token)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return time.Since(start)
	}
	var direct, proxied []time.Duration
	for b.Loop() {
		direct = append(direct, exchange(sim.URL, sim.Client()))
		proxied = append(proxied, exchange(h.url, h.client))
	}
	d, p := median(direct), median(proxied)
	b.ReportMetric(float64(d.Microseconds()), "direct-µs")
	b.ReportMetric(float64(p.Microseconds()), "proxied-µs")
	b.ReportMetric(float64((p - d).Microseconds()), "added-µs")
	h.settle(b)
	if report.String() != "" {
		b.Fatalf("findings: %s", report.String())
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
