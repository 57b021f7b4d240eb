package qualystest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
)

// postureCall posts one request to postureInfo of a version with raw query
// parameters and returns the response with its body read.
func postureCall(t *testing.T, s *qualystest.Server, version int, query string, items pcrs.PostureInfoRequest) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(items)
	url := fmt.Sprintf("%s/pcrs/%d.0/posture/postureInfo?%s", s.URL, version, query)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err := s.Client().Do(req)
	b := readAll(t, resp, err)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("postureInfo %d.0?%s: %d %s", version, query, resp.StatusCode, b)
	}
	return resp, b
}

// wholePolicy is the postureInfo request for every host of a policy.
func wholePolicy(d *qualystest.Data, p qualystest.Policy) pcrs.PostureInfoRequest {
	return pcrs.PostureInfoRequest{{PolicyID: wire.IDFromString(strconv.FormatInt(p.ID, 10)),
		SubscriptionID: wire.IDFromString(strconv.FormatInt(d.SubscriptionID, 10)), HostIDs: hostIDs(p, nil)}}
}

// summary is the part of a record the tests compare.
type summary struct {
	ID, PolicyID, ControlID, HostID int64
	Status, Previous                string
	Criticality                     int32
	Modified                        string
}

func summarize(recs []pcrs.PostureRecord) []summary {
	out := make([]summary, len(recs))
	for i, r := range recs {
		s := summary{ID: num(r.ID), PolicyID: num(r.PolicyID), ControlID: num(r.ControlID), HostID: num(r.HostID),
			Status: string(r.Status), Previous: string(r.PreviousStatus), Criticality: r.Criticality.Value}
		if !r.PostureModifiedDate.IsZero() {
			s.Modified = r.PostureModifiedDate.Time().UTC().Format(time.RFC3339)
		}
		out[i] = s
	}
	return out
}

func expected(ps []qualystest.Posture, keep func(qualystest.Posture) bool) []summary {
	out := []summary{}
	for _, p := range ps {
		if keep != nil && !keep(p) {
			continue
		}
		out = append(out, summary{ID: p.ID, PolicyID: p.PolicyID, ControlID: p.ControlID, HostID: p.HostID,
			Status: p.Status, Previous: p.PreviousStatus, Criticality: int32(p.Criticality),
			Modified: p.Modified.UTC().Format(time.RFC3339)})
	}
	return out
}

