package specproxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/internal/specproxy"
)

// A proxy in front of an upstream whose job search answers with a platform
// the spec does not list: the client gets the answer unchanged, and the
// report gets one line pointing at the value.
func ExampleNew() {
	upstream := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"errorCode":null,"message":null,"body":{"totalCount":1,"list":[{"id":"29429","platform":"BEOS"}]}}`)
	}))
	defer upstream.Close()

	proxy, err := specproxy.New(specproxy.Options{
		Upstream:  upstream.URL,
		Transport: upstream.Client().Transport, // trusts the test server's certificate
		Report:    os.Stdout,
		Strict:    true,
		Now:       func() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	front := httptest.NewServer(proxy)
	defer front.Close()

	req, _ := http.NewRequest("POST", front.URL+"/sm/v1/jobs/search", strings.NewReader(`{"filter":"id:29429"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer eyJ...")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The proxy has finished with the exchange once its handler returns;
	// Close waits for that.
	front.Close()
	fmt.Println(resp.StatusCode, strings.Contains(string(body), "BEOS"))
	// Output:
	// {"time":"2026-11-29T12:00:00Z","operation":"searchJobs","direction":"response","status":200,"pointer":"/body/list/0/platform","rule":"enum","message":"value is not one of the allowed values [\"WINDOWS\",\"LINUX\",\"UNIX\",\"MAC\"]"}
	// 200 true
}
