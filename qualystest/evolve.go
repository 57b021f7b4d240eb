package qualystest

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// PostureKey names one posture: a control of a policy on a host.
type PostureKey struct {
	PolicyID, ControlID, HostID int64
}

// Evolution describes one round of change, as between two scheduled
// pulls: some hosts are evaluated again and some of their controls flip
// status, new hosts are evaluated for the first time, some hosts leave
// every policy, and some postures vanish (or come back) on hosts that stay
// in their policy.
type Evolution struct {
	// At is when the round happens; it must be after the data's Now,
	// which it becomes. Changed postures are dated At.
	At time.Time
	// ChangedHosts is how many hosts get status flips; each flips one to
	// FlipsPerHost controls (default 2) of each of its policies.
	ChangedHosts int
	FlipsPerHost int
	// NewHosts is how many hosts appear, each in one or more policies.
	NewHosts int
	// RemovedHosts is how many hosts leave every policy.
	RemovedHosts int
	// VanishedControls is how many postures stop being reported, one
	// control of one policy on each of as many hosts, which neither flip
	// nor leave: the policy lost the control for that host, or its
	// instance went away.
	VanishedControls int
	// ReturnedControls is how many postures that vanished in earlier
	// rounds are reported again, evaluated At with their last status.
	ReturnedControls int
	// Seed varies the choices; the same data and Evolution always give the
	// same round.
	Seed int64
}

// Round is the ground truth of one Evolve: what changed, for tests to
// compare with what a client stored.
type Round struct {
	At time.Time
	// Flipped holds each posture whose status changed, in its new state;
	// its PreviousStatus is the status before the round.
	Flipped []Posture
	// Added and Removed list the hosts that appeared and disappeared,
	// with the policies concerned.
	Added, Removed []PolicyHost
	// Vanished holds each posture that stopped being reported, as it was
	// last reported; Returned each one reported again, in its new state.
	Vanished, Returned []Posture
	// Changed lists every (policy, host), once, with a posture dated At
	// (flipped, new or returned) or one that vanished At. These are what
	// hostids 3.0 reports with a statusChangedSince before At.
	Changed []PolicyHost
}

// PolicyHost names a host of a policy.
type PolicyHost struct {
	PolicyID, HostID int64
}

