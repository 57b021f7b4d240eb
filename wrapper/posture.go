package qualys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/jsonstream"
	"github.com/qualyskit/qualys-go/wire"
)

// postureVersion selects a version of the PCRS postureInfo API. Every
// version answers with the same record shape; later ones add filters.
type postureVersion string

// Published postureInfo versions. 4.0 reached end of life in November
// 2026; 5.0 is the one to use.
const (
	postureV1 postureVersion = "1.0"
	postureV2 postureVersion = "2.0"
	postureV3 postureVersion = "3.0"
	postureV4 postureVersion = "4.0"
	postureV5 postureVersion = "5.0"

	defaultPostureVersion = postureV5
)

// PostureRequest is one postureInfo call: the host ids of one or more
// policies, the filters, and the API version to send them to.
type PostureRequest struct {
	// Version is the postureInfo version to call, "1.0" to "5.0"; empty
	// means "5.0". Every version answers with the same records; later ones
	// take more filters.
	Version string
	// Policies lists the policies and host ids to report on, as hostids
	// returns them.
	Policies pcrs.PostureInfoRequest
	// Filter selects the records and what they carry.
	Filter PostureFilter
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
			yield(zero, parseErrorResponse(resp, body))
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
	return parseErrorResponse(resp, raw)
}

// missingIdentifiers names the identifiers a posture record lacks: without
// its host, policy and control a record cannot be attributed, and an
// all-zero record is what an object that is not a record decodes to.
func missingIdentifiers(rec *pcrs.PostureRecord) string {
	var missing []string
	for _, f := range []struct {
		name string
		id   wire.ID
	}{{"hostId", rec.HostID}, {"policyId", rec.PolicyID}, {"controlId", rec.ControlID}} {
		if f.id.IsZero() {
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
	v := postureVersion(r.Version)
	if v == "" {
		v = defaultPostureVersion
	}
	p, err := r.Filter.params(v)
	if err != nil {
		return nil, err
	}
	r.Policies = quotedIDs(r.Policies)
	var req *http.Request
	switch v {
	case postureV1:
		req, err = pcrs.NewGetPostureInfoV1Request(c.gateway, &pcrs.GetPostureInfoV1Params{
			EvidenceRequired: p.EvidenceRequired, CompressionRequired: p.CompressionRequired,
			LastEvaluationDate: p.LastEvaluationDate, LastScanDate: p.LastScanDate,
			LastScanDateFrom: p.LastScanDateFrom, LastScanDateTo: p.LastScanDateTo,
			StatusChangedSince: p.StatusChangedSince,
		}, r.Policies)
	case postureV2:
		req, err = pcrs.NewGetPostureInfoV2Request(c.gateway, &pcrs.GetPostureInfoV2Params{
			EvidenceRequired: p.EvidenceRequired, CompressionRequired: p.CompressionRequired,
			LastEvaluationDate: p.LastEvaluationDate, LastScanDate: p.LastScanDate,
			LastScanDateFrom: p.LastScanDateFrom, LastScanDateTo: p.LastScanDateTo,
			StatusChangedSince: p.StatusChangedSince,
		}, r.Policies)
	case postureV3:
		req, err = pcrs.NewGetPostureInfoV3Request(c.gateway, &pcrs.GetPostureInfoV3Params{
			EvidenceRequired: p.EvidenceRequired, CompressionRequired: p.CompressionRequired,
			LastEvaluationDate: p.LastEvaluationDate, LastScanDate: p.LastScanDate,
			LastScanDateFrom: p.LastScanDateFrom, LastScanDateTo: p.LastScanDateTo,
			StatusChangedSince: p.StatusChangedSince, Status: p.Status, PreviousStatus: p.PreviousStatus,
			CriticalityValues: p.CriticalityValues, CriticalityLabels: p.CriticalityLabels,
			CloudMetaDataRequired: p.CloudMetaDataRequired,
		}, r.Policies)
	case postureV4:
		req, err = pcrs.NewGetPostureInfoV4Request(c.gateway, &pcrs.GetPostureInfoV4Params{
			EvidenceRequired: p.EvidenceRequired, CompressionRequired: p.CompressionRequired,
			LastEvaluationDate: p.LastEvaluationDate, LastScanDate: p.LastScanDate,
			LastScanDateFrom: p.LastScanDateFrom, LastScanDateTo: p.LastScanDateTo,
			StatusChangedSince: p.StatusChangedSince, Status: p.Status, PreviousStatus: p.PreviousStatus,
			CriticalityValues: p.CriticalityValues, CriticalityLabels: p.CriticalityLabels,
			CloudMetaDataRequired: p.CloudMetaDataRequired,
		}, r.Policies)
	case postureV5:
		req, err = pcrs.NewGetPostureInfoV5Request(c.gateway, &p, r.Policies)
	}
	if err != nil {
		return nil, fmt.Errorf("qualys: building the postureInfo %s request: %w", v, err)
	}
	return req.WithContext(ctx), nil
}

// quotedIDs returns the request body with every id as a JSON string, the
// form of every Qualys sample, whatever form the caller's ids came in.
func quotedIDs(in pcrs.PostureInfoRequest) pcrs.PostureInfoRequest {
	out := make(pcrs.PostureInfoRequest, len(in))
	for i, item := range in {
		hosts := make([]wire.ID, len(item.HostIDs))
		for j, id := range item.HostIDs {
			hosts[j] = id.AsString()
		}
		out[i] = pcrs.PostureInfoRequestItem{PolicyID: item.PolicyID.AsString(), SubscriptionID: item.SubscriptionID.AsString(), HostIDs: hosts}
	}
	return out
}
