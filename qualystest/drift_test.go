package qualystest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/qualystest"
)

// TestDriftChangesOneResponse checks that each kind of drift changes the
// next response of its target, only that one, and is not reported as a
// simulator bug (NewServer's cleanup would fail the test).
func TestDriftChangesOneResponse(t *testing.T) {
	sim := qualystest.NewServer(t)
	sim.Drift("getLibraryScript",
		qualystest.UndeclaredField("/body/driftField", true),
		qualystest.WrongType("/body/id", "not-a-number"),
		qualystest.MissingRequired("/body/title"),
	)
	get := func() map[string]any {
		t.Helper()
		id := sim.Data().CAR.Library[0].ID
		req, _ := http.NewRequest(http.MethodGet, sim.URL+"/sm/v1/script-library/"+strconv.FormatInt(id, 10), nil)
		req.Header.Set("Authorization", "Bearer "+sim.Token())
		resp, err := sim.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
		var v struct{ Body map[string]any }
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		return v.Body
	}
	drifted := get()
	if drifted["driftField"] != true {
		t.Errorf("undeclared field missing: %v", drifted)
	}
	if drifted["id"] != "not-a-number" {
		t.Errorf("id = %v, want the wrong-typed string", drifted["id"])
	}
	if _, ok := drifted["title"]; ok {
		t.Errorf("title still present")
	}
	again := get()
	if _, ok := again["driftField"]; ok || again["title"] == nil {
		t.Errorf("the second response drifted too: %v", again)
	}
}

func TestDriftOnAMissingMemberIsASimulatorError(t *testing.T) {
	sim, err := qualystest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.Drift("listPoliciesV1", qualystest.MissingRequired("/no/such/member"))
	req, _ := http.NewRequest(http.MethodGet, sim.URL+"/pcrs/1.0/posture/policy/list", nil)
	req.Header.Set("Authorization", "Bearer "+sim.Token())
	resp, err := sim.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	errs := sim.ResponseErrors()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "/no/such/member") {
		t.Errorf("response errors %v, want one naming the pointer", errs)
	}
}
