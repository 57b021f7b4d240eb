package qualystest

import (
	"fmt"
	"time"
)

// Posture is the posture of one control of one policy on one host, as the
// simulator streams it from postureInfo. Zero times are sent as "" (the
// event never happened).
type Posture struct {
	ID             int64
	PolicyID       int64
	ControlID      int64
	HostID         int64
	Status         string // Passed, Failed or Error
	PreviousStatus string // "" sends null
	Criticality    int
	FirstFail      time.Time
	LastFail       time.Time
	FirstPass      time.Time
	LastPass       time.Time
	Modified       time.Time // postureModifiedDate, the time the status last changed
	LastEvaluated  time.Time
	Created        time.Time
	CurrentValues  []string // evidence
	Missing        []string // cause of failure (Failed only)
	Unexpected     []string
	QDS            int // Qualys Detection Score, 1 to 100
}

// Postures returns the posture records of a policy in the order
// postureInfo streams them: host by host (in the order given, else the
// policy's order), each host's controls in the policy's order. Hosts not
// in the policy have no records, nor have vanished postures.
func (d *Data) Postures(policyID int64, hostIDs ...int64) []Posture {
	idx := newIndex(d)
	pi, ok := idx.policy[policyID]
	if !ok {
		return nil
	}
	p := &d.Policies[pi]
	if len(hostIDs) == 0 {
		hostIDs = p.HostIDs
	}
	var out []Posture
	for _, hid := range hostIDs {
		if !idx.inPolicy(pi, hid) {
			continue
		}
		for ci := range p.ControlIDs {
			if !d.vanished(p.ID, p.ControlIDs[ci], hid) {
				out = append(out, idx.posture(d, pi, ci, idx.host[hid]))
			}
		}
	}
	return out
}

// vanished reports whether a posture is no longer reported.
func (d *Data) vanished(policyID, controlID, hostID int64) bool {
	_, ok := d.Vanished[PostureKey{PolicyID: policyID, ControlID: controlID, HostID: hostID}]
	return ok
}

// index holds the lookups handlers need on one Data.
type index struct {
	policy      map[int64]int // id -> position in Policies
	host        map[int64]int
	control     map[int64]int
	tech        map[int64]int
	tag         map[int64]int
	members     []map[int64]bool // per policy position: its hosts
	maxControls int
}

func newIndex(d *Data) *index {
	idx := &index{
		policy:  make(map[int64]int, len(d.Policies)),
		host:    make(map[int64]int, len(d.Hosts)),
		control: make(map[int64]int, len(d.Controls)),
		tech:    make(map[int64]int, len(d.Technologies)),
		tag:     make(map[int64]int, len(d.Tags)),
		members: make([]map[int64]bool, len(d.Policies)),
	}
	for i, p := range d.Policies {
		idx.policy[p.ID] = i
		m := make(map[int64]bool, len(p.HostIDs))
		for _, h := range p.HostIDs {
			m[h] = true
		}
		idx.members[i] = m
		idx.maxControls = max(idx.maxControls, len(p.ControlIDs))
	}
	for i, h := range d.Hosts {
		idx.host[h.ID] = i
	}
	for i, c := range d.Controls {
		idx.control[c.ID] = i
	}
	for i, t := range d.Technologies {
		idx.tech[t.ID] = i
	}
	for i, t := range d.Tags {
		idx.tag[t.ID] = i
	}
	return idx
}

// inPolicy reports whether a host id is a known host of the policy at
// position pi.
func (idx *index) inPolicy(pi int, hostID int64) bool {
	_, known := idx.host[hostID]
	return known && idx.members[pi][hostID]
}

// posture derives the record of control ci (position in the policy's
// ControlIDs) of policy pi on host hi (position in Hosts). Every value is
// a function of the seed and the three ids, so the same data always gives
// the same records, in any order and any number of times.
func (idx *index) posture(d *Data, pi, ci, hi int) Posture {
	p, h := &d.Policies[pi], &d.Hosts[hi]
	cid := p.ControlIDs[ci]
	var ctl Control
	if i, ok := idx.control[cid]; ok {
		ctl = d.Controls[i]
	}
	if ps, ok := d.Evolved[PostureKey{PolicyID: p.ID, ControlID: cid, HostID: h.ID}]; ok {
		return ps
	}
	r := newMixer(d.Seed, p.ID, cid, h.ID)
	stride := len(d.Hosts)
	if d.PostureIDStride > 0 {
		stride = d.PostureIDStride
	}

	ps := Posture{
		// Unique within the data set: one slot per (policy, control, host).
		ID:          19000000 + (int64(pi)*int64(idx.maxControls)+int64(ci))*int64(stride) + int64(hi),
		PolicyID:    p.ID,
		ControlID:   cid,
		HostID:      h.ID,
		Criticality: ctl.Criticality,
		QDS:         1 + r.intn(100),
	}
	switch n := r.intn(100); {
	case ctl.Custom && n < 15:
		ps.Status = StatusError
	case n < 45:
		ps.Status = StatusFailed
	default:
		ps.Status = StatusPassed
	}
	switch n := r.intn(10); {
	case n == 0:
		ps.PreviousStatus = ""
	case n < 7:
		ps.PreviousStatus = ps.Status
	case ps.Status == StatusPassed:
		ps.PreviousStatus = StatusFailed
	default:
		ps.PreviousStatus = StatusPassed
	}

	ps.LastEvaluated = h.LastScan.Add(time.Duration(60+r.intn(1800)) * time.Second)
	if ps.PreviousStatus != "" && ps.PreviousStatus != ps.Status {
		ps.Modified = ps.LastEvaluated
	} else {
		ps.Modified = ps.LastEvaluated.Add(-time.Duration(r.intn(90*24)) * time.Hour)
	}
	ps.Created = ps.Modified.Add(-time.Duration(24+r.intn(200*24)) * time.Hour)
	before := ps.Modified.Add(-time.Duration(1+r.intn(72)) * time.Hour)
	if ps.Status == StatusPassed {
		ps.FirstPass, ps.LastPass = ps.Modified, ps.LastEvaluated
		if ps.PreviousStatus == StatusFailed {
			ps.FirstFail, ps.LastFail = ps.Created, before
		}
	} else {
		ps.FirstFail, ps.LastFail = ps.Modified, ps.LastEvaluated
		if ps.PreviousStatus == StatusPassed {
			ps.FirstPass, ps.LastPass = ps.Created, before
		}
	}

	for n := 1 + r.intn(3); n > 0; n-- {
		ps.CurrentValues = append(ps.CurrentValues, currentValueSamples[r.intn(len(currentValueSamples))])
	}
	if ps.Status == StatusFailed {
		ps.Missing = []string{fmt.Sprintf("expected value %d", 1+r.intn(20))}
		ps.Unexpected = []string{ps.CurrentValues[0]}
	}
	return ps
}

// mixer is a tiny deterministic generator (splitmix64) keyed by ids.
type mixer struct{ state uint64 }

func newMixer(seed int64, ids ...int64) *mixer {
	m := &mixer{state: uint64(seed)}
	for _, id := range ids {
		m.state ^= uint64(id)
		m.next()
	}
	return m
}

func (m *mixer) next() uint64 {
	m.state += 0x9e3779b97f4a7c15
	z := m.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (m *mixer) intn(n int) int { return int(m.next() % uint64(n)) }
