package qualystest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestCAROperationsNeedToken: every CAR operation of the document answers
// 401 with the gateway body, before anything else, when the request has
// no token or a bad one.
func TestCAROperationsNeedToken(t *testing.T) {
	t.Parallel()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.car == nil {
		t.Fatal("no CAR document")
	}
	n := 0
	for path, item := range s.car.doc.Paths.Map() {
		if path == "/auth" {
			continue
		}
		for method := range item.Operations() {
			url := s.URL + strings.NewReplacer("{id}", "1", "{scriptId}", "1").Replace(path)
			for _, auth := range []string{"", "Bearer not-a-jwt"} {
				req, _ := http.NewRequest(method, url, strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/json")
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				resp, err := s.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var e gatewayError
				if resp.StatusCode != http.StatusUnauthorized || json.Unmarshal(body, &e) != nil || e.Message != "Not authenticated" {
					t.Errorf("%s %s with %q: %d %s", method, path, auth, resp.StatusCode, body)
				}
			}
			n++
		}
	}
	if n < 7 {
		t.Errorf("only %d CAR operations checked", n)
	}
	for _, err := range s.ResponseErrors() {
		t.Errorf("response does not match the spec: %v", err)
	}
}