// Evolve applies one round of change to the data and returns what
// changed. Hosts chosen to change, to leave and the new ones are distinct.
func (d *Data) Evolve(e Evolution) (Round, error) {
	if !e.At.After(d.Now) {
		return Round{}, fmt.Errorf("qualystest: an evolution at %s is not after the data's time %s", e.At.Format(time.RFC3339), d.Now.Format(time.RFC3339))
	}
	if e.ChangedHosts < 0 || e.NewHosts < 0 || e.RemovedHosts < 0 || e.FlipsPerHost < 0 || e.VanishedControls < 0 || e.ReturnedControls < 0 {
		return Round{}, errors.New("qualystest: evolution counts must not be negative")
	}
	if e.FlipsPerHost == 0 {
		e.FlipsPerHost = 2
	}
	at := e.At.UTC().Truncate(time.Second)
	if d.Evolved == nil {
		d.Evolved = map[PostureKey]Posture{}
	}
	if d.Vanished == nil {
		d.Vanished = map[PostureKey]time.Time{}
	}
	if d.PostureIDStride == 0 {
		d.PostureIDStride = len(d.Hosts)
	}
	rng := rand.New(rand.NewPCG(uint64(d.Seed), uint64(e.Seed)^uint64(at.Unix())))
	idx := newIndex(d)
	round := Round{At: at}

	// Candidates: hosts in at least one policy, in a shuffled order.
	var evaluated []int64
	for _, h := range d.Hosts {
		for pi := range d.Policies {
			if idx.members[pi][h.ID] {
				evaluated = append(evaluated, h.ID)
				break
			}
		}
	}
	rng.Shuffle(len(evaluated), func(i, j int) { evaluated[i], evaluated[j] = evaluated[j], evaluated[i] })
	if e.ChangedHosts+e.RemovedHosts+e.VanishedControls > len(evaluated) {
		return Round{}, fmt.Errorf("qualystest: %d hosts to change, %d to remove and %d to lose a control, but only %d are evaluated",
			e.ChangedHosts, e.RemovedHosts, e.VanishedControls, len(evaluated))
	}
	changing, leaving := evaluated[:e.ChangedHosts], evaluated[e.ChangedHosts:e.ChangedHosts+e.RemovedHosts]
	staying := evaluated[e.ChangedHosts+e.RemovedHosts:]
	slices.Sort(changing)
	slices.Sort(leaving)

	for _, hid := range changing {
		hi := idx.host[hid]
		for pi := range d.Policies {
			if !idx.members[pi][hid] || len(d.Policies[pi].ControlIDs) == 0 {
				continue
			}
			p := &d.Policies[pi]
			var reported []int // vanished postures do not flip
			for ci, cid := range p.ControlIDs {
				if !d.vanished(p.ID, cid, hid) {
					reported = append(reported, ci)
				}
			}
			if len(reported) == 0 {
				continue
			}
			n := min(1+rng.IntN(e.FlipsPerHost), len(reported))
			for _, i := range rng.Perm(len(reported))[:n] {
				ci := reported[i]
				ps := idx.posture(d, pi, ci, hi)
				ps = flipped(ps, at)
				d.Evolved[PostureKey{p.ID, ps.ControlID, hid}] = ps
				round.Flipped = append(round.Flipped, ps)
			}
			round.Changed = append(round.Changed, PolicyHost{p.ID, hid})
		}
	}

	for pi := range d.Policies {
		p := &d.Policies[pi]
		kept := p.HostIDs[:0]
		for _, hid := range p.HostIDs {
			if _, gone := slices.BinarySearch(leaving, hid); gone {
				round.Removed = append(round.Removed, PolicyHost{p.ID, hid})
				continue
			}
			kept = append(kept, hid)
		}
		p.HostIDs = kept
	}
	if err := d.vanishAndReturn(e, rng, idx, staying, &round); err != nil {
		return Round{}, err
	}

	maxID, maxAsset := int64(0), int64(0)
	for _, h := range d.Hosts {
		maxID, maxAsset = max(maxID, h.ID), max(maxAsset, h.AssetID)
	}
	for i := range e.NewHosts {
		id := maxID + 3*int64(i+1)
		tech := d.Technologies[rng.IntN(len(d.Technologies))]
		d.Hosts = append(d.Hosts, Host{
			ID: id, AssetID: maxAsset + int64(i+1),
			IP:             fmt.Sprintf("10.200.%d.%d", i/254%256, i%254+1),
			DNS:            fmt.Sprintf("host-%d.corp.example.com", id),
			TechnologyID:   tech.ID,
			TrackingMethod: "AGENT",
			QGHostID:       uuidFrom(rng),
			AgentUUID:      uuidFrom(rng),
			LastScan:       at.Add(-time.Hour),
			NetworkName:    "Global Default Network",
			TagIDs:         []int64{d.Tags[0].ID},
		})
		joined := false
		for pi := range d.Policies {
			if (rng.IntN(2) == 0 || (!joined && pi == len(d.Policies)-1)) && len(d.Policies[pi].ControlIDs) > 0 {
				d.Policies[pi].HostIDs = append(d.Policies[pi].HostIDs, id)
				joined = true
			}
		}
	}
	// The new hosts' postures were all created by this round's
	// evaluation, so they are dated At.
	idx = newIndex(d)
	var nextID int64 = 900000000
	for _, ps := range d.Evolved {
		nextID = max(nextID, ps.ID+1)
	}
	for i := range e.NewHosts {
		hid := maxID + 3*int64(i+1)
		hi := idx.host[hid]
		for pi := range d.Policies {
			if !idx.members[pi][hid] {
				continue
			}
			p := &d.Policies[pi]
			for ci := range p.ControlIDs {
				ps := idx.posture(d, pi, ci, hi)
				ps.ID, nextID = nextID, nextID+1
				ps.PreviousStatus = ""
				ps.Created, ps.Modified, ps.LastEvaluated = at, at, at
				ps.FirstFail, ps.LastFail, ps.FirstPass, ps.LastPass = time.Time{}, time.Time{}, time.Time{}, time.Time{}
				if ps.Status == StatusPassed {
					ps.FirstPass, ps.LastPass = at, at
				} else {
					ps.FirstFail, ps.LastFail = at, at
				}
				d.Evolved[PostureKey{p.ID, ps.ControlID, hid}] = ps
			}
			round.Added = append(round.Added, PolicyHost{p.ID, hid})
			round.Changed = append(round.Changed, PolicyHost{p.ID, hid})
		}
	}
	d.Now = at
	round.Changed = uniquePairs(round.Changed)
	return round, nil
}

