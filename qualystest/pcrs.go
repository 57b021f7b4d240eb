package qualystest

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PCRS policy list and host-id resolution. postureInfo lives in
// posture_stream.go.

// pcrsVersion is the major version in a /pcrs/N.0/ path.
func pcrsVersion(path string) int {
	rest, ok := strings.CutPrefix(path, "/pcrs/")
	if !ok || len(rest) == 0 {
		return 0
	}
	return int(rest[0] - '0')
}

type policyListBody struct {
	SubscriptionID int64         `json:"subscriptionId"`
	PolicyList     []policyEntry `json:"policyList"`
}

type policyEntry struct {
	ID                int64     `json:"id"`
	Title             string    `json:"title"`
	CreatedBy         string    `json:"createdBy"`
	ModifiedBy        string    `json:"modifiedBy"`
	CreatedDate       string    `json:"createdDate"`
	ModifiedDate      string    `json:"modifiedDate"`
	LastEvaluatedDate string    `json:"lastEvaluatedDate"`
	Status            string    `json:"status"`
	Locked            int       `json:"locked"`
	IncludeTags       *[]tagRef `json:"includeTags,omitempty"`
	ExcludeTags       *[]tagRef `json:"excludeTags,omitempty"`
	IncludeTagsScope  string    `json:"includeTagsScope,omitempty"`
	ExcludeTagsScope  string    `json:"excludeTagsScope,omitempty"`
}

type tagRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// listPolicies serves listPoliciesV1 and listPoliciesV2: the policies
// evaluated on or after lastEvaluationDate; 2.0 with requireTagInfo=1 adds
// each policy's tag scope.
func listPolicies(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	since, err := optionalDate(q, "lastEvaluationDate")
	if err != nil {
		s.fail(w, r, c, http.StatusBadRequest, err.Error())
		return
	}
	tagInfo := pcrsVersion(r.URL.Path) >= 2 && q.Get("requireTagInfo") == "1"
	d, idx := s.snapshot()
	body := policyListBody{SubscriptionID: d.SubscriptionID, PolicyList: []policyEntry{}}
	for _, p := range d.Policies {
		if !since.IsZero() && p.LastEvaluated.Before(since) {
			continue
		}
		e := policyEntry{
			ID:                p.ID,
			Title:             p.Title,
			CreatedBy:         p.CreatedBy,
			ModifiedBy:        p.ModifiedBy,
			CreatedDate:       formatDate(p.Created),
			ModifiedDate:      formatDate(p.Modified),
			LastEvaluatedDate: formatDate(p.LastEvaluated),
			Status:            p.Status,
		}
		if p.Locked {
			e.Locked = 1
		}
		if tagInfo {
			inc, exc := tagRefs(d, idx, p.IncludeTagIDs), tagRefs(d, idx, p.ExcludeTagIDs)
			e.IncludeTags, e.ExcludeTags = &inc, &exc
			e.IncludeTagsScope, e.ExcludeTagsScope = p.IncludeTagsScope, p.ExcludeTagsScope
		}
		body.PolicyList = append(body.PolicyList, e)
	}
	s.replyJSON(w, r, c, http.StatusOK, body)
}

func tagRefs(d *Data, idx *index, ids []int64) []tagRef {
	out := []tagRef{}
	for _, id := range ids {
		if i, ok := idx.tag[id]; ok {
			out = append(out, tagRef{ID: id, Name: d.Tags[i].Name})
		}
	}
	return out
}

type policyHostIDs struct {
	PolicyID       string   `json:"policyId"`
	SubscriptionID string   `json:"subscriptionId"`
	HostIDs        []string `json:"hostIds"`
	Error          string   `json:"error,omitempty"`
}

// errNoPolicy is the text hostids puts in the element of a policy that
// does not exist (with status 200).
const errNoPolicy = "Error: Compliance Policy does not exist."

// resolveHostIDs serves every hostids version. 1.0 and 2.0 take 1 to 10
// policy ids (the spec enforces the count) and lastScanDate; 3.0 takes any
// number of policy ids, or none for all policies, and statusChangedSince.
// 4.0 and 5.0 have no published parameters: they behave as 3.0.
func resolveHostIDs(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	version := pcrsVersion(r.URL.Path)
	var ids []string
	for _, v := range q["policyId"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
			s.classicFail(w, r, c, "policy_ids")
			return
		}
	}
	d, idx := s.snapshot()
	if len(ids) == 0 {
		if version <= 2 {
			s.classicFail(w, r, c, "policy_ids")
			return
		}
		for _, p := range d.Policies {
			ids = append(ids, strconv.FormatInt(p.ID, 10))
		}
	}
	var scannedSince, changedSince time.Time
	var err error
	if version <= 2 {
		scannedSince, err = optionalDate(q, "lastScanDate")
	} else {
		changedSince, err = optionalDate(q, "statusChangedSince")
	}
	if err != nil {
		s.classicFail(w, r, c, classicName(strings.SplitN(err.Error(), " ", 2)[0]))
		return
	}

	sub := strconv.FormatInt(d.SubscriptionID, 10)
	out := make([]policyHostIDs, 0, len(ids))
	for _, id := range ids {
		n, _ := strconv.ParseInt(id, 10, 64)
		e := policyHostIDs{PolicyID: id, SubscriptionID: sub, HostIDs: []string{}}
		pi, ok := idx.policy[n]
		if !ok {
			e.Error = errNoPolicy
			out = append(out, e)
			continue
		}
		p := &d.Policies[pi]
		for _, hid := range p.HostIDs {
			hi, ok := idx.host[hid]
			if !ok {
				continue
			}
			if !scannedSince.IsZero() && d.Hosts[hi].LastScan.Before(scannedSince) {
				continue
			}
			if !changedSince.IsZero() && !changedOnHost(d, idx, pi, hi, changedSince) {
				continue
			}
			e.HostIDs = append(e.HostIDs, strconv.FormatInt(hid, 10))
		}
		out = append(out, e)
	}
	s.replyJSON(w, r, c, http.StatusOK, out)
}

// changedOnHost reports whether any posture of the policy on the host
// changed status on or after since, or vanished then. Qualys documents
// "hosts whose posture changed (to failed or passed)" and says nothing of
// a control that stops being reported; the simulator counts that as a
// change of the host's posture unless the data says otherwise.
func changedOnHost(d *Data, idx *index, pi, hi int, since time.Time) bool {
	p, hid := &d.Policies[pi], d.Hosts[hi].ID
	for ci, cid := range p.ControlIDs {
		if at, gone := d.Vanished[PostureKey{PolicyID: p.ID, ControlID: cid, HostID: hid}]; gone {
			if !d.VanishedUnchanged && !at.Before(since) {
				return true
			}
			continue
		}
		if !idx.posture(d, pi, ci, hi).Modified.Before(since) {
			return true
		}
	}
	return false
}

// optionalDate reads a PCRS date parameter: YYYY-MM-DD or
// YYYY-MM-DDTHH:MM:SSZ (UTC). A missing parameter gives the zero time.
func optionalDate(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, _, err := parseDate(v)
	if err != nil {
		return time.Time{}, errors.New(name + " must be a date (YYYY-MM-DD) or a UTC date-time (YYYY-MM-DDTHH:MM:SSZ)")
	}
	return t, nil
}

// parseDate parses a PCRS date parameter; dateOnly tells a bare date.
func parseDate(v string) (t time.Time, dateOnly bool, err error) {
	if t, err = time.Parse("2006-01-02", v); err == nil {
		return t, true, nil
	}
	t, err = time.Parse("2006-01-02T15:04:05Z", v)
	return t, false, err
}
