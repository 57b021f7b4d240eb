package qualystest

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/internal/jsonappend"
)

// postureQuery is a postureInfo request, parsed for its version.
type postureQuery struct {
	version  int
	evidence bool
	compress bool
	cloud    bool // 3.0+
	extended bool // evidence carries extendedEvidence: always up to 4.0, opt-in in 5.0
	qds      bool // 5.0

	evaluatedSince time.Time
	scannedSince   time.Time
	scannedFrom    time.Time
	scannedTo      time.Time // inclusive
	changedSince   time.Time
	statuses       map[string]bool // 3.0+; nil = all
	previous       string          // 3.0+
	criticalities  map[int]bool    // 3.0+; nil = all
}

// postureItem is one element of the postureInfo request body.
type postureItem struct {
	PolicyID       string   `json:"policyId"`
	SubscriptionID string   `json:"subscriptionId"`
	HostIDs        []string `json:"hostIds"`
}

// parsePostureQuery reads the query parameters of the version. Parameters
// a version does not have are ignored, as unknown parameters are.
func parsePostureQuery(q url.Values, version int) (postureQuery, error) {
	pq := postureQuery{version: version, compress: true}
	flag := func(name string) bool { return q.Get(name) == "1" }
	pq.evidence = flag("evidenceRequired")
	if v := q.Get("compressionRequired"); v != "" {
		pq.compress = v == "1"
	}
	if version >= 3 {
		pq.cloud = flag("cloudMetaDataRequired")
	}
	pq.extended = pq.evidence && (version < 5 || flag("extendedEvidenceRequired"))
	pq.qds = version >= 5 && flag("qdScoreRequired")

	var err error
	if pq.evaluatedSince, err = optionalDate(q, "lastEvaluationDate"); err != nil {
		return pq, err
	}
	if pq.scannedSince, err = optionalDate(q, "lastScanDate"); err != nil {
		return pq, err
	}
	if pq.changedSince, err = optionalDate(q, "statusChangedSince"); err != nil {
		return pq, err
	}
	from, to := q.Get("lastScanDateFrom"), q.Get("lastScanDateTo")
	switch {
	case (from == "") != (to == ""):
		return pq, errors.New("lastScanDateFrom and lastScanDateTo must be sent together")
	case from != "" && !pq.scannedSince.IsZero():
		return pq, errors.New("lastScanDate cannot be combined with lastScanDateFrom/lastScanDateTo")
	case from != "":
		if pq.scannedFrom, err = optionalDate(q, "lastScanDateFrom"); err != nil {
			return pq, err
		}
		t, dateOnly, err := parseDate(to)
		if err != nil {
			return pq, errors.New("lastScanDateTo must be a date or a UTC date-time")
		}
		if dateOnly {
			t = t.Add(24*time.Hour - time.Second) // the whole last day is in the range
		}
		pq.scannedTo = t
	}
	if version < 3 {
		return pq, nil
	}
	if v := q.Get("status"); v != "" {
		pq.statuses = map[string]bool{}
		for _, s := range strings.Split(v, ",") {
			pq.statuses[s] = true
		}
	}
	pq.previous = q.Get("previousStatus")
	values, labels := q.Get("criticalityValues"), q.Get("criticalityLabels")
	if values != "" && labels != "" {
		return pq, errors.New("criticalityValues and criticalityLabels are mutually exclusive")
	}
	if values != "" || labels != "" {
		pq.criticalities = map[int]bool{}
		for _, v := range strings.Split(values+labels, ",") {
			if n, err := strconv.Atoi(v); err == nil {
				pq.criticalities[n] = true
				continue
			}
			for n, l := range criticalityLabels {
				if l == v {
					pq.criticalities[n] = true
				}
			}
		}
	}
	return pq, nil
}

// hostMatches applies the filters that depend on the host alone.
func (pq *postureQuery) hostMatches(h *Host) bool {
	if !pq.scannedSince.IsZero() && h.LastScan.Before(pq.scannedSince) {
		return false
	}
	if !pq.scannedFrom.IsZero() && (h.LastScan.Before(pq.scannedFrom) || h.LastScan.After(pq.scannedTo)) {
		return false
	}
	return true
}

// matches applies the filters on the posture record itself.
func (pq *postureQuery) matches(p *Posture) bool {
	switch {
	case !pq.evaluatedSince.IsZero() && p.LastEvaluated.Before(pq.evaluatedSince):
		return false
	case !pq.changedSince.IsZero() && p.Modified.Before(pq.changedSince):
		return false
	case pq.statuses != nil && !pq.statuses[p.Status]:
		return false
	case pq.previous != "" && p.PreviousStatus != pq.previous:
		return false
	case pq.criticalities != nil && !pq.criticalities[p.Criticality]:
		return false
	}
	return true
}

