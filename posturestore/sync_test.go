package posturestore

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
)

// TestSyncRounds runs a full sync, then incremental ones after rounds of
// change in the simulator, and checks after each that the views equal the
// simulator's truth and that only changed hosts were requested. Rounds
// flip statuses, add and remove hosts, and make postures vanish from hosts
// that stay in their policy (and come back): posture_current must drop
// them, posture_changes record them.
func TestSyncRounds(t *testing.T) {
	for dialect, location := range backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim := qualystest.NewServer(t, qualystest.WithHosts(60), qualystest.WithPolicies(3), qualystest.WithControlsPerPolicy(8))
			client := newClient(t, sim)
			st := openStore(t, location)
			const overlap = time.Hour
			start := sim.Data().Now.Add(time.Hour)

			res, err := st.Sync(ctx, client, WithClock(fixedClock(start)), WithOverlap(overlap), WithBatchHosts(7))
			if err != nil {
				t.Fatal(err)
			}
			d := sim.Data()
			truth := truthCurrent(d)
			if res.FullPolicies != 3 || res.IncrementalPolicies != 0 || res.Records != int64(len(truth)) || res.Changes != 0 {
				t.Errorf("first sync: %+v, want 3 full policies, %d records, no change", res, len(truth))
			}
			if got := readCurrent(t, st); !slices.Equal(got, truth) {
				t.Fatalf("posture_current after the full sync differs from the simulator:\n%s", diff(truth, got))
			}
			if got := readChanges(t, st); len(got) != 0 {
				t.Fatalf("a full sync recorded changes: %v", got)
			}

			var wantChanges []changeRow
			for k := 1; k <= 3; k++ {
				syncAt := start.Add(time.Duration(k) * 24 * time.Hour)
				round, err := sim.Evolve(qualystest.Evolution{At: syncAt.Add(-6 * time.Hour), ChangedHosts: 5, NewHosts: 2, RemovedHosts: 2,
					VanishedControls: 3, ReturnedControls: min(k-1, 2), Seed: int64(k)})
				if err != nil {
					t.Fatal(err)
				}
				seen := formatTime(syncAt)
				for _, f := range round.Flipped {
					wantChanges = append(wantChanges, changeRow{f.PolicyID, f.HostID, f.ControlID, "os", f.PreviousStatus, f.Status, seen})
				}
				for _, v := range round.Vanished {
					wantChanges = append(wantChanges, changeRow{v.PolicyID, v.HostID, v.ControlID, "os", v.Status, StatusDisappeared, seen})
				}
				for _, r := range round.Returned {
					wantChanges = append(wantChanges, changeRow{r.PolicyID, r.HostID, r.ControlID, "os", StatusDisappeared, r.Status, seen})
				}
				sim.ResetPostureHostsRequested()

				res, err := st.Sync(ctx, client, WithClock(fixedClock(syncAt)), WithOverlap(overlap), WithBatchHosts(7))
				if err != nil {
					t.Fatalf("round %d: %v", k, err)
				}
				if res.FullPolicies != 0 || res.IncrementalPolicies != 3 || !res.ChangedSince.Equal(syncAt.Add(-24*time.Hour-overlap)) {
					t.Errorf("round %d: %+v, want 3 incremental policies since the last sync minus the overlap", k, res)
				}
				if got := readCurrent(t, st); !slices.Equal(got, truthCurrent(sim.Data())) {
					t.Fatalf("round %d: posture_current differs from the simulator:\n%s", k, diff(truthCurrent(sim.Data()), got))
				}
				sortChanges(wantChanges)
				if got := readChanges(t, st); !slices.Equal(got, wantChanges) {
					t.Fatalf("round %d: posture_changes differs from the flips:\n%s", k, diff(wantChanges, got))
				}
				want := map[qualystest.PolicyHost]int{}
				for _, ph := range round.Changed {
					want[ph] = 1
				}
				if got := sim.PostureHostsRequested(); !maps.Equal(got, want) {
					t.Fatalf("round %d: requested hosts differ from the changed ones:\n%s", k, diff(want, got))
				}
				if res.HostsRequested != int64(len(want)) || res.HostsDisappeared != int64(len(round.Removed)) ||
					res.ControlsDisappeared != int64(len(round.Vanished)) || res.Changes != int64(len(round.Flipped)+len(round.Vanished)+len(round.Returned)) {
					t.Errorf("round %d: %+v, want %d hosts requested, %d disappeared, %d controls disappeared, %d changes", k, res, len(want),
						len(round.Removed), len(round.Vanished), len(round.Flipped)+len(round.Vanished)+len(round.Returned))
				}
				for _, v := range round.Vanished {
					var gone *string
					if err := st.DB().QueryRow(st.dialect.rebind(`SELECT disappeared_at FROM posture WHERE policy_id = ? AND host_id = ? AND control_id = ?`),
						v.PolicyID, v.HostID, v.ControlID).Scan(&gone); err != nil || gone == nil || *gone != seen {
						t.Errorf("round %d: control %d of host %d in policy %d is not marked disappeared at the sync (%v, %v)", k, v.ControlID, v.HostID, v.PolicyID, gone, err)
					}
				}
				for _, ph := range round.Removed {
					var gone *string
					if err := st.DB().QueryRow(st.dialect.rebind(`SELECT disappeared_at FROM policy_hosts WHERE policy_id = ? AND host_id = ?`),
						ph.PolicyID, ph.HostID).Scan(&gone); err != nil || gone == nil || *gone != formatTime(syncAt) {
						t.Errorf("round %d: host %d of policy %d is not marked disappeared at the sync (%v, %v)", k, ph.HostID, ph.PolicyID, gone, err)
					}
				}
			}
			// The disappeared hosts' postures are kept, only hidden from
			// posture_current.
			var kept int
			if err := st.DB().QueryRow(`SELECT count(*) FROM posture p JOIN policy_hosts ph
				ON ph.policy_id = p.policy_id AND ph.host_id = p.host_id WHERE ph.disappeared_at IS NOT NULL`).Scan(&kept); err != nil || kept == 0 {
				t.Errorf("postures of disappeared hosts: %d kept (%v), want some", kept, err)
			}
		})
	}
}

