package qualys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"reflect"
	"strings"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/jsonstream"
)

// PostureVersion selects a version of the PCRS postureInfo API. Every
// version answers with the same record shape; later ones add filters.
type PostureVersion string

// Published postureInfo versions. 4.0 reached end of life in November
// 2026; 5.0 is the one to use.
const (
	PostureV1 PostureVersion = "1.0"
	PostureV2 PostureVersion = "2.0"
	PostureV3 PostureVersion = "3.0"
	PostureV4 PostureVersion = "4.0"
	PostureV5 PostureVersion = "5.0"

	DefaultPostureVersion = PostureV5
)

// PostureRequest is one postureInfo call: the host ids of one or more
// policies, the filters, and the API version to send them to.
type PostureRequest struct {
	// Version defaults to DefaultPostureVersion.
	Version PostureVersion
	// Policies lists the policies and host ids to report on, as hostids
	// returns them.
	Policies pcrs.PostureInfoRequest
	// Params holds the query parameters. It is the 5.0 parameter set, the
	// largest; a filter the chosen version does not have is an error, not
	// silently dropped. CompressionRequired may be 0 or 1: the stream
	// detects a gzip body either way.
	Params pcrs.GetPostureInfoV5Params
}

// PostureStream sends one postureInfo request and yields its records one at
// a time while the body arrives, in memory that does not grow with the
// response: a multi-gigabyte answer costs one record plus buffers. A gzip
// body (compressionRequired=1, which Qualys sends without
// Content-Encoding) is detected by its magic bytes and decompressed on the
// fly.
//
// An error is yielded once and ends the sequence: an HTTP error as an
// *APIError; a body that is not a JSON array, or that is cut short, after
// every record read before the damage, wrapping ErrUnexpectedBody (and
// io.ErrUnexpectedEOF for a cut). A lone object that is an error envelope
// (a message or errorCode and no record identifiers) is an *APIError
// carrying the server's message and matching ErrInBody; a record without
// hostId, policyId or controlId wraps ErrUnexpectedBody. A record (with the
// white space before it) larger than WithMaxPostureRecordSize matches
// ErrBodyTooLarge.
//
// The context is checked between records: once it has ended, the sequence
// yields its error and stops, even if more records were already buffered.
// Breaking out of the loop closes the body. Each range sends the request
// anew.
func (c *Client) PostureStream(ctx context.Context, r PostureRequest) iter.Seq2[pcrs.PostureRecord, error] {
	return func(yield func(pcrs.PostureRecord, error) bool) {
		var zero pcrs.PostureRecord
		req, err := c.postureRequest(ctx, r)
		if err != nil {
			yield(zero, err)
			return
		}
		op := opName(req.Method, req.URL.Path)
		ctxErr := func() error {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("qualys: %s: %w", op, err)
			}
			return nil
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if cerr := ctxErr(); cerr != nil {
				err = cerr
			} else {
				err = scrubError("qualys: "+op+": ", err, nil)
			}
			yield(zero, err)
			return
		}
		if !isSuccess(resp.StatusCode) {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			yield(zero, ParseErrorResponse(resp, body))
			return
		}
		maxRecord := c.maxRecord
		if maxRecord <= 0 {
			maxRecord = defaultMaxRecord
		}
		opts := []jsonstream.Option{
			jsonstream.MaxElementSize(maxRecord),
			jsonstream.CheckObject(func(raw []byte) error { return envelopeError(resp, raw) }),
		}
		index := 0
		for rec, err := range jsonstream.ElementsCloser[pcrs.PostureRecord](resp.Body, opts...) {
			if cerr := ctxErr(); cerr != nil {
				yield(zero, cerr)
				return
			}
			if err != nil {
				var apiErr *APIError
				switch {
				case errors.As(err, &apiErr):
					err = apiErr
				case errors.Is(err, jsonstream.ErrTooLarge):
					err = fmt.Errorf("qualys: %s: HTTP %d: record %d, with the white space before it, is larger than the %d-byte limit (WithMaxPostureRecordSize): %w",
						op, resp.StatusCode, index, maxRecord, ErrBodyTooLarge)
				default:
					err = fmt.Errorf("qualys: %s: HTTP %d (%s): %w: %w", op, resp.StatusCode, contentType(resp), ErrUnexpectedBody, scrubError("", err, nil))
				}
				yield(zero, err)
				return
			}
			if missing := missingIdentifiers(&rec); missing != "" {
				yield(zero, fmt.Errorf("qualys: %s: HTTP %d: record %d has no %s: %w", op, resp.StatusCode, index, missing, ErrUnexpectedBody))
				return
			}
			if !yield(rec, nil) {
				return
			}
			index++
		}
		// Records may all have been buffered before the caller gave up:
		// a stream whose caller cancelled never ends as a success.
		if cerr := ctxErr(); cerr != nil {
			yield(zero, cerr)
		}
	}
}

// envelopeError recognises a lone object that is not a record but an error
// envelope ({"message": ...}, {"errorCode": ...}): a gateway failure
// answered with 200. It returns nil for anything holding a record
// identifier, and for objects that are neither (missingIdentifiers then
// rejects them).
func envelopeError(resp *http.Response, raw []byte) error {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return nil // the decoder reports what is wrong with it
	}
	for _, id := range []string{"hostId", "policyId", "controlId", "id"} {
		if _, ok := fields[id]; ok {
			return nil
		}
	}
	if _, _, ok := parseErrorBody(raw); !ok {
		return nil
	}
	return ParseErrorResponse(resp, raw)
}

