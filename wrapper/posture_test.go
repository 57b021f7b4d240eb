package qualys

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
)

// postureJSON renders n records for the given hosts of a policy.
func postureJSON(t *testing.T, policyID string, hostIDs []string) []byte {
	t.Helper()
	var recs []map[string]any
	for i, h := range hostIDs {
		recs = append(recs, map[string]any{
			"id": 1000 + i, "policyId": json.Number(policyID), "hostId": json.Number(h),
			"controlId": 1131, "status": "Failed", "technologyId": 346,
			"criticality": map[string]any{"label": "SERIOUS", "value": 3},
		})
	}
	if recs == nil {
		return []byte("[]")
	}
	b, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func postureRequest(hosts ...string) PostureRequest {
	return PostureRequest{Policies: pcrs.PostureInfoRequest{{PolicyID: wire.IDFromString("1438626"), SubscriptionID: wire.IDFromString("1337821"), HostIDs: idsOf(hosts)}}}
}

func TestPostureStreamBodies(t *testing.T) {
	hosts := []string{"4980343", "4980344", "4980345"}
	plain := postureJSON(t, "1438626", hosts)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		want        int
		wantErr     []error // each must match with errors.Is
	}{
		{"plain", "application/json", plain, 3, nil},
		{"gzip without Content-Encoding", "application/octet-stream", gzipped(plain), 3, nil},
		{"empty array", "application/json", []byte("[]"), 0, nil},
		{"empty gzip array", "", gzipped([]byte("[]")), 0, nil},
		{"truncated plain", "application/json", plain[:len(plain)-40], 2, []error{ErrUnexpectedBody, io.ErrUnexpectedEOF}},
		{"truncated gzip", "", gzipped(plain)[:40], 0, []error{ErrUnexpectedBody, io.ErrUnexpectedEOF}},
		{"HTML page with 200", "text/html", []byte("<html><body>Service Unavailable</body></html>"), 0, []error{ErrUnexpectedBody}},
		{"empty body", "application/json", nil, 0, []error{ErrUnexpectedBody, io.ErrUnexpectedEOF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/pcrs/5.0/posture/postureInfo" || r.Method != http.MethodPost {
					t.Errorf("got %s %s", r.Method, r.URL.Path)
				}
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.Write(tt.body)
			}, withHTTP2()).client(t)
			recs, err := collect(c.PostureStream(context.Background(), postureRequest(hosts...)))
			if len(recs) != tt.want {
				t.Errorf("got %d records, want %d", len(recs), tt.want)
			}
			for i, r := range recs {
				if !r.HostID.Equal(wire.NewID(int64(4980343+i))) || r.Status != "Failed" {
					t.Errorf("record %d = host %s status %q", i, r.HostID, r.Status)
				}
			}
			if tt.wantErr == nil && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			for _, target := range tt.wantErr {
				if !errors.Is(err, target) {
					t.Errorf("error %v does not match %v", err, target)
				}
			}
			if tt.wantErr != nil && !strings.Contains(err.Error(), "HTTP 200") {
				t.Errorf("error does not name the status: %v", err)
			}
		})
	}
}

func TestPostureStreamHTTPErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ct     string
		body   string
		want   error
	}{
		{"expired token stays 401", 401, "application/json", `{"status":401,"error":"Unauthorized","message":"JWT expired"}`, ErrTokenExpired},
		{"invalid flag", 404, "application/json", `{"message":"Invalid input Parameter."}`, ErrInvalidRequest},
		{"HTML bad gateway", 502, "text/html", `<html><h1>502 Bad Gateway</h1></html>`, ErrServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ct)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}, withHTTP2()).client(t, WithMaxRetries(0))
			recs, err := collect(c.PostureStream(context.Background(), postureRequest("1")))
			if len(recs) != 0 {
				t.Errorf("got %d records from an error", len(recs))
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("got %v, want an *APIError with status %d", err, tt.status)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("%v does not match %v", err, tt.want)
			}
		})
	}
}

// TestPostureStreamBreakClosesBody proves that leaving the loop early
// releases the response: the server sees the client go away while it is
// still writing.
func TestPostureStreamBreakClosesBody(t *testing.T) {
	gone := make(chan struct{})
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "[")
		for i := 0; ; i++ {
			if i > 0 {
				io.WriteString(w, ",")
			}
			fmt.Fprintf(w, `{"id":%d,"hostId":1,"policyId":2,"controlId":3,"status":"Passed"}`, i)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				close(gone)
				return
			case <-time.After(time.Millisecond):
			}
		}
	}, withHTTP2()).client(t)
	n := 0
	for _, err := range c.PostureStream(context.Background(), postureRequest("1")) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 5 {
			break
		}
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the server kept writing: the body was not closed")
	}
}

