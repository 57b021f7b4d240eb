package posturestore

import "time"

// Record is one posture as the store keeps it: the natural key (policy,
// host, control, instance) and what Qualys reports about it. Empty strings
// and zero times are stored as NULL, except Instance, which is part of the
// key and stored as "" when Qualys sends none.
type Record struct {
	PolicyID  int64
	HostID    int64
	ControlID int64
	Instance  string

	RecordID         int64  // Qualys' id of the posture record
	Status           string // as Qualys sends it: Passed, Failed, Error
	PreviousStatus   string
	CriticalityValue int // meaningful when CriticalityLabel is set
	CriticalityLabel string
	ControlStatement string
	TechnologyID     int64
	OS               string
	IP               string
	DNS              string
	PostureModified  time.Time
	LastEvaluated    time.Time
}

// stagingColumns are the columns of the staging table a batch is loaded
// into, in the order values returns them.
var stagingColumns = []string{
	"seq", "policy_id", "host_id", "control_id", "instance", "record_id", "status", "previous_status",
	"criticality_value", "criticality_label", "control_statement", "technology_id", "os", "ip", "dns",
	"posture_modified", "last_evaluated",
}

// values returns the record's staging row; seq orders duplicates.
func (r *Record) values(seq int64) []any {
	var crit any
	if r.CriticalityLabel != "" {
		crit = int64(r.CriticalityValue)
	}
	var tech any
	if r.TechnologyID != 0 {
		tech = r.TechnologyID
	}
	return []any{
		seq, r.PolicyID, r.HostID, r.ControlID, r.Instance, r.RecordID, r.Status, nullString(r.PreviousStatus),
		crit, nullString(r.CriticalityLabel), nullString(r.ControlStatement), tech, nullString(r.OS),
		nullString(r.IP), nullString(r.DNS), nullTime(r.PostureModified), nullTime(r.LastEvaluated),
	}
}
