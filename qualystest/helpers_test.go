package qualystest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/qualystest"
)

// login obtains a token through /auth with the generated client.
func login(t testing.TB, s *qualystest.Server) string {
	t.Helper()
	c, err := pcrs.NewClientWithResponses(s.URL, pcrs.WithHTTPClient(s.Client()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.CreatePcrsTokenWithFormdataBodyWithResponse(context.Background(),
		pcrs.TokenRequest{Username: s.Username(), Password: s.Password(), Token: "true"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusCreated {
		t.Fatalf("/auth: %d %s", resp.StatusCode(), resp.Body)
	}
	return string(resp.Body)
}

// bearer adds the Authorization header, as every caller of the generated
// clients must.
func bearer(token string) func(context.Context, *http.Request) error {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// pcrsClient is a generated PCRS client logged in to s.
func pcrsClient(t testing.TB, s *qualystest.Server) *pcrs.ClientWithResponses {
	t.Helper()
	c, err := pcrs.NewClientWithResponses(s.URL, pcrs.WithHTTPClient(s.Client()),
		pcrs.WithRequestEditorFn(bearer(login(t, s))))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawPCRS is a generated PCRS client without response parsing, for
// streams and raw bodies.
func rawPCRS(t testing.TB, s *qualystest.Server) *pcrs.Client {
	t.Helper()
	c, err := pcrs.NewClient(s.URL, pcrs.WithHTTPClient(s.Client()),
		pcrs.WithRequestEditorFn(bearer(login(t, s))))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// decodePostures reads a postureInfo body, gunzipping it when it starts
// with the gzip magic number (the server sends no Content-Encoding).
func decodePostures(t testing.TB, body []byte) []pcrs.PostureRecord {
	t.Helper()
	if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		body, err = io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
	}
	var recs []pcrs.PostureRecord
	if err := json.Unmarshal(body, &recs); err != nil {
		t.Fatalf("decode postures: %v (%.200q)", err, body)
	}
	return recs
}

func readAll(t testing.TB, resp *http.Response, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readAllOf(t testing.TB, do func() (*http.Response, error)) []byte {
	t.Helper()
	resp, err := do()
	return readAll(t, resp, err)
}