// TestPostureStreamHTTP2Reset cuts an HTTP/2 stream after some records:
// the records before the cut arrive, then an error, never a short success.
func TestPostureStreamHTTP2Reset(t *testing.T) {
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			t.Errorf("want HTTP/2, got %s", r.Proto)
		}
		io.WriteString(w, `[{"id":1,"hostId":1,"policyId":2,"controlId":3,"status":"Passed"},{"id":2,"hostId":1,"policyId":2,"controlId":3,"status":"Passed"},`)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // resets the stream
	}, withHTTP2()).client(t)
	recs, err := collect(c.PostureStream(context.Background(), postureRequest("1")))
	if len(recs) != 2 {
		t.Errorf("got %d records before the reset, want 2", len(recs))
	}
	if err == nil || !errors.Is(err, ErrUnexpectedBody) {
		t.Fatalf("got %v, want an error wrapping ErrUnexpectedBody", err)
	}
}

func TestPostureStreamQueryAndVersions(t *testing.T) {
	var got atomic.Value
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.Path + "?" + r.URL.RawQuery)
		io.WriteString(w, "[]")
	}, withHTTP2()).client(t)
	since := time.Date(2024, 11, 1, 8, 30, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name    string
		req     PostureRequest
		want    string // path and query sent, "" when nothing may be sent
		wantErr string
	}{
		{"5.0 filters", PostureRequest{Filter: PostureFilter{
			Status: []pcrs.PostureStatus{Failed}, Evidence: true, ExtendedEvidence: true,
		}}, "/pcrs/5.0/posture/postureInfo?evidenceRequired=1&status=Failed&extendedEvidenceRequired=1", ""},
		{"3.0 criticality and dates", PostureRequest{Version: "3.0", Filter: PostureFilter{
			Criticality: []pcrs.CriticalityLabel{pcrs.CriticalityLabelSERIOUS}, ChangedSince: since, PreviousStatus: Passed,
		}}, "/pcrs/3.0/posture/postureInfo?statusChangedSince=2024-11-01T07%3A30%3A00Z&previousStatus=Passed&criticalityLabels=SERIOUS", ""},
		{"scan range", PostureRequest{Filter: PostureFilter{ScannedSince: since, ScannedBefore: since.Add(24 * time.Hour)}},
			"/pcrs/5.0/posture/postureInfo?lastScanDateFrom=2024-11-01T07%3A30%3A00Z&lastScanDateTo=2024-11-02T07%3A30%3A00Z", ""},
		{"1.0 plain", PostureRequest{Version: "1.0"}, "/pcrs/1.0/posture/postureInfo?", ""},
		{"status needs 3.0", PostureRequest{Version: "2.0", Filter: PostureFilter{Status: []pcrs.PostureStatus{Failed}}}, "", "status filter needs 3.0"},
		{"extended evidence needs 5.0", PostureRequest{Version: "4.0", Filter: PostureFilter{Evidence: true, ExtendedEvidence: true}}, "", "needs 5.0"},
		{"extended evidence needs evidence", PostureRequest{Filter: PostureFilter{ExtendedEvidence: true}}, "", "needs evidence"},
		{"unknown status", PostureRequest{Filter: PostureFilter{Status: []pcrs.PostureStatus{"failed"}}}, "", "unknown status"},
		{"scan range half", PostureRequest{Filter: PostureFilter{ScannedBefore: since}}, "", "both ends"},
		{"unknown version", PostureRequest{Version: "6.0"}, "", "unknown version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got.Store("")
			tt.req.Policies = postureRequest("1").Policies
			_, err := collect(c.PostureStream(context.Background(), tt.req))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidRequest) {
					t.Fatalf("got %v, want an ErrInvalidRequest containing %q", err, tt.wantErr)
				}
				if s := got.Load().(string); s != "" {
					t.Errorf("a rejected request was sent: %s", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := got.Load().(string); s != tt.want {
				t.Errorf("sent %s, want %s", s, tt.want)
			}
		})
	}
}

// idsOf turns id texts into ids as hostids returns them (JSON strings).
func idsOf(texts []string) []wire.ID {
	out := make([]wire.ID, len(texts))
	for i, s := range texts {
		out[i] = wire.IDFromString(s)
	}
	return out
}