// vanishAndReturn brings back ReturnedControls of the postures that
// vanished before, then makes VanishedControls postures vanish, each on a
// host of staying (in order) that has a reported posture left.
func (d *Data) vanishAndReturn(e Evolution, rng *rand.Rand, idx *index, staying []int64, round *Round) error {
	at := round.At
	var back []PostureKey
	for k := range d.Vanished {
		if pi, ok := idx.policy[k.PolicyID]; ok && slices.Contains(d.Policies[pi].HostIDs, k.HostID) && slices.Contains(d.Policies[pi].ControlIDs, k.ControlID) {
			back = append(back, k)
		}
	}
	if e.ReturnedControls > len(back) {
		return fmt.Errorf("qualystest: %d postures to return, but only %d vanished postures can", e.ReturnedControls, len(back))
	}
	slices.SortFunc(back, comparePostureKeys) // map order is random; the round must not be
	rng.Shuffle(len(back), func(i, j int) { back[i], back[j] = back[j], back[i] })
	for _, k := range back[:e.ReturnedControls] {
		delete(d.Vanished, k)
		pi := idx.policy[k.PolicyID]
		ps := idx.posture(d, pi, slices.Index(d.Policies[pi].ControlIDs, k.ControlID), idx.host[k.HostID])
		ps.Modified, ps.LastEvaluated = at, at
		d.Evolved[k] = ps
		round.Returned = append(round.Returned, ps)
		round.Changed = append(round.Changed, PolicyHost{k.PolicyID, k.HostID})
	}

	for _, hid := range staying {
		if len(round.Vanished) == e.VanishedControls {
			return nil
		}
		var candidates []PostureKey
		for pi := range d.Policies {
			p := &d.Policies[pi]
			if !idx.members[pi][hid] {
				continue
			}
			for _, cid := range p.ControlIDs {
				if k := (PostureKey{p.ID, cid, hid}); !d.vanished(p.ID, cid, hid) && !slices.Contains(back[:e.ReturnedControls], k) {
					candidates = append(candidates, k)
				}
			}
		}
		if len(candidates) == 0 {
			continue
		}
		k := candidates[rng.IntN(len(candidates))]
		pi := idx.policy[k.PolicyID]
		round.Vanished = append(round.Vanished, idx.posture(d, pi, slices.Index(d.Policies[pi].ControlIDs, k.ControlID), idx.host[hid]))
		d.Vanished[k] = at
		round.Changed = append(round.Changed, PolicyHost{k.PolicyID, hid})
	}
	if len(round.Vanished) < e.VanishedControls {
		return fmt.Errorf("qualystest: %d postures to vanish, but only %d hosts have one left", e.VanishedControls, len(round.Vanished))
	}
	return nil
}

func comparePostureKeys(a, b PostureKey) int {
	if c := cmp.Compare(a.PolicyID, b.PolicyID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.HostID, b.HostID); c != 0 {
		return c
	}
	return cmp.Compare(a.ControlID, b.ControlID)
}

// uniquePairs drops repeated pairs, keeping the first of each.
func uniquePairs(in []PolicyHost) []PolicyHost {
	seen := make(map[PolicyHost]bool, len(in))
	out := in[:0]
	for _, ph := range in {
		if !seen[ph] {
			seen[ph] = true
			out = append(out, ph)
		}
	}
	return out
}

// flipped is a posture after its status changed at t.
func flipped(ps Posture, t time.Time) Posture {
	old := ps.Status
	ps.PreviousStatus = old
	ps.Modified, ps.LastEvaluated = t, t
	if old == StatusPassed {
		ps.Status = StatusFailed
		ps.FirstFail, ps.LastFail = t, t
		ps.Missing = []string{"expected value 1"}
		ps.Unexpected = []string{ps.CurrentValues[0]}
	} else {
		ps.Status = StatusPassed
		ps.FirstPass, ps.LastPass = t, t
		ps.Missing, ps.Unexpected = nil, nil
	}
	return ps
}

// Evolve applies one round of change to the served data (see
// Data.Evolve) and returns its ground truth.
func (s *Server) Evolve(e Evolution) (Round, error) {
	var r Round
	var err error
	s.Update(func(d *Data) { r, err = d.Evolve(e) })
	return r, err
}

// AllPostures returns every posture the data holds now, policy by policy
// in the order postureInfo streams them: the ground truth of a full pull.
func (d *Data) AllPostures() []Posture {
	var out []Posture
	for _, p := range d.Policies {
		out = append(out, d.Postures(p.ID)...)
	}
	return out
}

// notePostureRequest counts the (policy, host) pairs of a postureInfo
// body; ids that are not numbers are not counted (they get a 400).
func (s *Server) notePostureRequest(items []postureItem) {
	s.stats.Lock()
	defer s.stats.Unlock()
	if s.requested == nil {
		s.requested = map[PolicyHost]int{}
	}
	for _, it := range items {
		pid, err := strconv.ParseInt(it.PolicyID, 10, 64)
		if err != nil {
			continue
		}
		for _, h := range it.HostIDs {
			if hid, err := strconv.ParseInt(h, 10, 64); err == nil {
				s.requested[PolicyHost{pid, hid}]++
			}
		}
	}
}

// PostureHostsRequested returns how many postureInfo requests asked for
// each (policy, host) since the server started or the last
// ResetPostureHostsRequested: what an incremental client pulled.
func (s *Server) PostureHostsRequested() map[PolicyHost]int {
	s.stats.Lock()
	defer s.stats.Unlock()
	out := make(map[PolicyHost]int, len(s.requested))
	for k, v := range s.requested {
		out[k] = v
	}
	return out
}

// ResetPostureHostsRequested forgets the counts PostureHostsRequested
// returns.
func (s *Server) ResetPostureHostsRequested() {
	s.stats.Lock()
	defer s.stats.Unlock()
	s.requested = nil
}
