// Package posturedecode decodes PCRS posture records (pcrs.PostureRecord)
// from their raw JSON text without reflection, for the streaming posture
// path. It is a [jsonstream.ElementDecoder]: it takes the forms Qualys
// sends (strings, numbers, null, the record's nested objects) and hands
// every other element back to jsonstream's general decoder, which then
// decodes it by the package's rules. So a record decodes to the same value,
// or fails with the same error, with or without this package; only faster.
//
// Names match fields as encoding/json matches them: the exact name first,
// else the first field whose name is equal under Unicode case folding.
// An element that names a field twice goes to the general decoder, which
// owns the rules for merging.
//
// Strings that repeat across records (control texts, host names,
// technology names, statuses) are interned per stream in a bounded table.
//
// [Decoder.DecodePrefix] reads bytes that nothing has validated: it checks
// the syntax of every byte of the record as strictly as jsonstream's
// tokenizer (number grammar, literals, escapes and control characters in
// strings, the structure of skipped values), so that a record it takes is
// one the tokenizer accepts, and everything else goes to the tokenizer.
package posturedecode

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/jsonstream"
	"github.com/qualyskit/qualys-go/wire"
)

// Decoder decodes posture records. It keeps an intern table and scratch
// buffers, so use one per stream, from one goroutine.
type Decoder struct {
	intern   internTable
	unquoted []byte
	strs     []string
	prev     [slots]string
	// The last date read, as text and as a value.
	lastDateText []byte
	lastDate     wire.Time
}

// New returns a Decoder for one stream.
func New() *Decoder { return &Decoder{} }

// NewElementDecoder returns a Decoder as a jsonstream.ElementDecoder, for
// jsonstream.WithElementDecoder.
func NewElementDecoder() jsonstream.ElementDecoder[pcrs.PostureRecord] { return New() }

