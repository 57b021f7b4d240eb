package posturestore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// source is what a sync reads from Qualys. The client adapter below is the
// only code that knows the generated PCRS types.
type source interface {
	// policies lists the subscription's policies.
	policies(ctx context.Context) ([]policyInfo, error)
	// hostIDs resolves the hosts of the policies (all when ids is empty),
	// only those whose posture changed since a time when since is set.
	// Policies Qualys does not know are left out of the map.
	hostIDs(ctx context.Context, ids []int64, since time.Time) (subscription string, hosts map[int64][]int64, err error)
	// posture streams the complete posture of some hosts of one policy.
	posture(ctx context.Context, policyID int64, subscription string, hostIDs []int64) iter.Seq2[Record, error]
}

type policyInfo struct {
	id    int64
	title string
}

// clientSource reads through the SDK client.
type clientSource struct {
	c       *qualys.Client
	version string // postureInfo version; empty: the client's default
}

func (s clientSource) policies(ctx context.Context) ([]policyInfo, error) {
	var out []policyInfo
	for p, err := range s.c.Policies(ctx, time.Time{}) {
		if err != nil {
			return nil, err
		}
		id, err := p.ID.Int64()
		if err != nil {
			return nil, fmt.Errorf("%w: policy list: %w", qualys.ErrUnexpectedBody, err)
		}
		out = append(out, policyInfo{id: id, title: p.Title})
	}
	return out, nil
}

func (s clientSource) hostIDs(ctx context.Context, ids []int64, since time.Time) (string, map[int64][]int64, error) {
	var args []wire.ID
	for _, id := range ids {
		args = append(args, wire.NewID(id))
	}
	list, err := s.c.HostIDs(ctx, args, since)
	if err != nil && !errors.Is(err, qualys.ErrNotFound) {
		return "", nil, err
	}
	// Unknown policies come back as elements with an error (ErrNotFound);
	// the caller decides what a missing policy means.
	hosts := make(map[int64][]int64, len(list))
	var sub string
	for _, p := range list {
		if p.Error != "" {
			continue
		}
		pid, err := p.PolicyID.Int64()
		if err != nil {
			return "", nil, fmt.Errorf("%w: hostids: policy id: %w", qualys.ErrUnexpectedBody, err)
		}
		if !p.SubscriptionID.IsZero() {
			sub = p.SubscriptionID.String()
		}
		hs := make([]int64, 0, len(p.HostIDs))
		for _, h := range p.HostIDs {
			hid, err := h.Int64()
			if err != nil {
				return "", nil, fmt.Errorf("%w: hostids: a host id of policy %d: %w", qualys.ErrUnexpectedBody, pid, err)
			}
			hs = append(hs, hid)
		}
		hosts[pid] = append(hosts[pid], hs...)
	}
	return sub, hosts, nil
}

func (s clientSource) posture(ctx context.Context, policyID int64, subscription string, hostIDs []int64) iter.Seq2[Record, error] {
	// hostids sends ids as text and Qualys' clients echo them unchanged.
	item := pcrs.PostureInfoRequestItem{PolicyID: wire.NewID(policyID).AsString(), SubscriptionID: wire.IDFromString(subscription)}
	for _, h := range hostIDs {
		item.HostIDs = append(item.HostIDs, wire.NewID(h).AsString())
	}
	req := qualys.PostureRequest{Version: s.version, Policies: pcrs.PostureInfoRequest{item}}
	return func(yield func(Record, error) bool) {
		for rec, err := range s.c.PostureStream(ctx, req) {
			if err == nil {
				var r Record
				if r, err = recordOf(&rec); err == nil {
					if !yield(r, nil) {
						return
					}
					continue
				}
			}
			yield(Record{}, err)
			return
		}
	}
}

// recordOf keeps what the store holds of a posture record; the ids of the
// key must be numbers.
func recordOf(p *pcrs.PostureRecord) (Record, error) {
	r := Record{
		Instance:         p.Instance,
		Status:           string(p.Status),
		PreviousStatus:   string(p.PreviousStatus),
		ControlStatement: p.ControlStatement,
		OS:               p.OS,
		IP:               p.IP,
		DNS:              p.DNS,
		PostureModified:  p.PostureModifiedDate.Time(),
		LastEvaluated:    p.LastEvaluatedDate.Time(),
	}
	for _, f := range []struct {
		name string
		id   wire.ID
		dst  *int64
	}{{"policyId", p.PolicyID, &r.PolicyID}, {"hostId", p.HostID, &r.HostID}, {"controlId", p.ControlID, &r.ControlID}} {
		n, err := f.id.Int64()
		if err != nil {
			return Record{}, fmt.Errorf("%w: a posture record's %s: %w", qualys.ErrUnexpectedBody, f.name, err)
		}
		*f.dst = n
	}
	// Not part of the key: kept when they are numbers.
	r.RecordID, _ = p.ID.Int64()
	r.TechnologyID, _ = p.TechnologyID.Int64()
	if p.Criticality.Label != "" {
		r.CriticalityLabel = string(p.Criticality.Label)
		r.CriticalityValue = int(p.Criticality.Value)
	}
	return r, nil
}
