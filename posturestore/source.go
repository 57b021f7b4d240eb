package posturestore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
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
	// posture streams the posture of some hosts of one policy, only the
	// records that changed since a time when since is set.
	posture(ctx context.Context, policyID int64, subscription string, hostIDs []int64, since time.Time) iter.Seq2[Record, error]
}

type policyInfo struct {
	id    int64
	title string
}

// clientSource reads through the SDK client.
type clientSource struct {
	c       *qualys.Client
	version qualys.PostureVersion
}

func (s clientSource) policies(ctx context.Context) ([]policyInfo, error) {
	list, err := s.c.Policies(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := make([]policyInfo, 0, len(list.PolicyList))
	for _, p := range list.PolicyList {
		id, err := p.ID.Int64()
		if err != nil {
			return nil, fmt.Errorf("%w: policy list: %w", qualys.ErrUnexpectedBody, err)
		}
		var title string
		if p.Title != nil {
			title = *p.Title
		}
		out = append(out, policyInfo{id: id, title: title})
	}
	return out, nil
}

func (s clientSource) hostIDs(ctx context.Context, ids []int64, since time.Time) (string, map[int64][]int64, error) {
	var args []string
	for _, id := range ids {
		args = append(args, strconv.FormatInt(id, 10))
	}
	var sinceText string
	if !since.IsZero() {
		sinceText = formatTime(since)
	}
	list, err := s.c.HostIDs(ctx, args, sinceText)
	if err != nil && !errors.Is(err, qualys.ErrNotFound) {
		return "", nil, err
	}
	// Unknown policies come back as elements with an error (ErrNotFound);
	// the caller decides what a missing policy means.
	hosts := make(map[int64][]int64, len(list))
	var sub string
	for _, p := range list {
		if p.Error != nil {
			continue
		}
		pid, err := strconv.ParseInt(p.PolicyID, 10, 64)
		if err != nil {
			return "", nil, fmt.Errorf("%w: hostids: policy id %q is not a number", qualys.ErrUnexpectedBody, p.PolicyID)
		}
		if p.SubscriptionID != "" {
			sub = p.SubscriptionID
		}
		hs := make([]int64, 0, len(p.HostIDs))
		for _, h := range p.HostIDs {
			hid, err := strconv.ParseInt(h, 10, 64)
			if err != nil {
				return "", nil, fmt.Errorf("%w: hostids: host id %q of policy %d is not a number", qualys.ErrUnexpectedBody, h, pid)
			}
			hs = append(hs, hid)
		}
		hosts[pid] = append(hosts[pid], hs...)
	}
	return sub, hosts, nil
}

func (s clientSource) posture(ctx context.Context, policyID int64, subscription string, hostIDs []int64, since time.Time) iter.Seq2[Record, error] {
	item := pcrs.PostureInfoRequestItem{PolicyID: strconv.FormatInt(policyID, 10), SubscriptionID: subscription}
	for _, h := range hostIDs {
		item.HostIDs = append(item.HostIDs, strconv.FormatInt(h, 10))
	}
	var params pcrs.GetPostureInfoV5Params
	if !since.IsZero() {
		t := formatTime(since)
		params.StatusChangedSince = &t
	}
	req := qualys.PostureRequest{Version: s.version, Policies: pcrs.PostureInfoRequest{item}, Params: params}
	return func(yield func(Record, error) bool) {
		for rec, err := range s.c.PostureStream(ctx, req) {
			if err != nil {
				yield(Record{}, err)
				return
			}
			if !yield(recordOf(&rec), nil) {
				return
			}
		}
	}
}

// recordOf keeps what the store holds of a posture record.
func recordOf(p *pcrs.PostureRecord) Record {
	r := Record{
		PolicyID:  p.PolicyID,
		HostID:    p.HostID,
		ControlID: p.ControlID,
		RecordID:  p.ID,
		Status:    string(p.Status),
		Instance:  deref(p.Instance),
		OS:        deref(p.OS),
		IP:        deref(p.IP),
		DNS:       deref(p.DNS),

		ControlStatement: deref(p.ControlStatement),
	}
	if p.PreviousStatus != nil {
		r.PreviousStatus = string(*p.PreviousStatus)
	}
	if p.Criticality != nil {
		r.CriticalityLabel = string(p.Criticality.Label)
		r.CriticalityValue = int(p.Criticality.Value)
	}
	if p.TechnologyID != nil {
		r.TechnologyID = *p.TechnologyID
	}
	if p.PostureModifiedDate != nil {
		r.PostureModified = *p.PostureModifiedDate
	}
	if p.LastEvaluatedDate != nil {
		r.LastEvaluated = *p.LastEvaluatedDate
	}
	return r
}

func deref[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}
