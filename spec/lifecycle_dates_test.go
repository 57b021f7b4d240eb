package spec_test

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

// staleStatuses lists operations whose end-of-support or end-of-life month
// has begun before now while their status still says otherwise. A month
// given as "2026-06" has begun from its first day.
func staleStatuses(rows []coverageRow, now time.Time) []string {
	month := now.UTC().Format("2006-01")
	var out []string
	for _, r := range rows {
		eol := r.life.EndOfLife != "" && r.life.EndOfLife <= month
		eos := r.life.EndOfSupport != "" && r.life.EndOfSupport <= month
		switch {
		case eol && r.life.Status != "end-of-life":
			out = append(out, fmt.Sprintf("%s: end of life %s has begun, status is %s", r.id, r.life.EndOfLife, r.life.Status))
		case !eol && eos && r.life.Status != "end-of-support":
			out = append(out, fmt.Sprintf("%s: end of support %s has begun, status is %s", r.id, r.life.EndOfSupport, r.life.Status))
		}
	}
	sort.Strings(out)
	return out
}

// TestCARLifecycleDates: a CAR operation whose end-of-support or
// end-of-life month has begun says so in its status. The check reads the
// clock on purpose: a status goes stale when its month arrives, and this is
// what reports it.
func TestCARLifecycleDates(t *testing.T) {
	rows, err := operationRows("CAR", load(t, "qualys-car.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range staleStatuses(rows, time.Now()) {
		t.Error(p)
	}
}

func TestLifecycleDateCheckCanFail(t *testing.T) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	rows := []coverageRow{
		{id: "oldV1", life: lifecycle{Status: "deprecated", EndOfSupport: "2025-12", EndOfLife: "2026-06"}}, // should be end-of-life
		{id: "oldV2", life: lifecycle{Status: "deprecated", EndOfSupport: "2026-11", EndOfLife: "2027-05"}}, // should be end-of-support
		{id: "goneV3", life: lifecycle{Status: "end-of-life", EndOfSupport: "2025-12", EndOfLife: "2026-06"}},
		{id: "laterV4", life: lifecycle{Status: "deprecated", EndOfSupport: "2026-12"}},
	}
	got := staleStatuses(rows, now)
	if len(got) != 2 {
		t.Fatalf("want oldV1 and oldV2 reported, got %q", got)
	}
}
