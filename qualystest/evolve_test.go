package qualystest_test

import (
	"cmp"
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
		"not after now":     {At: d.Now},
		"negative":          {At: d.Now.Add(time.Hour), NewHosts: -1},
		"too many hosts":    {At: d.Now.Add(time.Hour), ChangedHosts: 8, RemovedHosts: 8},
		"too many vanish":   {At: d.Now.Add(time.Hour), ChangedHosts: 5, VanishedControls: 6},
		"nothing to return": {At: d.Now.Add(time.Hour), ReturnedControls: 1},
		"negative vanish":   {At: d.Now.Add(time.Hour), VanishedControls: -1},
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

// hostIDsChangedSince is what hostids 3.0 lists with a statusChangedSince,
// sorted.
func hostIDsChangedSince(t *testing.T, s *qualystest.Server, since time.Time) []qualystest.PolicyHost {
	t.Helper()
	v := since.UTC().Format("2006-01-02T15:04:05Z")
	resp, err := pcrsClient(t, s).ResolveHostIDsV3WithResponse(context.Background(), &pcrs.ResolveHostIDsV3Params{StatusChangedSince: &v})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("hostids: %v", err)
	}
	var out []qualystest.PolicyHost
	for _, p := range *resp.JSON200 {
		for _, h := range p.HostIDs {
			out = append(out, qualystest.PolicyHost{PolicyID: num(p.PolicyID), HostID: num(h)})
		}
	}
	sortPairs(out)
	return out
}

func sortPairs(s []qualystest.PolicyHost) {
	slices.SortFunc(s, func(a, b qualystest.PolicyHost) int {
		if a.PolicyID != b.PolicyID {
			return cmp.Compare(a.PolicyID, b.PolicyID)
		}
		return cmp.Compare(a.HostID, b.HostID)
	})
}

// streamedKeys is what postureInfo streams for some hosts of a policy.
func streamedKeys(t *testing.T, s *qualystest.Server, policyID int64, hosts ...int64) map[qualystest.PostureKey]summary {
	t.Helper()
	item := pcrs.PostureInfoRequest{{PolicyID: wire.NewID(policyID).AsString(), SubscriptionID: wire.IDFromString("1")}}
	for _, h := range hosts {
		item[0].HostIDs = append(item[0].HostIDs, wire.NewID(h).AsString())
	}
	_, body := postureCall(t, s, 5, "", item)
	out := map[qualystest.PostureKey]summary{}
	for _, r := range summarize(decodePostures(t, body)) {
		out[qualystest.PostureKey{PolicyID: r.PolicyID, ControlID: r.ControlID, HostID: r.HostID}] = r
	}
	return out
}

// TestEvolveVanishesAndReturnsPostures: a vanished posture is no longer
// streamed, nor listed by Postures, and its host, whose only change it is,
// is listed by hostids 3.0 as changed since before the round but not since
// after it; a returned posture is streamed again, dated its round.
func TestEvolveVanishesAndReturnsPostures(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithHosts(30), qualystest.WithPolicies(3), qualystest.WithControlsPerPolicy(5))
	at := s.Data().Now.Add(24 * time.Hour)
	round, err := s.Evolve(qualystest.Evolution{At: at, ChangedHosts: 2, VanishedControls: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(round.Vanished) != 4 || len(round.Returned) != 0 {
		t.Fatalf("round: %d vanished, %d returned; want 4 and 0", len(round.Vanished), len(round.Returned))
	}
	flippedHosts := map[int64]bool{}
	for _, f := range round.Flipped {
		flippedHosts[f.HostID] = true
	}
	d := s.Data()
	for _, v := range round.Vanished {
		k := qualystest.PostureKey{PolicyID: v.PolicyID, ControlID: v.ControlID, HostID: v.HostID}
		if flippedHosts[v.HostID] {
			t.Errorf("posture %+v vanished on a host that also flipped; its only change must be the vanishing", k)
		}
		if _, streamed := streamedKeys(t, s, v.PolicyID, v.HostID)[k]; streamed {
			t.Errorf("vanished posture %+v is still streamed", k)
		}
		if slices.ContainsFunc(d.Postures(v.PolicyID, v.HostID), func(p qualystest.Posture) bool { return p.ControlID == v.ControlID }) {
			t.Errorf("vanished posture %+v is still in Postures", k)
		}
		if p, _ := d.Policy(v.PolicyID); !slices.Contains(p.HostIDs, v.HostID) {
			t.Errorf("the host of vanished posture %+v left the policy", k)
		}
	}
	want := slices.Clone(round.Changed)
	sortPairs(want)
	if got := hostIDsChangedSince(t, s, at.Add(-time.Hour)); !slices.Equal(got, want) {
		t.Errorf("hostids changed since before the round:\n got %v\nwant %v", got, want)
	}
	for _, v := range round.Vanished {
		if !slices.Contains(want, qualystest.PolicyHost{PolicyID: v.PolicyID, HostID: v.HostID}) {
			t.Errorf("the host of vanished posture %+v is not among the changed", v)
		}
	}
	if got := hostIDsChangedSince(t, s, at.Add(time.Second)); len(got) != 0 {
		t.Errorf("hostids changed since after the round: %v, want none", got)
	}

	at2 := at.Add(24 * time.Hour)
	round2, err := s.Evolve(qualystest.Evolution{At: at2, ReturnedControls: 2, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(round2.Returned) != 2 || len(round2.Vanished) != 0 || len(round2.Flipped) != 0 {
		t.Fatalf("round 2: %d returned, %d vanished, %d flipped; want 2, 0, 0", len(round2.Returned), len(round2.Vanished), len(round2.Flipped))
	}
	for _, r := range round2.Returned {
		k := qualystest.PostureKey{PolicyID: r.PolicyID, ControlID: r.ControlID, HostID: r.HostID}
		was := slices.IndexFunc(round.Vanished, func(p qualystest.Posture) bool {
			return p.PolicyID == r.PolicyID && p.ControlID == r.ControlID && p.HostID == r.HostID
		})
		if was < 0 {
			t.Fatalf("returned posture %+v had not vanished", k)
		}
		got, streamed := streamedKeys(t, s, r.PolicyID, r.HostID)[k]
		if !streamed || got.Status != round.Vanished[was].Status || got.Modified != at2.Format(time.RFC3339) {
			t.Errorf("returned posture %+v streamed %v as %+v, want its last status %s dated %s", k, streamed, got, round.Vanished[was].Status, at2)
		}
	}
	want = slices.Clone(round2.Changed)
	sortPairs(want)
	if got := hostIDsChangedSince(t, s, at2.Add(-time.Hour)); len(want) != 2 || !slices.Equal(got, want) {
		t.Errorf("hostids changed since before round 2:\n got %v\nwant %v (the returned postures' hosts)", got, want)
	}
}