// TestPostureGzipByDefault: without compressionRequired the body is a raw
// gzip stream, with no Content-Encoding, sent chunked, holding exactly the
// records the data set derives, in every version.
func TestPostureGzipByDefault(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	d := s.Data()
	p := d.Policies[0]
	want := expected(d.Postures(p.ID), nil)
	for v := 1; v <= 5; v++ {
		t.Run(fmt.Sprintf("%d.0", v), func(t *testing.T) {
			resp, body := postureCall(t, s, v, "", wholePolicy(d, p))
			if !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
				t.Fatalf("body starts %q, want the gzip magic number", body[:min(10, len(body))])
			}
			if ce := resp.Header.Get("Content-Encoding"); ce != "" || resp.Uncompressed {
				t.Errorf("Content-Encoding %q: Qualys sends none", ce)
			}
			if resp.ContentLength != -1 || len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
				t.Errorf("length %d, transfer encoding %v: want a chunked stream", resp.ContentLength, resp.TransferEncoding)
			}
			if diff := cmp.Diff(want, summarize(decodePostures(t, body))); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPostureUncompressed(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	d := s.Data()
	p := d.Policies[1]
	_, body := postureCall(t, s, 3, "compressionRequired=0", wholePolicy(d, p))
	if body[0] != '[' {
		t.Fatalf("body starts %q, want a JSON array", body[:10])
	}
	if diff := cmp.Diff(expected(d.Postures(p.ID), nil), summarize(decodePostures(t, body))); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestPostureNoRecordLostOrDuplicated posts every policy's hosts in
// slices, as clients batch, and checks the union against the data set.
func TestPostureNoRecordLostOrDuplicated(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithHosts(90), qualystest.WithPolicies(3), qualystest.WithControlsPerPolicy(7))
	d := s.Data()
	seen := map[int64]int{}
	total := 0
	for _, p := range d.Policies {
		ids := hostIDs(p, nil)
		for start := 0; start < len(ids); start += 25 {
			slice := ids[start:min(start+25, len(ids))]
			_, body := postureCall(t, s, 5, "", pcrs.PostureInfoRequest{{PolicyID: wire.IDFromString(strconv.FormatInt(p.ID, 10)),
				SubscriptionID: wire.IDFromString(strconv.FormatInt(d.SubscriptionID, 10)), HostIDs: slice}})
			for _, r := range decodePostures(t, body) {
				seen[num(r.ID)]++
			}
		}
		total += len(p.HostIDs) * len(p.ControlIDs)
	}
	if len(seen) != total {
		t.Errorf("%d distinct records, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("record %d received %d times", id, n)
		}
	}
}

// fields decodes a plain-JSON posture body into raw objects, to test the
// presence of keys (null and absent look alike in generated types).
func fields(t *testing.T, body []byte) []map[string]json.RawMessage {
	t.Helper()
	var recs []map[string]json.RawMessage
	if err := json.Unmarshal(body, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("no records")
	}
	return recs
}

func TestPostureOptionalParts(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	d := s.Data()
	req := wholePolicy(d, d.Policies[0])
	has := func(rec map[string]json.RawMessage, key string) bool { _, ok := rec[key]; return ok }
	evidenceHas := func(rec map[string]json.RawMessage, key string) bool {
		var ev map[string]json.RawMessage
		json.Unmarshal(rec["evidence"], &ev)
		_, ok := ev[key]
		return ok
	}
	cases := []struct {
		version  int
		query    string
		evidence bool
		extended bool
		cloud    bool
		qds      bool
	}{
		{1, "", false, false, false, false},
		{1, "evidenceRequired=1", true, true, false, false},
		{2, "evidenceRequired=1&cloudMetaDataRequired=1", true, true, false, false}, // no cloud before 3.0
		{3, "cloudMetaDataRequired=1", false, false, true, false},
		{4, "evidenceRequired=1", true, true, false, false},
		{5, "evidenceRequired=1", true, false, false, false},
		{5, "evidenceRequired=1&extendedEvidenceRequired=1&qdScoreRequired=1", true, true, false, true},
		{5, "extendedEvidenceRequired=1", false, false, false, false}, // no effect without evidence
		{3, "qdScoreRequired=1", false, false, false, false},          // 5.0 only
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d.0?%s", tc.version, tc.query), func(t *testing.T) {
			_, body := postureCall(t, s, tc.version, "compressionRequired=0&"+tc.query, req)
			for _, rec := range fields(t, body) {
				if has(rec, "evidence") != tc.evidence {
					t.Fatalf("evidence present: %v, want %v", has(rec, "evidence"), tc.evidence)
				}
				if tc.evidence && evidenceHas(rec, "extendedEvidence") != tc.extended {
					t.Fatalf("extendedEvidence present: %v, want %v", !tc.extended, tc.extended)
				}
				if has(rec, "cloudMetaData") != tc.cloud {
					t.Fatalf("cloudMetaData present: %v, want %v", !tc.cloud, tc.cloud)
				}
				if has(rec, "qdScore") != tc.qds {
					t.Fatalf("qdScore present: %v, want %v", !tc.qds, tc.qds)
				}
				if !has(rec, "CLOUD_RESOURCE_ID") || !has(rec, "causeOfFailure") {
					t.Fatal("CLOUD_RESOURCE_ID and causeOfFailure are always sent")
				}
			}
		})
	}
}