// DecodeElement decodes raw, one posture record, into *r, or reports false
// when the record holds a form that the general decoder must handle.
func (d *Decoder) DecodeElement(raw []byte, r *pcrs.PostureRecord) bool {
	s := scanner{b: raw}
	if !d.record(&s, r) || s.short {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}

// DecodePrefix decodes the record at the start of buf into *r, checking
// its syntax as it goes, and returns its length. It reports ok false when
// the record is not valid JSON, holds a form the general decoder must
// handle, or is cut by the end of buf; more then says whether the end of
// buf was reached, so that the record may be whole with more bytes.
func (d *Decoder) DecodePrefix(buf []byte, r *pcrs.PostureRecord) (n int, ok, more bool) {
	s := scanner{b: buf}
	ok = d.record(&s, r) && !s.short
	return s.i, ok, s.short
}

// Fields of pcrs.PostureRecord, in the struct's order: the order in which
// a case-insensitive name is matched.
var recordNames = [...]string{
	"CLOUD_RESOURCE_ID", "assetId", "category", "causeOfFailure", "cloudMetaData",
	"complianceLastScanDate", "controlId", "controlReference", "controlStatement", "created",
	"criticality", "currentBatch", "currentDataSizeKB", "customerId", "customerUuid",
	"dns", "domainName", "evidence", "firstFailDate", "firstPassDate",
	"hostId", "id", "instance", "ip", "lastEvaluatedDate",
	"lastFailDate", "lastPassDate", "netBios", "networkId", "networkName",
	"os", "osCpe", "policyId", "policyTitle", "postureModifiedDate",
	"previousStatus", "qgHostid", "rationale", "remediation", "status",
	"subCategory", "technology", "technologyId", "totalBatches", "totalDataSizeKB",
	"trackingMethod", "userDefinedAttributesList",
}

// fieldIndex returns the index in names of the field a JSON name fills,
// or -1. exact is the index the compiled switch over the same names gave.
func fieldIndex(names []string, exact int, name []byte) int {
	if exact >= 0 {
		return exact
	}
	for i, n := range names {
		if bytes.EqualFold([]byte(n), name) {
			return i
		}
	}
	return -1
}

func recordExact(name []byte) int {
	switch string(name) {
	case "CLOUD_RESOURCE_ID":
		return 0
	case "assetId":
		return 1
	case "category":
		return 2
	case "causeOfFailure":
		return 3
	case "cloudMetaData":
		return 4
	case "complianceLastScanDate":
		return 5
	case "controlId":
		return 6
	case "controlReference":
		return 7
	case "controlStatement":
		return 8
	case "created":
		return 9
	case "criticality":
		return 10
	case "currentBatch":
		return 11
	case "currentDataSizeKB":
		return 12
	case "customerId":
		return 13
	case "customerUuid":
		return 14
	case "dns":
		return 15
	case "domainName":
		return 16
	case "evidence":
		return 17
	case "firstFailDate":
		return 18
	case "firstPassDate":
		return 19
	case "hostId":
		return 20
	case "id":
		return 21
	case "instance":
		return 22
	case "ip":
		return 23
	case "lastEvaluatedDate":
		return 24
	case "lastFailDate":
		return 25
	case "lastPassDate":
		return 26
	case "netBios":
		return 27
	case "networkId":
		return 28
	case "networkName":
		return 29
	case "os":
		return 30
	case "osCpe":
		return 31
	case "policyId":
		return 32
	case "policyTitle":
		return 33
	case "postureModifiedDate":
		return 34
	case "previousStatus":
		return 35
	case "qgHostid":
		return 36
	case "rationale":
		return 37
	case "remediation":
		return 38
	case "status":
		return 39
	case "subCategory":
		return 40
	case "technology":
		return 41
	case "technologyId":
		return 42
	case "totalBatches":
		return 43
	case "totalDataSizeKB":
		return 44
	case "trackingMethod":
		return 45
	case "userDefinedAttributesList":
		return 46
	}
	return -1
}

// seen tracks the fields an object has filled, to hand duplicates over.
type seen uint64

func (m *seen) first(i int) bool {
	bit := seen(1) << i
	if *m&bit != 0 {
		return false
	}
	*m |= bit
	return true
}

func (d *Decoder) record(s *scanner, r *pcrs.PostureRecord) bool {
	var filled seen
	return s.members(d, func(name []byte) bool {
		i := fieldIndex(recordNames[:], recordExact(name), name)
		if i < 0 {
			_, ok := s.value()
			return ok
		}
		if !filled.first(i) {
			return false
		}
		switch i {
		case 0:
			return d.str(s, &r.CloudResourceID, noIntern)
		case 1:
			return unmarshal(s, &r.AssetID)
		case 2:
			return d.str(s, &r.Category, 2)
		case 3:
			return d.causeOfFailure(s, &r.CauseOfFailure)
		case 4:
			return d.cloudMetaData(s, &r.CloudMetaData)
		case 5:
			return d.timeValue(s, &r.ComplianceLastScanDate)
		case 6:
			return unmarshal(s, &r.ControlID)
		case 7:
			return raw(s, &r.ControlReference)
		case 8:
			return d.str(s, &r.ControlStatement, 8)
		case 9:
			return d.timeValue(s, &r.Created)
		case 10:
			return d.criticality(s, &r.Criticality)
		case 11:
			return unmarshal(s, &r.CurrentBatch)
		case 12:
			return unmarshal(s, &r.CurrentDataSizeKB)
		case 13:
			return unmarshal(s, &r.CustomerID)
		case 14:
			return d.str(s, &r.CustomerUUID, 14)
		case 15:
			return d.str(s, &r.DNS, 15)
		case 16:
			return d.str(s, &r.DomainName, 16)
		case 17:
			return d.evidence(s, &r.Evidence)
		case 18:
			return d.timeValue(s, &r.FirstFailDate)
		case 19:
			return d.timeValue(s, &r.FirstPassDate)
		case 20:
			return unmarshal(s, &r.HostID)
		case 21:
			return unmarshal(s, &r.ID)
		case 22:
			return d.str(s, &r.Instance, 22)
		case 23:
			return d.str(s, &r.IP, 23)
		case 24:
			return d.timeValue(s, &r.LastEvaluatedDate)
		case 25:
			return d.timeValue(s, &r.LastFailDate)
		case 26:
			return d.timeValue(s, &r.LastPassDate)
		case 27:
			return d.str(s, &r.NetBios, 27)
		case 28:
			return unmarshal(s, &r.NetworkID)
		case 29:
			return d.str(s, &r.NetworkName, 29)
		case 30:
			return d.str(s, &r.OS, 30)
		case 31:
			return d.str(s, &r.OSCPE, 31)
		case 32:
			return unmarshal(s, &r.PolicyID)
		case 33:
			return d.str(s, &r.PolicyTitle, 33)
		case 34:
			return d.timeValue(s, &r.PostureModifiedDate)
		case 35:
			return d.str(s, (*string)(&r.PreviousStatus), 35)
		case 36:
			return d.str(s, &r.QGHostID, noIntern)
		case 37:
			return d.str(s, &r.Rationale, 37)
		case 38:
			return d.str(s, &r.Remediation, 38)
		case 39:
			return d.str(s, (*string)(&r.Status), 39)
		case 40:
			return d.str(s, &r.SubCategory, 40)
		case 41:
			return d.technology(s, &r.Technology)
		case 42:
			return unmarshal(s, &r.TechnologyID)
		case 43:
			return unmarshal(s, &r.TotalBatches)
		case 44:
			return unmarshal(s, &r.TotalDataSizeKB)
		case 45:
			return d.str(s, &r.TrackingMethod, 45)
		case 46:
			return d.anyList(s, &r.UserDefinedAttributesList)
		}
		return false
	})
}

var criticalityNames = []string{"label", "value"}

func criticalityExact(name []byte) int {
	switch string(name) {
	case "label":
		return 0
	case "value":
		return 1
	}
	return -1
}

func (d *Decoder) criticality(s *scanner, c *pcrs.Criticality) bool {
	if s.isNull() {
		return true
	}
	var filled seen
	return s.members(d, func(name []byte) bool {
		i := fieldIndex(criticalityNames, criticalityExact(name), name)
		switch {
		case i < 0:
			_, ok := s.value()
			return ok
		case !filled.first(i):
			return false
		case i == 0:
			return d.str(s, (*string)(&c.Label), slotCriticalityLabel)
		}
		if s.isNull() {
			return true
		}
		v, ok := s.value()
		if !ok {
			return false
		}
		n, ok := int32Of(v)
		c.Value = n
		return ok
	})
}

var technologyNames = []string{"id", "name"}

func technologyExact(name []byte) int {
	switch string(name) {
	case "id":
		return 0
	case "name":
		return 1
	}
	return -1
}

func (d *Decoder) technology(s *scanner, t *pcrs.Technology) bool {
	if s.isNull() {
		return true
	}
	var filled seen
	return s.members(d, func(name []byte) bool {
		i := fieldIndex(technologyNames, technologyExact(name), name)
		switch {
		case i < 0:
			_, ok := s.value()
			return ok
		case !filled.first(i):
			return false
		case i == 0:
			return unmarshal(s, &t.ID)
		}
		return d.str(s, &t.Name, slotTechnologyName)
	})
}

var cloudNames = []string{
	"cloudAccountId", "cloudImageId", "cloudProvider", "cloudResourceId",
	"cloudResourceMetadata", "cloudResourceType", "cloudService",
}

func cloudExact(name []byte) int {
	switch string(name) {
	case "cloudAccountId":
		return 0
	case "cloudImageId":
		return 1
	case "cloudProvider":
		return 2
	case "cloudResourceId":
		return 3
	case "cloudResourceMetadata":
		return 4
	case "cloudResourceType":
		return 5
	case "cloudService":
		return 6
	}
	return -1
}

func (d *Decoder) cloudMetaData(s *scanner, c *pcrs.CloudMetaData) bool {
	if s.isNull() {
		return true
	}
	var filled seen
	return s.members(d, func(name []byte) bool {
		i := fieldIndex(cloudNames, cloudExact(name), name)
		switch {
		case i < 0:
			_, ok := s.value()
			return ok
		case !filled.first(i):
			return false
		}
		fields := [...]*string{&c.CloudAccountID, &c.CloudImageID, &c.CloudProvider, &c.CloudResourceID,
			&c.CloudResourceMetadata, &c.CloudResourceType, &c.CloudService}
		// Account, image, provider, type and service repeat across hosts.
		slot := slotCloud + i
		if i == 3 || i == 4 {
			slot = noIntern
		}
		return d.str(s, fields[i], slot)
	})
}

var evidenceNames = []string{
	"actualValues", "currentValues", "directoryFimUdc", "expectedValues", "extendedEvidence", "lastUpdated",
}

func evidenceExact(name []byte) int {
	switch string(name) {
	case "actualValues":
		return 0
	case "currentValues":
		return 1
	case "directoryFimUdc":
		return 2
	case "expectedValues":
		return 3
	case "extendedEvidence":
		return 4
	case "lastUpdated":
		return 5
	}
	return -1
}

func (d *Decoder) evidence(s *scanner, e *pcrs.Evidence) bool {
	if s.isNull() {
		return true
	}
	var filled seen
	return s.members(d, func(name []byte) bool {
		i := fieldIndex(evidenceNames, evidenceExact(name), name)
		switch {
		case i < 0:
			_, ok := s.value()
			return ok
		case !filled.first(i):
			return false
		}
		switch i {
		case 0:
			return raw(s, &e.ActualValues)
		case 1:
			return d.strings(s, &e.CurrentValues)
		case 2:
			return raw(s, &e.DirectoryFimUdc)
		case 3:
			return d.str(s, &e.ExpectedValues, 3)
		case 4:
			return d.str(s, &e.ExtendedEvidence, noIntern)
		}
		return d.timeValue(s, &e.LastUpdated)
	})
}

var causeNames = []string{"missing", "unexpected"}

func causeExact(name []byte) int {
	switch string(name) {
	case "missing":
		return 0
	case "unexpected":
		return 1
	}
	return -1
}

func (d *Decoder) causeOfFailure(s *scanner, c *pcrs.CauseOfFailure) bool {
	if s.isNull() {
		return true
	}
	var filled seen
	return s.members(d, func(name []byte) bool {
		i := fieldIndex(causeNames, causeExact(name), name)
		switch {
		case i < 0:
			_, ok := s.value()
			return ok
		case !filled.first(i):
			return false
		case i == 0:
			return raw(s, &c.Missing)
		}
		return raw(s, &c.Unexpected)
	})
}

// Interning slots: each interned field remembers its previous value,
// which the next record often repeats (records come grouped by host or by
// control), so most lookups are one comparison instead of a hash.
// Record fields use their index in recordNames.
const (
	noIntern             = -1
	slotCriticalityLabel = len(recordNames) + iota
	slotTechnologyName
	slotExpectedValues
	slotCurrentValue
	slotAny
	slotCloud // and the six after it
	slots     = slotCloud + 7
)

// str decodes a JSON string or null into *dst; slot says whether, and as
// which field, its values are interned.
func (d *Decoder) str(s *scanner, dst *string, slot int) bool {
	switch s.peek() {
	case 'n':
		return s.word("null")
	case '"':
	default:
		return false
	}
	span, ok := s.stringText(&d.unquoted)
	if !ok {
		return false
	}
	switch {
	case slot == noIntern:
		*dst = string(span)
	case d.prev[slot] == string(span): // no allocation for the comparison
		*dst = d.prev[slot]
	default:
		*dst = d.intern.get(span)
		d.prev[slot] = *dst
	}
	return true
}

// strings decodes an array of JSON strings, or null.
func (d *Decoder) strings(s *scanner, dst *[]string) bool {
	if s.isNull() {
		return true
	}
	if !s.consume('[') {
		return false
	}
	d.strs = d.strs[:0]
	if !s.consume(']') {
		for {
			var v string
			if s.peek() != '"' || !d.str(s, &v, slotCurrentValue) {
				return false
			}
			d.strs = append(d.strs, v)
			if s.consume(']') {
				break
			}
			if !s.consume(',') {
				return false
			}
		}
	}
	*dst = append(make([]string, 0, len(d.strs)), d.strs...)
	clear(d.strs)
	return true
}

// anyList decodes null or an array into a list of any values, as
// encoding/json does: objects as map[string]any, numbers as float64.
func (d *Decoder) anyList(s *scanner, dst *[]interface{}) bool {
	if s.peek() != '[' && s.peek() != 'n' {
		return false
	}
	v, ok := d.anyValue(s)
	if !ok {
		return false
	}
	if v != nil {
		*dst = v.([]interface{})
	}
	return true
}

// anyValue decodes any JSON value the way encoding/json fills an
// interface{}.
func (d *Decoder) anyValue(s *scanner) (interface{}, bool) {
	switch s.peek() {
	case '"':
		var v string
		ok := d.str(s, &v, slotAny)
		return v, ok
	case '{':
		m := map[string]interface{}{}
		ok := s.members(d, func(name []byte) bool {
			key := d.intern.get(name)
			v, ok := d.anyValue(s)
			m[key] = v
			return ok
		})
		return m, ok
	case '[':
		if s.depth++; s.depth > maxDepth {
			return nil, false
		}
		s.i++
		list := []interface{}{}
		if s.consume(']') {
			s.depth--
			return list, true
		}
		for {
			v, ok := d.anyValue(s)
			if !ok {
				return nil, false
			}
			list = append(list, v)
			if s.consume(']') {
				s.depth--
				return list, true
			}
			if !s.consume(',') {
				return nil, false
			}
		}
	case 'n':
		return nil, s.word("null")
	case 't':
		return true, s.word("true")
	case 'f':
		return false, s.word("false")
	case 0:
		return nil, false
	}
	start := s.i
	if !s.number() {
		return nil, false
	}
	f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
	return f, err == nil
}

// raw copies the value's text, as encoding/json does for a RawMessage.
func raw(s *scanner, dst *json.RawMessage) bool {
	v, ok := s.value()
	*dst = append(json.RawMessage(nil), v...)
	return ok
}

// unmarshal hands the value's text to a wire type's UnmarshalJSON, which
// the general decoder's UnmarshalJSONFrom agrees with; an error goes to
// the general decoder for its message.
func unmarshal(s *scanner, dst json.Unmarshaler) bool {
	v, ok := s.value()
	return ok && dst.UnmarshalJSON(v) == nil
}

// timeValue decodes a date-time. The form Qualys sends,
// "2024-10-04T09:47:33Z", is read here, the same value wire.Time's
// UnmarshalJSON gives without time.Parse; every other form goes to
// UnmarshalJSON.
func (d *Decoder) timeValue(s *scanner, dst *wire.Time) bool {
	v, ok := s.value()
	if !ok {
		return false
	}
	if bytes.Equal(v, d.lastDateText) { // dates repeat from record to record
		*dst = d.lastDate
		return true
	}
	if t, ok := utcSeconds(v); ok {
		*dst = wire.TimeOf(t)
	} else if dst.UnmarshalJSON(v) != nil {
		return false
	}
	d.lastDateText, d.lastDate = append(d.lastDateText[:0], v...), *dst
	return true
}

// utcSeconds parses "YYYY-MM-DDTHH:MM:SSZ" (quotes included) with the
// ranges time.Parse checks.
func utcSeconds(v []byte) (time.Time, bool) {
	if len(v) != 22 || v[0] != '"' || v[21] != '"' || v[5] != '-' || v[8] != '-' || v[11] != 'T' ||
		v[14] != ':' || v[17] != ':' || v[20] != 'Z' {
		return time.Time{}, false
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(v[1:5]), num(v[6:8]), num(v[9:11])
	hour, minute, sec := num(v[12:14]), num(v[15:17]), num(v[18:20])
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	if day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// int32Of parses a JSON integer that fits an int32.
func int32Of(b []byte) (int32, bool) {
	if len(b) == 0 || len(b) > 11 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false // a fraction or exponent
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	if n < -1<<31 || n > 1<<31-1 || len(b) == 0 {
		return 0, false
	}
	return int32(n), true
}
