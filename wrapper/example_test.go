package qualys_test

import (
	"context"
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

func ExampleTokenSource() {
	var authCalls atomic.Int32
	gw := fakeGateway(&authCalls)
	defer gw.Close()

	ts, err := qualys.NewTokenSource(gw.URL,
		qualys.Credentials{Username: "acme_ab12", Password: "example-password"},
		qualys.WithHTTPClient(gw.Client())) // trusts the test server's certificate
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	tok, err := ts.Token(ctx)
	if err != nil {
		panic(err)
	}
	again, _ := ts.Token(ctx) // cached until shortly before expiry
	fmt.Println("same token:", tok == again, "- /auth calls:", authCalls.Load())

	ts.Invalidate(tok) // e.g. after a 401
	_, _ = ts.Token(ctx)
	fmt.Println("/auth calls after Invalidate:", authCalls.Load())

	bad, _ := qualys.NewTokenSource(gw.URL, qualys.Credentials{Username: "acme_ab12", Password: "wrong"},
		qualys.WithHTTPClient(gw.Client()))
	_, err = bad.Token(ctx)
	fmt.Println(errors.Is(err, qualys.ErrUnauthorized))
	fmt.Println(err)
	// Output:
	// same token: true - /auth calls: 1
	// /auth calls after Invalidate: 2
	// true
	// qualys: POST /auth: HTTP 401 Unauthorized: Bad credentials
}

func ExampleNewHTTPClient() {
	var authCalls atomic.Int32
	gw := fakeGateway(&authCalls)
	defer gw.Close()

	// The client is what the generated CAR and PCRS clients take as their
	// HttpRequestDoer.
	hc, err := qualys.NewHTTPClient(
		qualys.WithGatewayURL(gw.URL), // normally WithPlatform("US2") or QUALYS_PLATFORM
		qualys.WithCredentials("acme_ab12", "example-password"),
		qualys.WithHTTPClient(gw.Client()),
	)
	if err != nil {
		panic(err)
	}
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

func ExampleParseErrorResponse() {
	resp := &http.Response{
		StatusCode: http.StatusConflict,
		Header:     http.Header{"Content-Type": {"text/xml"}, "X-Ratelimit-Towait-Sec": {"120"}},
		Request:    httptest.NewRequest(http.MethodGet, "/pcrs/1.0/posture/hostids", nil),
	}
	body := []byte(`<SIMPLE_RETURN><RESPONSE><CODE>1965</CODE><TEXT>Rate limit exceeded.</TEXT></RESPONSE></SIMPLE_RETURN>`)
	apiErr := qualys.ParseErrorResponse(resp, body)
	wait, _ := apiErr.RateLimit.ToWait()
	fmt.Println(apiErr)
	fmt.Println(errors.Is(apiErr, qualys.ErrRateLimited), errors.Is(apiErr, qualys.ErrConflict), wait)
	// Output:
	// qualys: GET /pcrs/1.0/posture/hostids: HTTP 409 Conflict, code 1965: Rate limit exceeded.
	// true false 2m0s
}

func ExampleCARBodyError() {
	// A CAR import answered 200 with envelope shape E.
	fmt.Println(qualys.CARBodyError("POST /sm/v2/script-library/import", "0", "Script created from library successfully"))

	// The code and message here are illustrative; Qualys does not publish its CAR error codes.
	err := qualys.CARBodyError("POST /sm/v2/script-library/import", "SM-4001", "Category not found")
	fmt.Println(err)
	fmt.Println(errors.Is(err, qualys.ErrInBody))
	// Output:
	// <nil>
	// qualys: POST /sm/v2/script-library/import: HTTP 200 OK, code SM-4001: Category not found
	// true
}
