//go:build prism

package prism

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/gen/car"
)

// TestPrismReportsBadRequests proves the check above can fail: requests
// with an undeclared member, a wrong type and a missing required member
// each come back with Prism's sl-violations header naming the problem.
func TestPrismReportsBadRequests(t *testing.T) {
	client, err := car.NewClientWithResponses(carMock.url)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, body, want string }{
		{"undeclared member", `{"filter":"id:1","undeclared":true}`, "additionalProperties"},
		{"wrong type", `{"filter":7}`, "must be string"},
	} {
		resp, err := client.SearchJobsWithBodyWithResponse(withTimeout(t), "application/json", strings.NewReader(c.body),
			func(_ context.Context, req *http.Request) error {
				req.Header.Set("Authorization", "Bearer x")
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if v := resp.HTTPResponse.Header.Get("sl-violations"); !strings.Contains(v, c.want) {
			t.Errorf("%s: sl-violations %q, want it to mention %q", c.name, v, c.want)
		}
	}
	blocked, err := client.BlockAssetsWithBodyWithResponse(withTimeout(t), "application/json", strings.NewReader(`{}`),
		func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer x")
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if v := blocked.HTTPResponse.Header.Get("sl-violations"); !strings.Contains(v, "ids") {
		t.Errorf("missing required ids: sl-violations %q", v)
	}
	// No Authorization header: Prism checks the security requirement too.
	resp, err := client.SearchJobsWithBodyWithResponse(withTimeout(t), "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if v := resp.HTTPResponse.Header.Get("sl-violations"); v == "" {
		t.Errorf("a request without a token raised no violation")
	}
}

// TestDecodeProblemCatchesUndecodableAnswers proves the decode check can
// fail: an answer of the wrong shape leaves the parser's JSON200 empty.
func TestDecodeProblemCatchesUndecodableAnswers(t *testing.T) {
	httpResp := &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader([]byte(`{"body":{"totalCount":"many","list":{}}}`))),
	}
	parsed, err := car.ParseSearchJobsResponse(httpResp)
	if err == nil {
		if problem := decodeProblem(httpResp, reflect.ValueOf(parsed).Elem(), 200, "application/json"); problem == nil {
			t.Errorf("an answer of the wrong shape passed the decode check")
		}
	}
	// A text body declared but empty.
	empty := &http.Response{StatusCode: 201, Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(bytes.NewReader(nil))}
	token, err := car.ParseCreateCarTokenResponse(empty)
	if err != nil {
		t.Fatal(err)
	}
	if decodeProblem(empty, reflect.ValueOf(token).Elem(), 201, "text/plain") == nil {
		t.Errorf("an empty JWT passed the decode check")
	}
}