// TestSyncPolicyDisappears: a policy Qualys no longer lists is marked,
// hidden from posture_current, kept in posture, and pulled in full when it
// comes back.
func TestSyncPolicyDisappears(t *testing.T) {
	for dialect, location := range backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim := qualystest.NewServer(t, qualystest.WithHosts(20), qualystest.WithPolicies(2), qualystest.WithControlsPerPolicy(4))
			client := newClient(t, sim)
			st := openStore(t, location)
			start := sim.Data().Now.Add(time.Hour)
			if _, err := st.Sync(ctx, client, WithClock(fixedClock(start))); err != nil {
				t.Fatal(err)
			}
			var removed qualystest.Policy
			sim.Update(func(d *qualystest.Data) {
				removed = d.Policies[0]
				d.Policies = d.Policies[1:]
			})
			res, err := st.Sync(ctx, client, WithClock(fixedClock(start.Add(time.Hour))))
			if err != nil {
				t.Fatal(err)
			}
			if res.PoliciesDisappeared != 1 {
				t.Errorf("PoliciesDisappeared = %d, want 1", res.PoliciesDisappeared)
			}
			if got, want := readCurrent(t, st), truthCurrent(sim.Data()); !slices.Equal(got, want) {
				t.Fatalf("posture_current still shows the removed policy:\n%s", diff(want, got))
			}
			var kept int
			st.DB().QueryRow(st.dialect.rebind(`SELECT count(*) FROM posture WHERE policy_id = ?`), removed.ID).Scan(&kept)
			if kept == 0 {
				t.Error("the removed policy's postures were dropped")
			}

			sim.Update(func(d *qualystest.Data) { d.Policies = append(d.Policies, removed) })
			sim.ResetPostureHostsRequested()
			res, err = st.Sync(ctx, client, WithClock(fixedClock(start.Add(2*time.Hour))))
			if err != nil {
				t.Fatal(err)
			}
			if res.FullPolicies != 1 || res.IncrementalPolicies != 1 {
				t.Errorf("after the policy came back: %+v, want it pulled in full", res)
			}
			if got, want := readCurrent(t, st), truthCurrent(sim.Data()); !slices.Equal(got, want) {
				t.Fatalf("posture_current after the policy came back:\n%s", diff(want, got))
			}
		})
	}
}