// missingIdentifiers names the identifiers a posture record lacks: without
// its host, policy and control a record cannot be attributed, and an
// all-zero record is what an object that is not a record decodes to.
func missingIdentifiers(rec *pcrs.PostureRecord) string {
	var missing []string
	for _, f := range []struct {
		name  string
		value any
	}{{"hostId", rec.HostID}, {"policyId", rec.PolicyID}, {"controlId", rec.ControlID}} {
		// Compared through reflection so the check holds whatever Go
		// type the generated model gives an id.
		if reflect.ValueOf(f.value).IsZero() {
			missing = append(missing, f.name)
		}
	}
	return strings.Join(missing, ", ")
}

// opName is what errors call an operation: method and path.
func opName(method, path string) string { return method + " " + path }

// postureRequest builds the HTTP request with the generated builder of
// the chosen version, after the checks OpenAPI cannot express.
func (c *Client) postureRequest(ctx context.Context, r PostureRequest) (*http.Request, error) {
	v := r.Version
	if v == "" {
		v = DefaultPostureVersion
	}
	p := r.Params
	if err := checkPostureParams(v, p); err != nil {
		return nil, err
	}
	var req *http.Request
	var err error
	switch v {
	case PostureV1:
		req, err = pcrs.NewGetPostureInfoV1Request(c.gateway, &pcrs.GetPostureInfoV1Params{
			EvidenceRequired: p.EvidenceRequired, CompressionRequired: p.CompressionRequired,
			LastEvaluationDate: p.LastEvaluationDate, LastScanDate: p.LastScanDate,
			LastScanDateFrom: p.LastScanDateFrom, LastScanDateTo: p.LastScanDateTo,
			StatusChangedSince: p.StatusChangedSince,
		}, r.Policies)
	case PostureV2:
		req, err = pcrs.NewGetPostureInfoV2Request(c.gateway, &pcrs.GetPostureInfoV2Params{
			EvidenceRequired: p.EvidenceRequired, CompressionRequired: p.CompressionRequired,
			LastEvaluationDate: p.LastEvaluationDate, LastScanDate: p.LastScanDate,
			LastScanDateFrom: p.LastScanDateFrom, LastScanDateTo: p.LastScanDateTo,
			StatusChangedSince: p.StatusChangedSince,
		}, r.Policies)
	case PostureV3:
		req, err = pcrs.NewGetPostureInfoV3Request(c.gateway, &pcrs.GetPostureInfoV3Params{
			EvidenceRequired: p.EvidenceRequired, CompressionRequired: p.CompressionRequired,
			LastEvaluationDate: p.LastEvaluationDate, LastScanDate: p.LastScanDate,
			LastScanDateFrom: p.LastScanDateFrom, LastScanDateTo: p.LastScanDateTo,
			StatusChangedSince: p.StatusChangedSince, Status: p.Status, PreviousStatus: p.PreviousStatus,
			CriticalityValues: p.CriticalityValues, CriticalityLabels: p.CriticalityLabels,
			CloudMetaDataRequired: p.CloudMetaDataRequired,
		}, r.Policies)
	case PostureV4:
		req, err = pcrs.NewGetPostureInfoV4Request(c.gateway, &pcrs.GetPostureInfoV4Params{
			EvidenceRequired: p.EvidenceRequired, CompressionRequired: p.CompressionRequired,
			LastEvaluationDate: p.LastEvaluationDate, LastScanDate: p.LastScanDate,
			LastScanDateFrom: p.LastScanDateFrom, LastScanDateTo: p.LastScanDateTo,
			StatusChangedSince: p.StatusChangedSince, Status: p.Status, PreviousStatus: p.PreviousStatus,
			CriticalityValues: p.CriticalityValues, CriticalityLabels: p.CriticalityLabels,
			CloudMetaDataRequired: p.CloudMetaDataRequired,
		}, r.Policies)
	case PostureV5:
		req, err = pcrs.NewGetPostureInfoV5Request(c.gateway, &p, r.Policies)
	}
	if err != nil {
		return nil, fmt.Errorf("qualys: building the postureInfo %s request: %w", v, err)
	}
	return req.WithContext(ctx), nil
}

// checkPostureParams rejects what the chosen version would refuse or
// ignore, and the combinations Qualys documents as invalid.
func checkPostureParams(v PostureVersion, p pcrs.GetPostureInfoV5Params) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("qualys: postureInfo %s: %s: %w", v, fmt.Sprintf(format, args...), ErrInvalidRequest)
	}
	switch v {
	case PostureV1, PostureV2, PostureV3, PostureV4, PostureV5:
	default:
		return bad("unknown version %q (want 1.0 to 5.0)", string(v))
	}
	if v < PostureV3 {
		switch {
		case len(p.Status) > 0:
			return bad("status needs 3.0 or later")
		case p.PreviousStatus != nil:
			return bad("previousStatus needs 3.0 or later")
		case len(p.CriticalityValues) > 0 || len(p.CriticalityLabels) > 0:
			return bad("criticality filters need 3.0 or later")
		case p.CloudMetaDataRequired != nil:
			return bad("cloudMetaDataRequired needs 3.0 or later")
		}
	}
	if v < PostureV5 {
		switch {
		case p.ExtendedEvidenceRequired != nil:
			return bad("extendedEvidenceRequired needs 5.0")
		case p.QdScoreRequired != nil:
			return bad("qdScoreRequired needs 5.0")
		}
	}
	if len(p.CriticalityValues) > 0 && len(p.CriticalityLabels) > 0 {
		return bad("criticalityValues and criticalityLabels are mutually exclusive")
	}
	if (p.LastScanDateFrom == nil) != (p.LastScanDateTo == nil) {
		return bad("lastScanDateFrom and lastScanDateTo go together")
	}
	if p.LastScanDate != nil && p.LastScanDateFrom != nil {
		return bad("lastScanDate cannot be combined with lastScanDateFrom/lastScanDateTo")
	}
	return nil
}