func TestPostureFilters(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithHosts(60), qualystest.WithControlsPerPolicy(20))
	d := s.Data()
	p := d.Policies[0]
	all := d.Postures(p.ID)
	host := func(id int64) qualystest.Host { h, _ := d.Host(id); return h }
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	since := d.Now.AddDate(0, 0, -20)
	from, to := d.Now.AddDate(0, 0, -40), d.Now.AddDate(0, 0, -10)
	cases := []struct {
		version int
		query   string
		keep    func(qualystest.Posture) bool
	}{
		{3, "status=Failed", func(p qualystest.Posture) bool { return p.Status == "Failed" }},
		{3, "status=Passed,Error", func(p qualystest.Posture) bool { return p.Status != "Failed" }},
		{4, "previousStatus=Passed", func(p qualystest.Posture) bool { return p.PreviousStatus == "Passed" }},
		{3, "criticalityValues=4,5", func(p qualystest.Posture) bool { return p.Criticality >= 4 }},
		{5, "criticalityLabels=UNDEFINED,MEDIUM", func(p qualystest.Posture) bool { return p.Criticality == 0 || p.Criticality == 2 }},
		{3, "status=Failed&criticalityValues=3", func(p qualystest.Posture) bool { return p.Status == "Failed" && p.Criticality == 3 }},
		{1, "statusChangedSince=" + day(since), func(p qualystest.Posture) bool { return !p.Modified.Before(since.Truncate(24 * time.Hour)) }},
		{2, "lastEvaluationDate=" + since.Format("2006-01-02T15:04:05Z"), func(p qualystest.Posture) bool { return !p.LastEvaluated.Before(since) }},
		{1, "lastScanDate=" + day(since), func(p qualystest.Posture) bool {
			return !host(p.HostID).LastScan.Before(since.Truncate(24 * time.Hour))
		}},
		{5, "lastScanDateFrom=" + day(from) + "&lastScanDateTo=" + day(to), func(p qualystest.Posture) bool {
			scan := host(p.HostID).LastScan
			return !scan.Before(from.Truncate(24*time.Hour)) && scan.Before(to.Truncate(24*time.Hour).Add(24*time.Hour))
		}},
		// Filters of later versions are ignored by earlier ones.
		{1, "status=Failed", nil},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d.0?%s", tc.version, tc.query), func(t *testing.T) {
			want := expected(all, tc.keep)
			if tc.keep != nil && (len(want) == 0 || len(want) == len(all)) {
				t.Fatalf("bad test data: the filter keeps %d of %d records", len(want), len(all))
			}
			_, body := postureCall(t, s, tc.version, tc.query, wholePolicy(d, p))
			if diff := cmp.Diff(want, summarize(decodePostures(t, body))); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPostureUnknownPolicyAndHosts(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithPolicies(2))
	d := s.Data()
	p0, p1 := d.Policies[0], d.Policies[1]
	var notInP1 string
	for _, h := range p0.HostIDs {
		if !contains(p1.HostIDs, h) {
			notInP1 = strconv.FormatInt(h, 10)
			break
		}
	}
	sub := strconv.FormatInt(d.SubscriptionID, 10)
	_, body := postureCall(t, s, 3, "compressionRequired=0", pcrs.PostureInfoRequest{
		{PolicyID: wire.IDFromString("9999999"), SubscriptionID: wire.IDFromString(sub), HostIDs: hostIDs(p0, nil)},
		{PolicyID: wire.IDFromString(strconv.FormatInt(p1.ID, 10)), SubscriptionID: wire.IDFromString(sub), HostIDs: []wire.ID{wire.IDFromString(notInP1), wire.IDFromString("123")}},
	})
	if string(body) != "[]" {
		t.Errorf("body %s, want []", body)
	}
}

func contains(s []int64, v int64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestPostureLargeStream reads a stream of several megabytes through a
// gzip reader and a streaming decoder, the way clients must.
func TestPostureLargeStream(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("large stream")
	}
	s := qualystest.NewServer(t, qualystest.WithHosts(1500), qualystest.WithPolicies(1), qualystest.WithControlsPerPolicy(6))
	d := s.Data()
	p := d.Policies[0]
	body, _ := json.Marshal(wholePolicy(d, p))
	req, _ := http.NewRequest("POST", s.URL+"/pcrs/5.0/posture/postureInfo?evidenceRequired=1", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	counter := &countingReader{r: resp.Body}
	zr, err := gzip.NewReader(counter)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(zr)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		t.Fatalf("first token %v %v", tok, err)
	}
	n := 0
	for dec.More() {
		var rec pcrs.PostureRecord
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if want := len(p.HostIDs) * len(p.ControlIDs); n != want {
		t.Errorf("%d records, want %d", n, want)
	}
	io.Copy(io.Discard, zr)
	t.Logf("%d records, %d compressed bytes", n, counter.n)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestPostureGeneratedClient: with compressionRequired=0 the generated
// client decodes the stream as it is.
func TestPostureGeneratedClient(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	d := s.Data()
	p := d.Policies[0]
	c := pcrsClient(t, s)
	resp, err := c.GetPostureInfoV5WithResponse(context.Background(),
		&pcrs.GetPostureInfoV5Params{CompressionRequired: ptr(pcrs.ToggleOff), EvidenceRequired: ptr(pcrs.ToggleOn)}, wholePolicy(d, p))
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("%v %d", err, resp.StatusCode())
	}
	if diff := cmp.Diff(expected(d.Postures(p.ID), nil), summarize(*resp.JSON200)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// num is an id the simulator generated, which is always a number.
func num(id wire.ID) int64 {
	n, err := id.Int64()
	if err != nil {
		panic(err)
	}
	return n
}