// TestSyncSelection: only the selected policies are pulled; an unknown
// one is refused before anything is written.
func TestSyncSelection(t *testing.T) {
	ctx := context.Background()
	sim := qualystest.NewServer(t, qualystest.WithHosts(10), qualystest.WithPolicies(3), qualystest.WithControlsPerPolicy(3))
	client := newClient(t, sim)
	st := openStore(t, sqliteLocation(t))
	d := sim.Data()
	pid := d.Policies[1].ID
	if _, err := st.Sync(ctx, client, WithPolicyIDs(pid)); err != nil {
		t.Fatal(err)
	}
	var policies []int64
	rows, _ := st.DB().Query(`SELECT DISTINCT policy_id FROM posture_current`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		policies = append(policies, id)
	}
	rows.Close()
	if !slices.Equal(policies, []int64{pid}) {
		t.Errorf("policies stored: %v, want only %d", policies, pid)
	}
	before := dump(t, st)
	_, err := st.Sync(ctx, client, WithPolicyIDs(pid, 999999))
	if !errors.Is(err, ErrUnknownPolicy) {
		t.Fatalf("unknown policy: err = %v, want ErrUnknownPolicy", err)
	}
	if after := dump(t, st); after != before {
		t.Errorf("a refused sync changed the store:\n%s", diff(before, after))
	}
}

// TestSyncVanishedWithoutChange: when hostids does not list a host whose
// only change is a vanished control (Qualys does not say whether it does),
// the control stays current until the policy is pulled in full, which
// clearing its checkpoint asks for, as docs/store.md tells.
func TestSyncVanishedWithoutChange(t *testing.T) {
	for dialect, location := range backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim := qualystest.NewServer(t, qualystest.WithHosts(20), qualystest.WithPolicies(2), qualystest.WithControlsPerPolicy(4))
			client := newClient(t, sim)
			st := openStore(t, location)
			start := sim.Data().Now.Add(time.Hour)
			if _, err := st.Sync(ctx, client, WithClock(fixedClock(start))); err != nil {
				t.Fatal(err)
			}
			before := readCurrent(t, st)
			sim.Update(func(d *qualystest.Data) { d.VanishedUnchanged = true })
			round, err := sim.Evolve(qualystest.Evolution{At: start.Add(time.Hour), VanishedControls: 2, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			sim.ResetPostureHostsRequested()
			res, err := st.Sync(ctx, client, WithClock(fixedClock(start.Add(2*time.Hour))))
			if err != nil {
				t.Fatal(err)
			}
			if got := sim.PostureHostsRequested(); len(got) != 0 || res.ControlsDisappeared != 0 || !slices.Equal(readCurrent(t, st), before) {
				t.Fatalf("unlisted hosts: %v requested, %d controls disappeared; want none and the store unchanged", got, res.ControlsDisappeared)
			}

			for _, pid := range []int64{round.Vanished[0].PolicyID, round.Vanished[1].PolicyID} {
				if _, err := st.DB().Exec(st.dialect.rebind(`UPDATE policies SET synced_through = NULL WHERE policy_id = ?`), pid); err != nil {
					t.Fatal(err)
				}
			}
			res, err = st.Sync(ctx, client, WithClock(fixedClock(start.Add(3*time.Hour))))
			if err != nil {
				t.Fatal(err)
			}
			if res.FullPolicies == 0 || res.ControlsDisappeared != 2 {
				t.Errorf("after clearing the checkpoints: %+v, want the policies pulled in full and 2 controls disappeared", res)
			}
			if got, want := readCurrent(t, st), truthCurrent(sim.Data()); !slices.Equal(got, want) {
				t.Fatalf("posture_current after the full pull:\n%s", diff(want, got))
			}
		})
	}
}