// postureInfo serves getPostureInfoV1 to V5: the posture records of the
// posted host ids, one host at a time, as one JSON array written while it
// is produced (a response of any size needs no memory), gzip-compressed
// without a Content-Encoding header unless compressionRequired=0. Unknown
// policies and hosts outside the posted policy give no records.
//
// Only the first WithValidatedRecords records are checked against the
// spec; the rest come out of the same code.
func postureInfo(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	pq, err := parsePostureQuery(r.URL.Query(), pcrsVersion(r.URL.Path))
	if err != nil {
		s.fail(w, r, c, http.StatusBadRequest, err.Error())
		return
	}
	var items []postureItem
	if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
		s.fail(w, r, c, http.StatusBadRequest, "unreadable request body: "+err.Error())
		return
	}
	s.notePostureRequest(items)
	d, idx := s.snapshot()

	// Resolve the request first, so that a bad id answers 400 before the
	// stream starts and the batch fields can count hosts.
	type slice struct {
		pi    int
		hosts []int
	}
	var plan []slice
	hosts := 0
	for _, it := range items {
		pid, err := strconv.ParseInt(it.PolicyID, 10, 64)
		if err != nil {
			s.fail(w, r, c, http.StatusBadRequest, "policyId must be numeric: "+strconv.Quote(it.PolicyID))
			return
		}
		pi, ok := idx.policy[pid]
		if !ok {
			continue
		}
		sl := slice{pi: pi}
		for _, h := range it.HostIDs {
			hid, err := strconv.ParseInt(h, 10, 64)
			if err != nil {
				s.fail(w, r, c, http.StatusBadRequest, "hostIds must be numeric: "+strconv.Quote(h))
				return
			}
			if idx.inPolicy(pi, hid) && pq.hostMatches(&d.Hosts[idx.host[hid]]) {
				sl.hosts = append(sl.hosts, idx.host[hid])
			}
		}
		hosts += len(sl.hosts)
		plan = append(plan, sl)
	}

	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	st := newPostureStream(w, pq.compress)
	sample := []byte{'['}
	limit := s.cfg.validatedRecords
	sampled := 0
	const batchHosts = 100
	totalBatches := (hosts + batchHosts - 1) / batchHosts
	hostNo := 0
	var rec []byte
	for _, sl := range plan {
		p := &d.Policies[sl.pi]
		for _, hi := range sl.hosts {
			batch := hostNo/batchHosts + 1
			hostNo++
			for ci := range p.ControlIDs {
				if d.vanished(p.ID, p.ControlIDs[ci], d.Hosts[hi].ID) {
					continue
				}
				ps := idx.posture(d, sl.pi, ci, hi)
				if !pq.matches(&ps) {
					continue
				}
				rec = appendPostureRecord(rec[:0], d, idx, &ps, &pq, batch, totalBatches)
				if err := st.record(rec); err != nil {
					return // the client is gone or a fault broke the stream
				}
				if limit == 0 || sampled < limit {
					if sampled > 0 {
						sample = append(sample, ',')
					}
					sample = append(sample, rec...)
					sampled++
				}
			}
			if err := st.endOfHost(); err != nil {
				return
			}
		}
	}
	st.close()
	s.validateResponse(r, c, http.StatusOK, h, append(sample, ']'))
}

// postureStream writes the array, through gzip when compressed, flushing
// to the client every flushEvery bytes so that the response goes out in
// chunks as it is produced.
type postureStream struct {
	w       http.ResponseWriter
	gz      *gzip.Writer
	buf     *bufio.Writer
	first   bool
	pending int
}

const flushEvery = 64 << 10

func newPostureStream(w http.ResponseWriter, compress bool) *postureStream {
	st := &postureStream{w: w, first: true}
	var out io.Writer = w
	if compress {
		// BestSpeed: the level Qualys uses is not known, and a benchmark
		// must measure the client, not the simulator's compressor.
		st.gz, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
		out = st.gz
	}
	st.buf = bufio.NewWriterSize(out, flushEvery)
	st.buf.WriteByte('[')
	return st
}

func (st *postureStream) record(rec []byte) error {
	if !st.first {
		st.buf.WriteByte(',')
	}
	st.first = false
	_, err := st.buf.Write(rec)
	st.pending += len(rec) + 1
	return err
}

