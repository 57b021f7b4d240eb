package qualystest_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
)

// carClient is a generated CAR client logged in to s.
func carClient(t testing.TB, s *qualystest.Server) *car.ClientWithResponses {
	t.Helper()
	c, err := car.NewClientWithResponses(s.URL, car.WithHTTPClient(s.Client()), car.WithRequestEditorFn(bearer(login(t, s))))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noResponseErrors fails the test when the simulator sent anything the
// spec does not allow.
func noResponseErrors(t *testing.T, s *qualystest.Server) {
	t.Helper()
	for _, err := range s.ResponseErrors() {
		t.Errorf("response does not match the spec: %v", err)
	}
}

func TestSearchLibraryScripts(t *testing.T) {
	s := qualystest.NewServer(t)
	c := carClient(t, s)
	ctx := context.Background()
	all, err := c.SearchLibraryScriptsWithResponse(ctx, car.LibraryScriptSearch{Filter: "moduleCode:AUTOR", PageSize: int32(100)})
	if err != nil || all.JSON200 == nil {
		t.Fatalf("%v %s", err, all.Body)
	}
	want := len(s.Data().CAR.Library)
	if got := all.JSON200.Body; got.TotalCount.Int64() != int64(want) || len(got.List) != want || !got.List[0].ScriptContent.IsZero() {
		t.Errorf("total %d, %d records (want %d), content without asking: %v", got.TotalCount.Int64(), len(got.List), want, !got.List[0].ScriptContent.IsZero())
	}
	flag := wire.FlagOf(true)
	page, _ := c.SearchLibraryScriptsWithResponse(ctx, car.LibraryScriptSearch{IncludeScriptContent: flag, PageNumber: int32(1), PageSize: int32(4)})
	if len(page.JSON200.Body.List) != 4 || page.JSON200.Body.TotalCount.Int64() != int64(want) {
		t.Fatalf("page 1 of 4: %s", page.Body)
	}
	first := page.JSON200.Body.List[0]
	if content, err := first.ScriptContent.Decode(); err != nil || len(content) == 0 {
		t.Errorf("content %q, %v", content, err)
	}
	if first.ID.String() != all.JSON200.Body.List[4].ID.String() || !first.ID.Quoted() {
		t.Errorf("page 1 starts at %v, want the 5th record, as a JSON string", first.ID)
	}
	bad, _ := c.SearchLibraryScriptsWithResponse(ctx, car.LibraryScriptSearch{Filter: "nosuchfield:1"})
	if bad.StatusCode() != http.StatusBadRequest || bad.JSON400 == nil {
		t.Errorf("unknown filter field: %d %s", bad.StatusCode(), bad.Body)
	}
	noResponseErrors(t, s)
}

func TestGetAndImportLibraryScript(t *testing.T) {
	s := qualystest.NewServer(t)
	c := carClient(t, s)
	ctx := context.Background()
	lib := s.Data().CAR.Library[0]
	got, err := c.GetLibraryScriptWithResponse(ctx, wire.NewID(lib.ID))
	if err != nil || got.JSON200 == nil {
		t.Fatalf("%v %s", err, got.Body)
	}
	content, _ := got.JSON200.Body.Content.Decode()
	if string(content) != string(lib.Content) || got.JSON200.Body.ID.Quoted() {
		t.Errorf("content %q, id %v (want a JSON number)", content, got.JSON200.Body.ID)
	}
	if missing, _ := c.GetLibraryScriptWithResponse(ctx, wire.NewID(1)); missing.StatusCode() != http.StatusNotFound {
		t.Errorf("unknown id: %d", missing.StatusCode())
	}

	imp, err := c.ImportLibraryScriptV1WithResponse(ctx, car.LibraryScriptImport{Title: "Imported.ps1", ID: wire.IDFromInt(lib.ID), CategoryID: wire.IDFromInt(7), Approved: true})
	if err != nil || imp.JSON200 == nil || imp.JSON200.ErrorCode != "0" || imp.JSON200.Body.ID.IsZero() {
		t.Fatalf("%v %s", err, imp.Body)
	}
	newID := imp.JSON200.Body.ID
	found, _ := c.SearchScriptsWithResponse(ctx, car.ScriptSearch{Filter: "title:Imported.ps1"})
	if found.JSON200 == nil || len(found.JSON200.Body.List) != 1 || !found.JSON200.Body.List[0].ID.Equal(newID) {
		t.Errorf("imported script not found by search: %s", found.Body)
	}
	failed, _ := c.ImportLibraryScriptV1WithResponse(ctx, car.LibraryScriptImport{Title: "x", ID: wire.IDFromInt(1), CategoryID: wire.IDFromInt(7)})
	if failed.JSON200 == nil || failed.JSON200.ErrorCode == "0" {
		t.Errorf("unknown library id: want an errorCode inside the 200, got %s", failed.Body)
	}
	noResponseErrors(t, s)
}

func TestSearchJobsAndAssetJobs(t *testing.T) {
	s := qualystest.NewServer(t)
	c := carClient(t, s)
	ctx := context.Background()
	jobs, err := c.SearchJobsWithResponse(ctx, car.JobSearch{Sort: `[{"created.dateTime":"desc"}]`, PageSize: int32(500)})
	if err != nil || jobs.JSON200 == nil {
		t.Fatalf("%v %s", err, jobs.Body)
	}
	list := jobs.JSON200.Body.List
	if len(list) != len(s.Data().CAR.Jobs) || len(list) < 2 {
		t.Fatalf("%d jobs", len(list))
	}
	for i := 1; i < len(list); i++ {
		if list[i].Created.DateTime > list[i-1].Created.DateTime {
			t.Fatalf("jobs not sorted by creation time, newest first")
		}
	}
	newest := list[0]
	since := s.Data().Now.Add(-1) // nothing is newer than Now
	window, _ := c.SearchJobsWithResponse(ctx, car.JobSearch{StartAt: since.UTC().Format("2006-01-02T15:04:05.000Z")})
	if window.JSON200 == nil || window.JSON200.Body.TotalCount.Int64() != 0 {
		t.Errorf("time window: %s", window.Body)
	}
	jobID := newest.ID.String()
	aj, err := c.SearchAssetJobsWithResponse(ctx, car.AssetJobSearch{Filter: "job.id:" + jobID, IncludeScriptResult: wire.FlagOf(true)})
	if err != nil || aj.JSON200 == nil || len(aj.JSON200.Body.List) == 0 {
		t.Fatalf("%v %s", err, aj.Body)
	}
	for _, a := range aj.JSON200.Body.List {
		out, err := a.ScriptResult.Decode()
		if a.Job.ID.String() != jobID || err != nil || !strings.Contains(string(out), "\n") {
			t.Errorf("asset job %v of job %v: output %q, %v", a.ID, a.Job.ID, out, err)
		}
	}
	for _, sort := range []string{`[{"nosuch":"asc"}]`, `{"id":"asc"}`, `[{"id":"up"}]`} {
		bad, _ := c.SearchJobsWithResponse(ctx, car.JobSearch{Sort: sort})
		if bad.StatusCode() != http.StatusBadRequest {
			t.Errorf("sort %s: %d", sort, bad.StatusCode())
		}
	}
	noResponseErrors(t, s)
}

// ids are numeric ids in the form the batch calls send them.
func ids(ns ...int64) []wire.ID {
	out := make([]wire.ID, len(ns))
	for i, n := range ns {
		out[i] = wire.NewID(n)
	}
	return out
}

// sameIDs reports whether got holds exactly the ids want, in order.
func sameIDs(got []wire.ID, want ...int64) bool {
	return slices.EqualFunc(got, ids(want...), wire.ID.Equal)
}
