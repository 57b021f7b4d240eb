package qualystest_test

//lint:file-ignore SA1019 deprecated Qualys operations stay documented and simulated until their end of life

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
)

func TestListPolicies(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithPolicies(6))
	c := pcrsClient(t, s)
	ctx := context.Background()
	d := s.Data()

	v1, err := c.ListPoliciesV1WithResponse(ctx, nil)
	if err != nil || v1.JSON200 == nil {
		t.Fatalf("v1: %v %d %s", err, v1.StatusCode(), v1.Body)
	}
	if got, want := len(v1.JSON200.PolicyList), len(d.Policies); got != want {
		t.Fatalf("v1 lists %d policies, want %d", got, want)
	}
	for i, p := range v1.JSON200.PolicyList {
		want := d.Policies[i]
		id, _ := p.ID.Int64()
		if id != want.ID || p.Title != want.Title || string(p.Status) != want.Status {
			t.Errorf("policy %d: got %v %q %v, want %d %q %s", i, id, p.Title, p.Status, want.ID, want.Title, want.Status)
		}
		if p.IncludeTags != nil || p.IncludeTagsScope != "" {
			t.Errorf("v1 policy %d carries tag information", i)
		}
	}

	v2, err := c.ListPoliciesV2WithResponse(ctx, &pcrs.ListPoliciesV2Params{RequireTagInfo: ptr(pcrs.ToggleOn)})
	if err != nil || v2.JSON200 == nil {
		t.Fatalf("v2: %v %d", err, v2.StatusCode())
	}
	p := v2.JSON200.PolicyList[0]
	if len(p.IncludeTags) != len(d.Policies[0].IncludeTagIDs) || p.IncludeTagsScope == "" || p.ExcludeTags == nil {
		t.Errorf("v2 with requireTagInfo=1 lacks the tag scope: %+v", p)
	}
	v2plain, _ := c.ListPoliciesV2WithResponse(ctx, &pcrs.ListPoliciesV2Params{RequireTagInfo: ptr(pcrs.ToggleOff)})
	if v2plain.JSON200.PolicyList[0].IncludeTags != nil {
		t.Error("v2 with requireTagInfo=0 carries tag information")
	}
}

func TestListPoliciesLastEvaluationDate(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithPolicies(10))
	c := pcrsClient(t, s)
	d := s.Data()
	// The median evaluation date splits the policies.
	dates := make([]time.Time, 0, len(d.Policies))
	for _, p := range d.Policies {
		dates = append(dates, p.LastEvaluated)
	}
	slices.SortFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
	since := dates[len(dates)/2].Truncate(time.Second).Add(time.Second)
	var want []int64
	for _, p := range d.Policies {
		if !p.LastEvaluated.Before(since) {
			want = append(want, p.ID)
		}
	}
	resp, err := c.ListPoliciesV2WithResponse(context.Background(),
		&pcrs.ListPoliciesV2Params{LastEvaluationDate: ptr(since.Format("2006-01-02T15:04:05Z"))})
	if err != nil || resp.JSON200 == nil {
		t.Fatal(err, resp.StatusCode())
	}
	var got []int64
	for _, p := range resp.JSON200.PolicyList {
		id, _ := p.ID.Int64()
		got = append(got, id)
	}
	if len(want) == 0 || len(want) == len(d.Policies) {
		t.Fatalf("bad test data: %d of %d policies after %v", len(want), len(d.Policies), since)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("policies evaluated since %v (-want +got):\n%s", since, diff)
	}
}

// hostIDs returns the policy's host ids as hostids sends them.
func hostIDs(p qualystest.Policy, keep func(int64) bool) []wire.ID {
	out := []wire.ID{}
	for _, id := range p.HostIDs {
		if keep == nil || keep(id) {
			out = append(out, wire.IDFromString(strconv.FormatInt(id, 10)))
		}
	}
	return out
}

