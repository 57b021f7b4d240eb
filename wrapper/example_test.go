package qualys_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

func ExampleLookupPlatform() {
	// By name, in any case.
	p, err := qualys.LookupPlatform("us1")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Name, p.GatewayURL)

	// By any of a platform's URLs, e.g. the API server a user already knows.
	p, err = qualys.LookupPlatform("https://qualysapi.qualys.eu/api/2.0/")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Name, p.GatewayURL)

	_, err = qualys.LookupPlatform("US9")
	fmt.Println(errors.Is(err, qualys.ErrUnknownPlatform))
	// Output:
	// US1 https://gateway.qg1.apps.qualys.com
	// EU1 https://gateway.qg1.apps.qualys.eu
	// true
}

// fakeGateway stands in for a Qualys gateway: /auth returns a token for the
// right credentials, and /sm/v1/script-types echoes whether a token came.
func fakeGateway(authCalls *atomic.Int32) *httptest.Server {
	return httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/auth":
			authCalls.Add(1)
			if r.PostFormValue("username") != "acme_ab12" || r.PostFormValue("password") != "example-password" {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"authentication_exceptions":[["Bad credentials"]]}`)
				return
			}
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhY21lX2FiMTIifQ.sig") // no exp claim: valid 4 h
		case "/sm/v1/script-types":
			fmt.Fprintf(w, "bearer token received: %v", strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "))
		default:
			http.NotFound(w, r)
		}
	}))
}

// The authenticated client also carries requests the generated clients
// do not cover: it adds the token and retries like every other call.
func ExampleClient_HTTPClient() {
	var authCalls atomic.Int32
	gw := fakeGateway(&authCalls)
	defer gw.Close()

	client, err := qualys.NewClient(
		qualys.WithGatewayURL(gw.URL), // normally WithPlatform("US2") or QUALYS_PLATFORM
		qualys.WithCredentials("acme_ab12", "example-password"),
		qualys.WithHTTPClient(gw.Client()),
	)
	if err != nil {
		panic(err)
	}
	hc := client.HTTPClient()
	resp, err := hc.Get(gw.URL + "/sm/v1/script-types")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 200 bearer token received: true
}
