package qualystest_test

//lint:file-ignore SA1019 deprecated Qualys operations stay documented and simulated until their end of life

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qualyskit/qualys-go/qualystest"
)

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	a, err := qualystest.Generate(qualystest.WithSeed(42), qualystest.WithHosts(100))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := qualystest.Generate(qualystest.WithSeed(42), qualystest.WithHosts(100))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different data (-a +b):\n%s", diff)
	}
	for _, p := range a.Policies {
		if diff := cmp.Diff(a.Postures(p.ID), b.Postures(p.ID)); diff != "" {
			t.Fatalf("same seed, different postures:\n%s", diff)
		}
	}
	c, _ := qualystest.Generate(qualystest.WithSeed(43), qualystest.WithHosts(100))
	if cmp.Equal(a.Hosts, c.Hosts) {
		t.Error("different seeds gave the same hosts")
	}
	if cmp.Equal(a.Postures(a.Policies[0].ID), c.Postures(c.Policies[0].ID)) {
		t.Error("different seeds gave the same postures")
	}
}

// TestServersServeTheSameData: two servers with the same seed answer the
// same bytes.
func TestServersServeTheSameData(t *testing.T) {
	t.Parallel()
	body := func() []byte {
		s := qualystest.NewServer(t, qualystest.WithSeed(7))
		d := s.Data()
		_, b := postureCall(t, s, 5, "compressionRequired=0&evidenceRequired=1", wholePolicy(d, d.Policies[0]))
		return b
	}
	if a, b := body(), body(); string(a) != string(b) {
		t.Error("same seed, different postureInfo bodies")
	}
}

func TestGenerateSizes(t *testing.T) {
	t.Parallel()
	d, err := qualystest.Generate(qualystest.WithHosts(10), qualystest.WithPolicies(5), qualystest.WithControlsPerPolicy(3))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Hosts) != 10 || len(d.Policies) != 5 {
		t.Fatalf("%d hosts, %d policies", len(d.Hosts), len(d.Policies))
	}
	ids := map[int64]bool{}
	statuses := map[string]int{}
	crit := map[int]int{}
	for _, p := range d.Policies {
		if len(p.ControlIDs) != 3 || len(p.HostIDs) == 0 {
			t.Errorf("policy %d: %d controls, %d hosts", p.ID, len(p.ControlIDs), len(p.HostIDs))
		}
		for _, ps := range d.Postures(p.ID) {
			if ids[ps.ID] {
				t.Fatalf("posture id %d repeats", ps.ID)
			}
			ids[ps.ID] = true
			statuses[ps.Status]++
			crit[ps.Criticality]++
		}
	}
	if statuses["Passed"] == 0 || statuses["Failed"] == 0 {
		t.Errorf("statuses %v", statuses)
	}
	if _, err := qualystest.Generate(qualystest.WithHosts(-1)); err == nil {
		t.Error("negative size accepted")
	}
	empty, err := qualystest.Generate(qualystest.WithHosts(0), qualystest.WithPolicies(0))
	if err != nil || len(empty.Policies) != 0 {
		t.Errorf("empty data set: %v", err)
	}
}

// TestDataIsACopy: changing what Data returns changes nothing served;
// Update does.
func TestDataIsACopy(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	d := s.Data()
	d.Policies[0].Title = "changed"
	d.Policies[0].HostIDs[0] = 1
	if got := s.Data(); got.Policies[0].Title == "changed" || got.Policies[0].HostIDs[0] == 1 {
		t.Fatal("Data returned the server's own data")
	}
	s.Update(func(d *qualystest.Data) { d.Policies = d.Policies[:1] })
	c := pcrsClient(t, s)
	resp, _ := c.ListPoliciesV1WithResponse(context.Background(), nil)
	if n := len(resp.JSON200.PolicyList); n != 1 {
		t.Errorf("after Update: %d policies, want 1", n)
	}
}