func TestResolveHostIDs(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithPolicies(3))
	c := pcrsClient(t, s)
	ctx := context.Background()
	d := s.Data()
	sub := strconv.FormatInt(d.SubscriptionID, 10)
	p0, p1 := d.Policies[0], d.Policies[1]
	ids := []string{strconv.FormatInt(p0.ID, 10), "9999999", strconv.FormatInt(p1.ID, 10)}
	want := pcrs.PolicyHostIDsList{
		{PolicyID: wire.IDFromString(ids[0]), SubscriptionID: wire.IDFromString(sub), HostIDs: hostIDs(p0, nil)},
		{PolicyID: wire.IDFromString("9999999"), SubscriptionID: wire.IDFromString(sub), HostIDs: []wire.ID{}, Error: "Error: Compliance Policy does not exist."},
		{PolicyID: wire.IDFromString(ids[2]), SubscriptionID: wire.IDFromString(sub), HostIDs: hostIDs(p1, nil)},
	}

	v1, _ := c.ResolveHostIDsV1WithResponse(ctx, &pcrs.ResolveHostIDsV1Params{PolicyID: ids})
	v2, _ := c.ResolveHostIDsV2WithResponse(ctx, &pcrs.ResolveHostIDsV2Params{PolicyID: ids})
	v3, _ := c.ResolveHostIDsV3WithResponse(ctx, &pcrs.ResolveHostIDsV3Params{PolicyID: ids})
	for name, got := range map[string]*pcrs.PolicyHostIDsList{"1.0": v1.JSON200, "2.0": v2.JSON200, "3.0": v3.JSON200} {
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("hostids %s (-want +got):\n%s", name, diff)
		}
	}

	// 3.0 (and the unpublished 4.0 and 5.0) without policyId: every policy.
	all := pcrs.PolicyHostIDsList{}
	for _, p := range d.Policies {
		all = append(all, pcrs.PolicyHostIDs{PolicyID: wire.IDFromString(strconv.FormatInt(p.ID, 10)), SubscriptionID: wire.IDFromString(sub), HostIDs: hostIDs(p, nil)})
	}
	v3all, _ := c.ResolveHostIDsV3WithResponse(ctx, &pcrs.ResolveHostIDsV3Params{})
	v4, _ := c.ResolveHostIDsV4WithResponse(ctx)
	v5, _ := c.ResolveHostIDsV5WithResponse(ctx)
	for name, got := range map[string]*pcrs.PolicyHostIDsList{"3.0": v3all.JSON200, "4.0": v4.JSON200, "5.0": v5.JSON200} {
		if diff := cmp.Diff(&all, got); diff != "" {
			t.Errorf("hostids %s without policyId (-want +got):\n%s", name, diff)
		}
	}
}

func TestResolveHostIDsFilters(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithPolicies(1), qualystest.WithHosts(60))
	c := pcrsClient(t, s)
	ctx := context.Background()
	d := s.Data()
	p := d.Policies[0]
	id := []string{strconv.FormatInt(p.ID, 10)}

	// lastScanDate (1.0, 2.0): hosts scanned on or after the date.
	since := d.Now.AddDate(0, 0, -30)
	wantScan := hostIDs(p, func(h int64) bool { host, _ := d.Host(h); return !host.LastScan.Before(since) })
	resp, _ := c.ResolveHostIDsV1WithResponse(ctx, &pcrs.ResolveHostIDsV1Params{PolicyID: id, LastScanDate: ptr(since.Format("2006-01-02"))})
	if resp.JSON200 == nil {
		t.Fatalf("lastScanDate: %d %s", resp.StatusCode(), resp.Body)
	}
	if len(wantScan) == 0 || len(wantScan) == len(p.HostIDs) {
		t.Fatalf("bad test data: %d of %d hosts", len(wantScan), len(p.HostIDs))
	}
	if diff := cmp.Diff(wantScan, (*resp.JSON200)[0].HostIDs); diff != "" {
		t.Errorf("lastScanDate (-want +got):\n%s", diff)
	}

	// statusChangedSince (3.0): hosts with a posture changed on or after the date.
	changed := d.Now.AddDate(0, 0, -3)
	wantChanged := hostIDs(p, func(h int64) bool {
		for _, ps := range d.Postures(p.ID, h) {
			if !ps.Modified.Before(changed) {
				return true
			}
		}
		return false
	})
	v3, _ := c.ResolveHostIDsV3WithResponse(ctx, &pcrs.ResolveHostIDsV3Params{PolicyID: id, StatusChangedSince: ptr(changed.Format("2006-01-02"))})
	if v3.JSON200 == nil {
		t.Fatalf("statusChangedSince: %d %s", v3.StatusCode(), v3.Body)
	}
	if len(wantChanged) == 0 || len(wantChanged) == len(p.HostIDs) {
		t.Fatalf("bad test data: %d of %d hosts", len(wantChanged), len(p.HostIDs))
	}
	if diff := cmp.Diff(wantChanged, (*v3.JSON200)[0].HostIDs); diff != "" {
		t.Errorf("statusChangedSince (-want +got):\n%s", diff)
	}
}

func TestResolveHostIDsErrors(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	c := pcrsClient(t, s)
	ctx := context.Background()
	eleven := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}
	for name, ids := range map[string][]string{
		"non-numeric":     {"abc"},
		"eleven policies": eleven,
		"none":            {},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := c.ResolveHostIDsV1WithResponse(ctx, &pcrs.ResolveHostIDsV1Params{PolicyID: ids})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != http.StatusBadRequest || resp.JSON400 == nil || len(*resp.JSON400) != 1 {
				t.Fatalf("got %d %s, want 400 with a classic error list", resp.StatusCode(), resp.Body)
			}
			e := (*resp.JSON400)[0].Response
			if e.Code != 1905 {
				t.Errorf("code %d, want 1905", e.Code)
			}
		})
	}
	// 3.0 has no limit on the number of policies.
	resp, _ := c.ResolveHostIDsV3WithResponse(ctx, &pcrs.ResolveHostIDsV3Params{PolicyID: eleven})
	if resp.StatusCode() != http.StatusOK || len(*resp.JSON200) != 11 {
		t.Fatalf("3.0 with 11 policies: %d", resp.StatusCode())
	}
}
