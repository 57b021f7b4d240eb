package specproxy_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/qualyskit/qualys-go/internal/specproxy"
	"github.com/qualyskit/qualys-go/internal/syncbuf"
)

// TestSizeLimits: a request body over MaxRequestBody is answered 413 and
// not forwarded; an answer over MaxCheckedBody is forwarded whole but not
// checked, and says so.
func TestSizeLimits(t *testing.T) {
	var forwarded atomic.Int32
	answer := `{"errorCode":null,"message":null,"body":{"totalCount":1,"list":[{"platform":"BEOS","title":"` + strings.Repeat("x", 4096) + `"}]}}`
	upstream := newTLSUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		forwarded.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(answer))
	})
	report := &syncbuf.Buffer{}
	h := newProxyHarness(t, upstream.URL, upstream.Client().Transport, false, report, func(o *specproxy.Options) {
		o.MaxRequestBody, o.MaxCheckedBody = 64, 1024
	})
	// h.do waits for the exchange to finish, so its findings are in the
	// report.
	post := func(body string) (int, int) {
		status, got := h.do(t, http.MethodPost, "/sm/v1/jobs/search", http.Header{"Content-Type": {"application/json"}}, body)
		return status, len(got)
	}
	if status, _ := post(`{"filter":"` + strings.Repeat("a", 100) + `"}`); status != http.StatusRequestEntityTooLarge || forwarded.Load() != 0 {
		t.Errorf("large request: status %d, forwarded %d; want 413 and nothing forwarded", status, forwarded.Load())
	}
	status, n := post(`{}`)
	if status != 200 || n != len(answer) || forwarded.Load() != 1 {
		t.Errorf("large answer: status %d, %d of %d bytes, forwarded %d", status, n, len(answer), forwarded.Load())
	}
	lines := strings.Split(strings.TrimSpace(report.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"status":413`) || !strings.Contains(lines[0], `"rule":"body-too-large"`) ||
		!strings.Contains(lines[1], `"direction":"response"`) || !strings.Contains(lines[1], `"rule":"body-too-large"`) {
		t.Errorf("report:\n%s\nwant a 413 request finding and an unchecked answer, and nothing about the enum in it", report.String())
	}
}
