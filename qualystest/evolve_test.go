package qualystest_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
)

func TestEvolveRefusesBadRounds(t *testing.T) {
	d, err := qualystest.Generate(qualystest.WithHosts(10), qualystest.WithPolicies(2))
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]qualystest.Evolution{
		"not after now":  {At: d.Now},
		"negative":       {At: d.Now.Add(time.Hour), NewHosts: -1},
		"too many hosts": {At: d.Now.Add(time.Hour), ChangedHosts: 8, RemovedHosts: 8},
	} {
		if _, err := d.Clone().Evolve(e); err == nil {
			t.Errorf("%s: Evolve accepted %+v", name, e)
		}
	}
}

// TestEvolveChangesWhatHostIDsAndPostureReport: after a round, the
// flipped postures carry their new status dated At, hostids 3.0 with a
// statusChangedSince before At lists exactly the changed hosts, removed
// hosts are gone from every policy and new hosts are in some.
func TestEvolveChangesWhatHostIDsAndPostureReport(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithHosts(30), qualystest.WithPolicies(3), qualystest.WithControlsPerPolicy(5))
	before := s.Data()
	at := before.Now.Add(48 * time.Hour)
	round, err := s.Evolve(qualystest.Evolution{At: at, ChangedHosts: 4, NewHosts: 2, RemovedHosts: 3, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	after := s.Data()
	if !after.Now.Equal(at) || len(round.Flipped) == 0 || len(round.Removed) == 0 || len(round.Added) == 0 {
		t.Fatalf("round: now %s, %d flipped, %d removed, %d added", after.Now, len(round.Flipped), len(round.Removed), len(round.Added))
	}
	for _, f := range round.Flipped {
		var now, then qualystest.Posture
		for _, p := range after.Postures(f.PolicyID, f.HostID) {
			if p.ControlID == f.ControlID {
				now = p
			}
		}
		for _, p := range before.Postures(f.PolicyID, f.HostID) {
			if p.ControlID == f.ControlID {
				then = p
			}
		}
		if now.Status == then.Status || now.PreviousStatus != then.Status || !now.Modified.Equal(at) || now.ID != then.ID {
			t.Errorf("flipped posture %+v: before %s, now %s (previous %s, modified %s, id %d→%d)", f, then.Status, now.Status, now.PreviousStatus, now.Modified, then.ID, now.ID)
		}
	}
	for _, r := range round.Removed {
		if p, _ := after.Policy(r.PolicyID); slices.Contains(p.HostIDs, r.HostID) {
			t.Errorf("removed host %d is still in policy %d", r.HostID, r.PolicyID)
		}
	}

	c := pcrsClient(t, s)
	since := at.Add(-time.Hour).Format("2006-01-02T15:04:05Z")
	resp, err := c.ResolveHostIDsV3WithResponse(context.Background(), &pcrs.ResolveHostIDsV3Params{StatusChangedSince: &since})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("hostids: %v", err)
	}
	var got []qualystest.PolicyHost
	for _, p := range *resp.JSON200 {
		pid, _ := p.PolicyID.Int64()
		for _, h := range p.HostIDs {
			hid, _ := h.Int64()
			got = append(got, qualystest.PolicyHost{PolicyID: pid, HostID: hid})
		}
	}
	want := slices.Clone(round.Changed)
	order := func(a, b qualystest.PolicyHost) int {
		if a.PolicyID != b.PolicyID {
			return int(a.PolicyID - b.PolicyID)
		}
		return int(a.HostID - b.HostID)
	}
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	if !slices.Equal(got, want) {
		t.Errorf("hostids changed since before the round:\n got %v\nwant %v", got, want)
	}

	// postureInfo requests are counted per (policy, host).
	s.ResetPostureHostsRequested()
	ph := round.Added[0]
	body := pcrs.PostureInfoRequest{{PolicyID: wire.NewID(ph.PolicyID).AsString(), SubscriptionID: wire.IDFromString("1"),
		HostIDs: []wire.ID{wire.NewID(ph.HostID).AsString()}}}
	hr, err := rawPCRS(t, s).GetPostureInfoV5(context.Background(), nil, body)
	readAll(t, hr, err)
	if got := s.PostureHostsRequested(); len(got) != 1 || got[ph] != 1 {
		t.Errorf("PostureHostsRequested = %v, want %v once", got, ph)
	}
}