// endOfHost flushes when enough has accumulated: Qualys streams one host
// at a time.
func (st *postureStream) endOfHost() error {
	if st.pending < flushEvery {
		return nil
	}
	st.pending = 0
	return st.flush()
}

func (st *postureStream) flush() error {
	if err := st.buf.Flush(); err != nil {
		return err
	}
	if st.gz != nil {
		if err := st.gz.Flush(); err != nil {
			return err
		}
	}
	return http.NewResponseController(st.w).Flush()
}

func (st *postureStream) close() {
	st.buf.WriteByte(']')
	if st.buf.Flush() != nil {
		return
	}
	if st.gz != nil {
		st.gz.Close()
	}
}

// appendPostureRecord appends one posture record in the field order of
// Qualys' samples.
func appendPostureRecord(b []byte, d *Data, idx *index, ps *Posture, pq *postureQuery, batch, batches int) []byte {
	pol := &d.Policies[idx.policy[ps.PolicyID]]
	h := &d.Hosts[idx.host[ps.HostID]]
	var ctl Control
	if i, ok := idx.control[ps.ControlID]; ok {
		ctl = d.Controls[i]
	}
	var tech Technology
	if i, ok := idx.tech[h.TechnologyID]; ok {
		tech = d.Technologies[i]
	}
	start := len(b)

	b = append(b, '{')
	b = appendKey(b, true, "id")
	b = appendInt(b, ps.ID)
	b = appendKey(b, false, "instance")
	b = append(b, `"os"`...)
	b = appendKey(b, false, "policyId")
	b = appendInt(b, pol.ID)
	b = appendKey(b, false, "policyTitle")
	b = jsonappend.String(b, pol.Title)
	b = appendKey(b, false, "netBios")
	b = appendNullString(b, h.NetBIOS)
	b = appendKey(b, false, "controlId")
	b = appendInt(b, ps.ControlID)
	b = appendKey(b, false, "controlStatement")
	b = jsonappend.String(b, ctl.Statement)
	b = appendKey(b, false, "rationale")
	b = jsonappend.String(b, ctl.Rationale)
	b = appendKey(b, false, "remediation")
	b = jsonappend.String(b, ctl.Remediation)
	b = appendKey(b, false, "category")
	b = appendNullString(b, ctl.Category)
	b = appendKey(b, false, "subCategory")
	b = appendNullString(b, ctl.SubCategory)
	b = appendKey(b, false, "controlReference")
	b = append(b, "null"...)
	b = appendKey(b, false, "technologyId")
	b = appendInt(b, tech.ID)
	b = appendKey(b, false, "status")
	b = jsonappend.String(b, ps.Status)
	b = appendKey(b, false, "previousStatus")
	b = appendNullString(b, ps.PreviousStatus)
	b = appendKey(b, false, "firstFailDate")
	b = appendDate(b, ps.FirstFail)
	b = appendKey(b, false, "lastFailDate")
	b = appendDate(b, ps.LastFail)
	b = appendKey(b, false, "firstPassDate")
	b = appendDate(b, ps.FirstPass)
	b = appendKey(b, false, "lastPassDate")
	b = appendDate(b, ps.LastPass)
	b = appendKey(b, false, "postureModifiedDate")
	b = appendDate(b, ps.Modified)
	b = appendKey(b, false, "lastEvaluatedDate")
	b = appendDate(b, ps.LastEvaluated)
	b = appendKey(b, false, "created")
	b = appendDate(b, ps.Created)
	b = appendKey(b, false, "hostId")
	b = appendInt(b, h.ID)
	b = appendKey(b, false, "ip")
	b = appendNullString(b, h.IP)
	b = appendKey(b, false, "trackingMethod")
	b = appendNullString(b, h.TrackingMethod)
	b = appendKey(b, false, "os")
	b = appendNullString(b, tech.OS)
	b = appendKey(b, false, "osCpe")
	b = appendNullString(b, tech.CPE)
	b = appendKey(b, false, "domainName")
	b = appendNullString(b, h.DNS)
	b = appendKey(b, false, "dns")
	b = appendNullString(b, h.DNS)
	b = appendKey(b, false, "qgHostid")
	b = appendNullString(b, h.QGHostID)
	b = appendKey(b, false, "networkId")
	b = appendInt(b, h.NetworkID)
	b = appendKey(b, false, "networkName")
	b = jsonappend.String(b, h.NetworkName)
	b = appendKey(b, false, "complianceLastScanDate")
	b = appendDate(b, h.LastScan)
	b = appendKey(b, false, "customerUuid")
	b = jsonappend.String(b, d.CustomerUUID)
	b = appendKey(b, false, "customerId")
	b = jsonappend.String(b, strconv.FormatInt(d.SubscriptionID, 10))
	b = appendKey(b, false, "assetId")
	b = appendInt(b, h.AssetID)
	b = appendKey(b, false, "technology")
	b = append(b, `{"id":`...)
	b = appendInt(b, tech.ID)
	b = append(b, `,"name":`...)
	b = jsonappend.String(b, tech.Name)
	b = append(b, '}')
	b = appendKey(b, false, "criticality")
	b = append(b, `{"label":`...)
	b = jsonappend.String(b, CriticalityLabel(ps.Criticality))
	b = append(b, `,"value":`...)
	b = appendInt(b, int64(ps.Criticality))
	b = append(b, '}')
	if pq.evidence {
		b = appendKey(b, false, "evidence")
		b = append(b, `{"expectedValues":`...)
		b = jsonappend.String(b, ctl.Expected)
		b = append(b, `,"currentValues":`...)
		b = appendStrings(b, ps.CurrentValues)
		b = append(b, `,"actualValues":null,"directoryFimUdc":null,"lastUpdated":`...)
		b = appendDate(b, h.LastScan)
		if pq.extended {
			b = append(b, `,"extendedEvidence":`...)
			b = jsonappend.String(b, extendedEvidence(ps))
		}
		b = append(b, '}')
	}
	b = appendKey(b, false, "causeOfFailure")
	if pq.evidence && ps.Status == StatusFailed {
		b = append(b, `{"missing":`...)
		b = appendStrings(b, ps.Missing)
		b = append(b, `,"unexpected":`...)
		b = appendStrings(b, ps.Unexpected)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = appendKey(b, false, "userDefinedAttributesList")
	b = append(b, "null"...)
	size := len(b) - start + 200 // about the size of what follows
	b = appendKey(b, false, "currentDataSizeKB")
	b = appendKB(b, size)
	b = appendKey(b, false, "totalDataSizeKB")
	b = appendKB(b, size*batches*100)
	b = appendKey(b, false, "currentBatch")
	b = appendInt(b, int64(batch))
	b = appendKey(b, false, "totalBatches")
	b = appendInt(b, int64(batches))
	if pq.cloud {
		b = appendKey(b, false, "cloudMetaData")
		if cl := h.Cloud; cl != nil {
			b = append(b, `{"cloudProvider":`...)
			b = jsonappend.String(b, cl.Provider)
			b = append(b, `,"cloudService":`...)
			b = jsonappend.String(b, cl.Service)
			b = append(b, `,"cloudResourceId":`...)
			b = jsonappend.String(b, cl.ResourceID)
			b = append(b, `,"cloudResourceType":`...)
			b = jsonappend.String(b, cl.ResourceType)
			b = append(b, `,"cloudAccountId":`...)
			b = jsonappend.String(b, cl.AccountID)
			b = append(b, `,"cloudImageId":`...)
			b = appendNullString(b, cl.ImageID)
			b = append(b, `,"cloudResourceMetadata":`...)
			b = jsonappend.String(b, cl.Metadata)
			b = append(b, '}')
		} else {
			b = append(b, "null"...)
		}
	}
	b = appendKey(b, false, "CLOUD_RESOURCE_ID")
	if h.Cloud != nil {
		b = jsonappend.String(b, h.Cloud.ResourceID)
	} else {
		b = append(b, "null"...)
	}
	if pq.qds {
		b = appendKey(b, false, "qdScore")
		b = appendInt(b, int64(ps.QDS))
	}
	return append(b, '}')
}

// appendKB appends a size in KB with two decimals, quoted as Qualys sends it.
func appendKB(b []byte, bytes int) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(bytes/1024), 10)
	frac := bytes % 1024 * 100 / 1024
	b = append(b, '.', byte('0'+frac/10), byte('0'+frac%10))
	return append(b, '"')
}

// extendedEvidence is the evidence as text rows, as Qualys formats it.
func extendedEvidence(ps *Posture) string {
	var sb strings.Builder
	sb.WriteString("Row 1:setting,value\n")
	for i, v := range ps.CurrentValues {
		fmt.Fprintf(&sb, "Row %d:%d,%s\n", i+2, ps.ControlID, v)
	}
	return sb.String()
}
