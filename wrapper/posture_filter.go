package qualys

import (
	"fmt"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
)

// Posture statuses, for PostureFilter.Status and PreviousStatus.
const (
	Passed  = pcrs.PostureStatusPassed
	Failed  = pcrs.PostureStatusFailed
	Errored = pcrs.PostureStatusError // Qualys's "Error": the control could not be evaluated
)

// PostureFilter selects the posture records postureInfo returns and what
// each one carries. The zero value selects every record, without
// evidence. Filters a chosen version does not have are an error, never
// silently dropped: Status, PreviousStatus, Criticality and CloudMetadata
// need 3.0 or later; ExtendedEvidence and DetectionScore need 5.0.
type PostureFilter struct {
	// Status keeps records in these states, e.g. []pcrs.PostureStatus{qualys.Failed}.
	Status []pcrs.PostureStatus
	// PreviousStatus keeps records whose status before the last change was this one.
	PreviousStatus pcrs.PostureStatus
	// Criticality keeps records of controls with these criticality labels.
	Criticality []pcrs.CriticalityLabel
	// EvaluatedSince keeps records evaluated at or after this time (lastEvaluationDate).
	EvaluatedSince time.Time
	// ChangedSince keeps records whose status changed at or after this time
	// (statusChangedSince).
	ChangedSince time.Time
	// ScannedSince keeps records of hosts scanned at or after this time; with
	// ScannedBefore, of hosts scanned between the two (lastScanDateFrom/To).
	ScannedSince, ScannedBefore time.Time
	// Evidence adds each record's evidence (slower, Qualys says).
	Evidence bool
	// ExtendedEvidence adds extended evidence; it needs Evidence.
	ExtendedEvidence bool
	// CloudMetadata adds the cloud metadata of cloud hosts.
	CloudMetadata bool
	// DetectionScore adds the Qualys Detection Score.
	DetectionScore bool
}

// params gives the query parameters of the largest parameter set (5.0),
// after the checks OpenAPI cannot express.
func (f PostureFilter) params(v postureVersion) (pcrs.GetPostureInfoV5Params, error) {
	var p pcrs.GetPostureInfoV5Params
	bad := func(format string, args ...any) error {
		return fmt.Errorf("qualys: postureInfo %s: %s: %w", v, fmt.Sprintf(format, args...), ErrInvalidRequest)
	}
	switch v {
	case postureV1, postureV2, postureV3, postureV4, postureV5:
	default:
		return p, bad("unknown version %q (want 1.0 to 5.0)", string(v))
	}
	if v < postureV3 {
		switch {
		case len(f.Status) > 0:
			return p, bad("a status filter needs 3.0 or later")
		case f.PreviousStatus != "":
			return p, bad("a previous-status filter needs 3.0 or later")
		case len(f.Criticality) > 0:
			return p, bad("a criticality filter needs 3.0 or later")
		case f.CloudMetadata:
			return p, bad("cloud metadata needs 3.0 or later")
		}
	}
	if v < postureV5 {
		switch {
		case f.ExtendedEvidence:
			return p, bad("extended evidence needs 5.0")
		case f.DetectionScore:
			return p, bad("the detection score needs 5.0")
		}
	}
	if f.ExtendedEvidence && !f.Evidence {
		return p, bad("extended evidence needs evidence")
	}
	if !f.ScannedBefore.IsZero() && f.ScannedSince.IsZero() {
		return p, bad("a scan range needs both ends: ScannedSince and ScannedBefore")
	}
	for _, s := range f.Status {
		if !s.Valid() {
			return p, bad("unknown status %q (want Passed, Failed or Error)", string(s))
		}
	}
	if f.PreviousStatus != "" && !f.PreviousStatus.Valid() {
		return p, bad("unknown previous status %q (want Passed, Failed or Error)", string(f.PreviousStatus))
	}
	for _, c := range f.Criticality {
		if !c.Valid() {
			return p, bad("unknown criticality %q", string(c))
		}
	}
	on := pcrs.ToggleOn
	p.Status = f.Status
	if f.PreviousStatus != "" {
		p.PreviousStatus = &f.PreviousStatus
	}
	p.CriticalityLabels = f.Criticality
	p.LastEvaluationDate = dateParam(f.EvaluatedSince)
	p.StatusChangedSince = dateParam(f.ChangedSince)
	if f.ScannedBefore.IsZero() {
		p.LastScanDate = dateParam(f.ScannedSince)
	} else {
		p.LastScanDateFrom, p.LastScanDateTo = dateParam(f.ScannedSince), dateParam(f.ScannedBefore)
	}
	if f.Evidence {
		p.EvidenceRequired = &on
	}
	if f.ExtendedEvidence {
		p.ExtendedEvidenceRequired = &on
	}
	if f.CloudMetadata {
		p.CloudMetaDataRequired = &on
	}
	if f.DetectionScore {
		p.QdScoreRequired = &on
	}
	return p, nil
}

// dateParam writes a time as Qualys's date parameters take it (UTC,
// seconds); nil for the zero time, so the parameter is not sent.
func dateParam(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05Z")
	return &s
}
