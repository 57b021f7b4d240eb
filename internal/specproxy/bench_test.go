package specproxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/qualystest"
)

// BenchmarkAddedLatency measures one small CAR exchange (a job search,
// about 4 KB of JSON) against the simulator directly and through a strict
// proxy, in the same run; the difference of the two ns/op figures is
// what the proxy adds per request: a loopback hop, request and response
// validation.
func BenchmarkAddedLatency(b *testing.B) {
	sim := qualystest.NewServer(b)
	report := &syncBuffer{}
	h := newProxyHarness(b, sim.URL, sim.Client().Transport, true, report)
	token := sim.Token()
	for _, target := range []struct {
		name   string
		url    string
		client *http.Client
	}{
		{"direct", sim.URL, sim.Client()},
		{"proxy", h.url, h.client},
	} {
		b.Run(target.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest("POST", target.url+"/sm/v1/jobs/search", strings.NewReader(`{"pageSize":10}`))
				req.Header = bearer(token)
				resp, err := target.client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
	if report.String() != "" {
		b.Fatalf("findings: %s", report.String())
	}
}
