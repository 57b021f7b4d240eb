package qualystest_test

//lint:file-ignore SA1019 deprecated Qualys operations stay documented and simulated until their end of life

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
)

// rawCAR sends a CAR request with a JSON body (none when body is "") and
// returns the status and the decoded JSON answer.
func rawCAR(t *testing.T, s *qualystest.Server, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	raw := readAll(t, resp, err)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %v (%.200q)", method, path, err, raw)
	}
	return resp.StatusCode, out
}

// TestCARSearchEnvelopes: shape E with null codes on jobs, asset jobs and
// asset tags; shape B on scripts, library and schedules; ids in the JSON
// type each record uses.
func TestCARSearchEnvelopes(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	token := login(t, s)
	for _, tc := range []struct {
		path  string
		shape string
	}{
		{"/sm/v1/jobs/search", "E"},
		{"/sm/v1/assetjobs/search", "E"},
		{"/sm/v1/assettags/search", "E"},
		{"/sm/v1/scripts/search", "B"},
		{"/sm/v1/script-library/search", "B"},
		{"/sm/v1/scheduler/search", "B"},
	} {
		status, out := rawCAR(t, s, token, http.MethodPost, tc.path, `{}`)
		if status != http.StatusOK {
			t.Errorf("%s: %d %v", tc.path, status, out)
			continue
		}
		code, hasCode := out["errorCode"]
		msg, hasMsg := out["message"]
		switch tc.shape {
		case "E":
			if !hasCode || !hasMsg || code != nil || msg != nil {
				t.Errorf("%s: want errorCode and message present and null, got errorCode %v (present %v), message %v (present %v)", tc.path, code, hasCode, msg, hasMsg)
			}
		case "B":
			if hasCode || hasMsg {
				t.Errorf("%s: want only body, got errorCode %v, message %v", tc.path, code, msg)
			}
		}
		body, _ := out["body"].(map[string]any)
		if _, ok := body["totalCount"].(float64); !ok {
			t.Errorf("%s: totalCount is not a number: %v", tc.path, body)
		}
		if list, _ := body["list"].([]any); len(list) == 0 || len(list) > 10 {
			t.Errorf("%s: %d records on the first page (default pageSize 10)", tc.path, len(list))
		}
	}

	first := func(path string) map[string]any {
		_, out := rawCAR(t, s, token, http.MethodPost, path, `{"pageSize":1}`)
		return out["body"].(map[string]any)["list"].([]any)[0].(map[string]any)
	}
	isString := func(v any) bool { _, ok := v.(string); return ok }
	isNumber := func(v any) bool { _, ok := v.(float64); return ok }
	if rec := first("/sm/v1/scripts/search"); !isString(rec["id"]) {
		t.Errorf("script id %v: want a string", rec["id"])
	}
	if rec := first("/sm/v1/script-library/search"); !isString(rec["id"]) {
		t.Errorf("library id %v: want a string", rec["id"])
	}
	if rec := first("/sm/v1/jobs/search"); !isString(rec["id"]) || !isNumber(rec["scriptId"]) {
		t.Errorf("job id %v, scriptId %v: want a string and a number", rec["id"], rec["scriptId"])
	}
	rec := first("/sm/v1/assetjobs/search")
	job, _ := rec["job"].(map[string]any)
	asset, _ := rec["asset"].(map[string]any)
	if !isString(rec["id"]) || !isNumber(job["id"]) || !isNumber(asset["id"]) {
		t.Errorf("asset job id %v, job.id %v, asset.id %v", rec["id"], job["id"], asset["id"])
	}
	if _, ok := rec["scriptResult"]; ok {
		t.Errorf("scriptResult without includeScriptResult")
	}
	lib := s.Data().CAR.Library[0]
	_, got := rawCAR(t, s, token, http.MethodGet, "/sm/v1/script-library/"+strconv.FormatInt(lib.ID, 10), "")
	if b, _ := got["body"].(map[string]any); !isNumber(b["id"]) {
		t.Errorf("library get id %v: want a number", b["id"])
	}
	noResponseErrors(t, s)
}

// TestCARSearchFilterSortPaging: filters per endpoint, sort strings,
// 0-based pages and totals over all pages.
func TestCARSearchFilterSortPaging(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithScripts(60))
	c := carClient(t, s)
	ctx := context.Background()
	d := s.Data()

	langName := map[int64]string{}
	for _, l := range d.CAR.Languages {
		langName[l.ID] = l.Name
	}
	wantShell := 0
	for _, sc := range d.CAR.Scripts {
		if langName[sc.LanguageID] == "Shell" && sc.TypeID == 1 {
			wantShell++
		}
	}
	shell, err := c.SearchScriptsWithResponse(ctx, car.ScriptSearch{Filter: "language:Shell AND (type:Custom Script)", PageSize: int32(1000)})
	if err != nil || shell.JSON200 == nil {
		t.Fatalf("%v %s", err, shell.Body)
	}
	if got := shell.JSON200.Body; got.TotalCount.Int64() != int64(wantShell) || len(got.List) != wantShell {
		t.Errorf("language:Shell AND type:Custom Script: %d (%d records), want %d", got.TotalCount.Int64(), len(got.List), wantShell)
	}
	for _, sc := range shell.JSON200.Body.List {
		if sc.Language.Name != "Shell" || sc.Type.Name != "Custom Script" {
			t.Errorf("record %v does not match the filter", sc.ID)
		}
	}

	// Paging: default size 10, 0-based, totalCount over all pages, and
	// pages that do not overlap; sort by id descending.
	sortDesc := `[{"id":"desc"}]`
	p0, _ := c.SearchScriptsWithResponse(ctx, car.ScriptSearch{Sort: sortDesc})
	p1, _ := c.SearchScriptsWithResponse(ctx, car.ScriptSearch{Sort: sortDesc, PageNumber: int32(1)})
	if p0.JSON200 == nil || p1.JSON200 == nil {
		t.Fatalf("pages: %s %s", p0.Body, p1.Body)
	}
	ids := func(list []car.Script) []int64 {
		var out []int64
		for _, sc := range list {
			id, _ := sc.ID.Int64()
			out = append(out, id)
		}
		return out
	}
	all := append(ids(p0.JSON200.Body.List), ids(p1.JSON200.Body.List)...)
	if len(all) != 20 || p0.JSON200.Body.TotalCount.Int64() != int64(len(d.CAR.Scripts)) || p1.JSON200.Body.TotalCount.Int64() != int64(len(d.CAR.Scripts)) {
		t.Errorf("pages of %d and totals %d/%d, want 10+10 of %d", len(all), p0.JSON200.Body.TotalCount.Int64(), p1.JSON200.Body.TotalCount.Int64(), len(d.CAR.Scripts))
	}
	if !slices.IsSortedFunc(all, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("ids not in descending order across pages: %v", all)
	}
	beyond, _ := c.SearchScriptsWithResponse(ctx, car.ScriptSearch{PageNumber: int32(1000)})
	if beyond.JSON200 == nil || len(beyond.JSON200.Body.List) != 0 || beyond.JSON200.Body.TotalCount.Int64() != int64(len(d.CAR.Scripts)) {
		t.Errorf("page past the end: %s", beyond.Body)
	}

	// Jobs: scriptId, script.name, scriptLanguage, type; Created.dateTime
	// with a capital C sorts too.
	job := d.CAR.Jobs[0]
	jobs, _ := c.SearchJobsWithResponse(ctx, car.JobSearch{
		Filter:   fmt.Sprintf("scriptId:%d AND (scriptLanguage:%s) AND script.name:%s", job.ScriptID, langName[job.LanguageID], job.ScriptTitle),
		Sort:     `[{"Created.dateTime":"asc"}]`,
		PageSize: int32(1000),
	})
	if jobs.JSON200 == nil || jobs.JSON200.Body.TotalCount.Int64() == 0 {
		t.Fatalf("jobs of script %d: %s", job.ScriptID, jobs.Body)
	}
	for i, j := range jobs.JSON200.Body.List {
		if id, _ := j.ScriptID.Int64(); id != job.ScriptID {
			t.Errorf("job %v of script %d", j.ID, id)
		}
		if i > 0 && j.Created.DateTime < jobs.JSON200.Body.List[i-1].Created.DateTime {
			t.Errorf("jobs not in ascending creation order")
		}
	}
	typed, _ := c.SearchJobsWithResponse(ctx, car.JobSearch{Filter: "type:Custom Script", PageSize: int32(1000)})
	for _, j := range typed.JSON200.Body.List {
		if j.ScriptType != "Custom Script" {
			t.Errorf("type filter let %v (%s) through", j.ID, j.ScriptType)
		}
	}

	// Asset jobs: job.id and job.scriptLanguage, with the Qualys sample's
	// parentheses; includeScriptResult adds base64 output.
	want := 0
	for _, a := range d.CAR.AssetJobs {
		if a.JobID == job.ID {
			want++
		}
	}
	aj, _ := c.SearchAssetJobsWithResponse(ctx, car.AssetJobSearch{
		Filter:              fmt.Sprintf("job.id:%d AND (job.scriptLanguage:%s)", job.ID, langName[job.LanguageID]),
		IncludeScriptResult: wire.FlagOf(true),
	})
	if aj.JSON200 == nil || aj.JSON200.Body.TotalCount.Int64() != int64(want) || want == 0 {
		t.Fatalf("asset jobs of job %d: want %d, got %s", job.ID, want, aj.Body)
	}
	for _, a := range aj.JSON200.Body.List {
		if out, err := a.ScriptResult.Decode(); err != nil || len(out) == 0 {
			t.Errorf("scriptResult %q, %v", out, err)
		}
	}

	// Library: moduleCode.
	lib, _ := c.SearchLibraryScriptsWithResponse(ctx, car.LibraryScriptSearch{Filter: "moduleCode:NOSUCH"})
	if lib.JSON200 == nil || lib.JSON200.Body.TotalCount.Int64() != 0 {
		t.Errorf("moduleCode:NOSUCH: %s", lib.Body)
	}
	noResponseErrors(t, s)
}

// TestCARBadSearches: every search answers 400 with a CAR error body to a
// filter or sort it cannot use.
func TestCARBadSearches(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	token := login(t, s)
	searches := []string{
		"/sm/v1/scripts/search", "/sm/v1/jobs/search", "/sm/v1/assetjobs/search",
		"/sm/v1/script-library/search", "/sm/v1/assettags/search", "/sm/v1/scheduler/search",
	}
	filters := []string{`nosuchfield:1`, `(id:1`, `id:`, `id:1 AND`, `id "1"`, `id:"1`}
	for _, path := range searches {
		for _, f := range filters {
			body, _ := json.Marshal(map[string]string{"filter": f})
			status, out := rawCAR(t, s, token, http.MethodPost, path, string(body))
			if status != http.StatusBadRequest || out["errorCode"] != "400" || out["message"] == "" {
				t.Errorf("%s filter %q: %d %v", path, f, status, out)
			}
		}
	}
	for _, path := range []string{"/sm/v1/scripts/search", "/sm/v1/assetjobs/search", "/sm/v1/scheduler/search"} {
		for _, sort := range []string{`[{"nosuch":"asc"}]`, `{"id":"asc"}`, `[{"id":"sideways"}]`, `not json`} {
			body, _ := json.Marshal(map[string]string{"sort": sort})
			if status, out := rawCAR(t, s, token, http.MethodPost, path, string(body)); status != http.StatusBadRequest {
				t.Errorf("%s sort %q: %d %v", path, sort, status, out)
			}
		}
	}
	if status, out := rawCAR(t, s, token, http.MethodPost, "/sm/v1/jobs/search", `{"startAt":"yesterday"}`); status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["message"]), "startAt") {
		t.Errorf("bad startAt: %d %v", status, out)
	}
	noResponseErrors(t, s)
}

// TestCARScriptLifecycle: create (every version), update, import v2,
// script types and languages, and the errors that name the field at fault.
func TestCARScriptLifecycle(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	c := carClient(t, s)
	ctx := context.Background()
	token := login(t, s)

	v3, _ := c.CreateScriptV3WithResponse(ctx, car.ScriptCreateV3{Title: "QID check", TypeID: 2, LanguageID: 4, Content: wire.EncodeBase64String("Write-Output \"QID\"\r\n")})
	v2, _ := c.CreateScriptV2WithResponse(ctx, car.ScriptCreateV2{Title: "From GitHub", LanguageID: 6, Platform: car.PlatformLINUX, Severity: 2,
		GitHubUser: "acme", GitHubFilePath: "scripts/check.sh", GitHubRepo: "ops"})
	for name, r := range map[string]*car.CreateScriptV3Response{"v3": v3} {
		if r.JSON200 == nil || r.JSON200.ErrorCode != "0" {
			t.Errorf("create %s: %d %s", name, r.StatusCode(), r.Body)
		}
	}
	if v2.JSON200 == nil || v2.JSON200.ErrorCode != "0" {
		t.Errorf("create v2: %d %s", v2.StatusCode(), v2.Body)
	}
	for _, path := range []string{"/sm/v1/script", "/sm/v5/script"} {
		status, out := rawCAR(t, s, token, http.MethodPost, path, `{"title":"raw `+path+`","typeId":1,"languageId":6,"content":"ZWNobyAiaGkiCg=="}`)
		if b, _ := out["body"].(map[string]any); b == nil || out["errorCode"] != "0" {
			t.Errorf("create %s: %d %v", path, status, out)
		}
	}
	found, _ := c.SearchScriptsWithResponse(ctx, car.ScriptSearch{Filter: "title:QID check AND type:Custom QID"})
	if found.JSON200 == nil || found.JSON200.Body.TotalCount.Int64() != 1 {
		t.Fatalf("v3 script: %s", found.Body)
	}
	id, _ := found.JSON200.Body.List[0].ID.Int64()

	// Content naming a blocked command of its platform and language is
	// flagged on the record.
	bad := "Write-Output \"x\"\r\nInvoke-Expression $cmd\r\n"
	if upd, _ := c.UpdateScriptV4WithResponse(ctx, wire.NewID(id), car.ScriptUpdateV4{Content: wire.EncodeBase64String(bad), Comment: "blocked"}); upd.JSON200 == nil {
		t.Fatalf("update v4: %d %s", upd.StatusCode(), upd.Body)
	}
	found, _ = c.SearchScriptsWithResponse(ctx, car.ScriptSearch{Filter: fmt.Sprintf("id:%d", id)})
	if rec := found.JSON200.Body.List[0]; !rec.HasBlacklistedCommands || !strings.Contains(rec.BlacklistedCommands, "Invoke-Expression") {
		t.Errorf("blocked command not reported: %s", found.Body)
	}
	upd1 := fmt.Sprintf("/sm/v1/script/%d", id)
	if status, out := rawCAR(t, s, token, http.MethodPatch, upd1, `{"title":"QID check renamed"}`); status != http.StatusOK || out["errorCode"] != "0" {
		t.Errorf("update v1: %d %v", status, out)
	}
	if renamed, _ := c.SearchScriptsWithResponse(ctx, car.ScriptSearch{Filter: "title:QID check renamed"}); renamed.JSON200 == nil || renamed.JSON200.Body.TotalCount.Int64() != 1 {
		t.Errorf("update v1 not kept: %s", renamed.Body)
	}

	// Errors: bad base64 (create and update) names content; unknown ids
	// answer 404; unknown language, type and category ids are 400.
	if r, _ := c.UpdateScriptV4WithResponse(ctx, wire.NewID(id), car.ScriptUpdateV4{Content: wire.RawBase64("@@@"), Comment: "x"}); r.StatusCode() != http.StatusBadRequest || r.JSON400 == nil || !strings.Contains(string(r.Body), "content") {
		t.Errorf("update with bad base64: %d %s", r.StatusCode(), r.Body)
	}
	if r, _ := c.CreateScriptV3WithResponse(ctx, car.ScriptCreateV3{Title: "x", TypeID: 1, LanguageID: 6, Content: wire.RawBase64("%%%")}); r.StatusCode() != http.StatusBadRequest || !strings.Contains(string(r.Body), "content") {
		t.Errorf("create v3 with bad base64: %d %s", r.StatusCode(), r.Body)
	}
	for name, body := range map[string]car.ScriptCreateV3{
		"type":     {Title: "x", TypeID: 99, LanguageID: 6, Content: wire.EncodeBase64String("x")},
		"language": {Title: "x", TypeID: 1, LanguageID: 99, Content: wire.EncodeBase64String("x")},
		"category": {Title: "x", TypeID: 1, LanguageID: 6, CategoryID: int64(12345), Content: wire.EncodeBase64String("x")},
		"size":     {Title: "x", TypeID: 1, LanguageID: 6, Content: wire.EncodeBase64(bytes.Repeat([]byte("#"), 501<<10))},
	} {
		if r, _ := c.CreateScriptV3WithResponse(ctx, body); r.StatusCode() != http.StatusBadRequest {
			t.Errorf("create with a bad %s: %d %s", name, r.StatusCode(), r.Body)
		}
	}
	for _, missing := range []func() int{
		func() int {
			r, _ := c.UpdateScriptV2WithResponse(ctx, wire.NewID(1), car.ScriptUpdateV2{Title: "x"})
			return r.StatusCode()
		},
		func() int { r, _ := c.GetLibraryScriptWithResponse(ctx, wire.NewID(999999)); return r.StatusCode() },
		func() int {
			status, _ := rawCAR(t, s, token, http.MethodPatch, "/sm/v1/script/1", `{"title":"x"}`)
			return status
		},
	} {
		if status := missing(); status != http.StatusNotFound {
			t.Errorf("unknown id: %d", status)
		}
	}

	// Import v2 copies a library script with the type asked for.
	lib := s.Data().CAR.Library[1]
	imp, err := c.ImportLibraryScriptV2WithResponse(ctx, car.LibraryScriptImportV2{Title: "Imported v2", ID: wire.IDFromInt(lib.ID), CategoryID: wire.IDFromString("7"),
		Approved: true, TypeID: 1, TypeName: "Custom Script", SubType: car.ScriptSubType("Response")})
	if err != nil || imp.JSON200 == nil || imp.JSON200.ErrorCode != "0" || imp.JSON200.Body.ID.IsZero() {
		t.Fatalf("import v2: %v %s", err, imp.Body)
	}
	newID := imp.JSON200.Body.ID
	if newID.Equal(wire.NewID(lib.ID)) {
		t.Errorf("import answered the library id")
	}
	got, _ := c.SearchScriptsWithResponse(ctx, car.ScriptSearch{Filter: fmt.Sprintf("id:%s", newID)})
	if got.JSON200 == nil || got.JSON200.Body.TotalCount.Int64() != 1 || got.JSON200.Body.List[0].Status != "APPROVED" || !got.JSON200.Body.List[0].ImportedFromScriptLibrary {
		t.Errorf("imported script: %s", got.Body)
	}

	types, _ := c.ListScriptTypesWithResponse(ctx)
	langs, _ := c.ListScriptLanguagesWithResponse(ctx)
	if !strings.Contains(string(types.Body), `"Custom QID"`) || !strings.Contains(string(langs.Body), `{"id":6,"name":"Shell"}`) {
		t.Errorf("types %s, languages %s", types.Body, langs.Body)
	}
	noResponseErrors(t, s)
}

// TestCARExecution: production runs skip blocked and excluded assets,
// test runs use lab assets and lab tags only, and every run has finished
// asset jobs a client can poll by correlationUuid or job id.
func TestCARExecution(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithHosts(60))
	c := carClient(t, s)
	ctx := context.Background()
	d := s.Data()
	script := d.CAR.Scripts[0]

	var lab, tagged []int64 // lab hosts; hosts with the first non-lab tag
	var labTag, plainTag qualystest.Tag
	for _, tg := range d.Tags {
		if tg.Lab && labTag.ID == 0 {
			labTag = tg
		}
	}
	plainTag = d.Tags[1]
	for _, h := range d.Hosts {
		if slices.Contains(d.CAR.LabAssetIDs, h.ID) {
			lab = append(lab, h.ID)
		}
		if slices.Contains(h.TagIDs, plainTag.ID) && !slices.Contains(d.CAR.BlockedAssetIDs, h.ID) &&
			!slices.ContainsFunc(h.TagIDs, func(t int64) bool { return slices.Contains(d.CAR.BlockedTagIDs, t) }) {
			tagged = append(tagged, h.ID)
		}
	}
	if len(lab) == 0 || len(tagged) < 2 {
		t.Fatalf("data: %d lab hosts, %d hosts tagged %s", len(lab), len(tagged), plainTag.Name)
	}

	runAssets := func(run *car.ExecuteScriptResponse) []int64 {
		t.Helper()
		if run.JSON200 == nil || run.JSON200.Body.CorrelationUUID == "" {
			t.Fatalf("execute: %d %s", run.StatusCode(), run.Body)
		}
		corr := run.JSON200.Body.CorrelationUUID
		jobs, _ := c.SearchJobsWithResponse(ctx, car.JobSearch{Filter: "correlationUuid:" + corr})
		if jobs.JSON200 == nil || jobs.JSON200.Body.TotalCount.Int64() != 1 {
			t.Fatalf("job of %s: %s", corr, jobs.Body)
		}
		aj, _ := c.SearchAssetJobsWithResponse(ctx, car.AssetJobSearch{Filter: "job.id:" + jobs.JSON200.Body.List[0].ID.String(),
			IncludeScriptResult: wire.FlagOf(true), PageSize: int32(1000)})
		var out []int64
		for _, a := range aj.JSON200.Body.List {
			res, _ := a.ScriptResult.Decode()
			if a.Status != "EXECUTION PASSED" || a.Output.Text != "SUCCESS" || !strings.Contains(string(res), "Script Output printed!!") ||
				a.Job.CorrelationUUID != corr || a.Test != jobs.JSON200.Body.List[0].Test {
				t.Errorf("asset job %v: %s %v %q", a.ID, a.Status, a.Output, res)
			}
			id, _ := a.Asset.ID.Int64()
			out = append(out, id)
		}
		slices.Sort(out)
		return out
	}

	// Production: a tag minus an excluded asset, plus a blocked asset
	// named explicitly (skipped).
	blocked := d.CAR.BlockedAssetIDs[0]
	run, _ := c.ExecuteScriptWithResponse(ctx, wire.NewID(script.ID), car.ScriptExecution{
		AssetTagIDs:      strconv.FormatInt(plainTag.ID, 10),
		AssetIDs:         strconv.FormatInt(blocked, 10),
		ExcludedAssetIDs: strconv.FormatInt(tagged[0], 10),
	})
	if got := runAssets(run); !slices.Equal(got, tagged[1:]) {
		t.Errorf("production run on %v, want %v", got, tagged[1:])
	}

	// Blocking the tag blocks its hosts; unblocking it restores them.
	if r, _ := c.BlockTagsWithResponse(ctx, car.BatchRequest{IDs: ids(plainTag.ID)}); r.JSON200 == nil || len(r.JSON200.Body.Success.IDs) != 1 {
		t.Fatalf("block tag: %s", r.Body)
	}
	run, _ = c.ExecuteScriptWithResponse(ctx, wire.NewID(script.ID), car.ScriptExecution{AssetTagIDs: strconv.FormatInt(plainTag.ID, 10)})
	if got := runAssets(run); len(got) != 0 {
		t.Errorf("run on a blocked tag reached %v", got)
	}
	if r, _ := c.UnblockTagsWithResponse(ctx, car.BatchRequest{IDs: ids(plainTag.ID, 42)}); r.JSON200 == nil || !sameIDs(r.JSON200.Body.Failure.IDs, 42) {
		t.Errorf("unblock tag: %s", r.Body)
	}

	// Test mode: lab assets and lab tags only.
	test := wire.FlagOf(true)
	run, _ = c.ExecuteScriptWithResponse(ctx, wire.NewID(script.ID), car.ScriptExecution{TestMode: test,
		TestAssets: []car.TargetRef{{ID: wire.IDFromString(strconv.FormatInt(lab[0], 10)), UUID: "x"}}})
	if got := runAssets(run); !slices.Equal(got, lab[:1]) {
		t.Errorf("test run on %v, want %v", got, lab[:1])
	}
	run, _ = c.ExecuteScriptWithResponse(ctx, wire.NewID(script.ID), car.ScriptExecution{TestMode: test,
		TestTags: []car.TargetRef{{ID: wire.IDFromString(strconv.FormatInt(labTag.ID, 10)), UUID: labTag.UUID}}})
	for _, id := range runAssets(run) {
		if !slices.Contains(lab, id) {
			t.Errorf("test run by lab tag reached %d, not a lab asset", id)
		}
	}
	for name, e := range map[string]car.ScriptExecution{
		"non-lab test asset": {TestMode: test, TestAssets: []car.TargetRef{{ID: wire.IDFromString(strconv.FormatInt(tagged[0], 10)), UUID: "x"}}},
		"non-lab test tag":   {TestMode: test, TestTags: []car.TargetRef{{ID: wire.IDFromString(strconv.FormatInt(plainTag.ID, 10)), UUID: "x"}}},
		"no target":          {},
		"bad asset id":       {AssetIDs: "12,abc"},
	} {
		if r, _ := c.ExecuteScriptWithResponse(ctx, wire.NewID(script.ID), e); r.StatusCode() != http.StatusBadRequest || r.JSON400 == nil {
			t.Errorf("%s: %d %s", name, r.StatusCode(), r.Body)
		}
	}

	// Removing a lab asset takes it out of test mode.
	if r, _ := c.DeleteLabAssetsWithResponse(ctx, car.BatchRequest{IDs: ids(lab[0])}); r.JSON200 == nil || !sameIDs(r.JSON200.Body.Success.IDs, lab[0]) {
		t.Fatalf("delete lab asset: %s", r.Body)
	}
	if r, _ := c.DeleteLabAssetsWithResponse(ctx, car.BatchRequest{IDs: ids(lab[0])}); r.JSON200 == nil || !sameIDs(r.JSON200.Body.Failure.IDs, lab[0]) {
		t.Errorf("second delete of a lab asset: %s", r.Body)
	}
	if r, _ := c.ExecuteScriptWithResponse(ctx, wire.NewID(script.ID), car.ScriptExecution{TestMode: test,
		TestAssets: []car.TargetRef{{ID: wire.IDFromString(strconv.FormatInt(lab[0], 10)), UUID: "x"}}}); r.StatusCode() != http.StatusBadRequest {
		t.Errorf("test run on a removed lab asset: %d", r.StatusCode())
	}
	if after := s.Data(); !after.CAR.Scripts[0].LastExecuted.Equal(after.Now) {
		t.Errorf("lastExecuted not updated")
	}
	noResponseErrors(t, s)
}

// TestCARConfigurationState: blocked commands, assets and tags keep their
// state across calls, and unknown ids land in failure or answer 404.
func TestCARConfigurationState(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	c := carClient(t, s)
	ctx := context.Background()
	token := login(t, s)

	created, _ := c.CreateBlockedCommandsWithResponse(ctx, car.BlockedCommandsCreate{LanguageID: 302, Commands: "os.system, subprocess"})
	if created.JSON200 == nil || created.JSON200.Message != "Commands Blocked successfully" {
		t.Fatalf("create: %s", created.Body)
	}
	if r, _ := c.UpdateBlockedCommandsV1WithResponse(ctx, car.BlockedCommandsUpdateV1{LanguageID: 302, Commands: "eval, exec"}); r.JSON200 == nil || r.JSON200.Body != "Commands Updated Successfully" {
		t.Errorf("update v1: %d %s", r.StatusCode(), r.Body)
	}
	got, _ := c.GetBlockedCommandsWithResponse(ctx, 302)
	if got.JSON200 == nil || got.JSON200.Body.TotalCount.Int64() != 1 || !slices.Equal(got.JSON200.Body.List[0].Commands, []string{"eval", "exec"}) {
		t.Errorf("get after update: %s", got.Body)
	}
	if r, _ := c.UpdateBlockedCommandsV1WithResponse(ctx, car.BlockedCommandsUpdateV1{LanguageID: 203, Commands: "x"}); r.StatusCode() != http.StatusNotFound {
		t.Errorf("update v1 of a language without commands: %d", r.StatusCode())
	}
	if r, _ := c.GetBlockedCommandsWithResponse(ctx, 999); r.StatusCode() != http.StatusNotFound {
		t.Errorf("get of an unknown language id: %d %s", r.StatusCode(), r.Body)
	}
	if status, out := rawCAR(t, s, token, http.MethodPost, "/sm/v1/block-commands/delete", `{"languageIds":[302]}`); status != http.StatusOK {
		t.Errorf("delete v1: %d %v", status, out)
	}
	if got, _ := c.GetBlockedCommandsWithResponse(ctx, 302); got.JSON200 == nil || got.JSON200.Body.TotalCount.Int64() != 0 {
		t.Errorf("get after delete: %s", got.Body)
	}
	if r, _ := c.DeleteBlockedCommandsV2WithResponse(ctx, car.BlockedCommandsDeleteV2{CommandIDs: []int64{999999}}); r.StatusCode() != http.StatusNotFound {
		t.Errorf("delete v2 of an unknown record: %d %s", r.StatusCode(), r.Body)
	}
	if r, _ := c.CreateBlockedCommandsWithResponse(ctx, car.BlockedCommandsCreate{LanguageID: 201, Commands: " , "}); r.StatusCode() != http.StatusBadRequest {
		t.Errorf("create without commands: %d", r.StatusCode())
	}

	d := s.Data()
	host := d.Hosts[0].ID
	already := d.CAR.BlockedAssetIDs[0]
	if r, _ := c.UnblockAssetsWithResponse(ctx, car.BatchRequest{IDs: ids(already, host)}); r.JSON200 == nil ||
		!sameIDs(r.JSON200.Body.Success.IDs, already) || !sameIDs(r.JSON200.Body.Failure.IDs, host) ||
		r.JSON200.Body.Success.Message != "Ids are processed" || r.JSON200.Body.Failure.Message != "Ids are Invalid" {
		t.Errorf("unblock assets: %s", r.Body)
	}
	if r, _ := c.BlockAssetsWithResponse(ctx, car.BatchRequest{IDs: ids(host)}); r.JSON200 == nil || len(r.JSON200.Body.Success.IDs) != 1 {
		t.Errorf("block asset: %s", r.Body)
	}
	if after := s.Data(); !slices.Contains(after.CAR.BlockedAssetIDs, host) || slices.Contains(after.CAR.BlockedAssetIDs, already) {
		t.Errorf("blocked assets now %v", after.CAR.BlockedAssetIDs)
	}

	// Blocked tags leave the asset-tag list; unknown tags fail.
	tag := d.Tags[0]
	before, _ := c.SearchAssetTagsWithResponse(ctx, car.AssetTagSearch{PageSize: int32(100)})
	if r, _ := c.BlockTagsWithResponse(ctx, car.BatchRequest{IDs: ids(tag.ID, 1)}); r.JSON200 == nil || !sameIDs(r.JSON200.Body.Failure.IDs, 1) {
		t.Errorf("block tags: %s", r.Body)
	}
	after, _ := c.SearchAssetTagsWithResponse(ctx, car.AssetTagSearch{PageSize: int32(100)})
	if after.JSON200.Body.TotalCount.Int64() != before.JSON200.Body.TotalCount.Int64()-1 || strings.Contains(string(after.Body), tag.UUID) {
		t.Errorf("blocked tag still listed: %d then %d", before.JSON200.Body.TotalCount.Int64(), after.JSON200.Body.TotalCount.Int64())
	}
	// Asset-tag record ids do not depend on the page.
	one, _ := c.SearchAssetTagsWithResponse(ctx, car.AssetTagSearch{PageNumber: int32(2), PageSize: int32(1)})
	if one.JSON200 == nil || one.JSON200.Body.List[0].ID.String() != after.JSON200.Body.List[2].ID.String() {
		t.Errorf("tag record id changes with the page: %s vs %s", one.Body, after.Body)
	}

	// Schedules: update keeps state, unknown id 404, unknown script 400.
	sched, _ := c.SearchSchedulesWithResponse(ctx, car.ScheduleSearch{Sort: `[{"id":"asc"}]`})
	first := sched.JSON200.Body.List[0]
	sc := d.CAR.Scripts[1]
	upd := car.ScheduleUpdate{Title: "Renamed schedule", ScheduleType: car.ScheduleTypeONETIME, StartDate: 1748217600000, StartTime: 1748217600000,
		Scripts: []car.ScheduledScript{{ID: wire.NewID(sc.ID), Title: sc.Title}}, Activate: new(false)}
	if r, _ := c.UpdateScheduleWithResponse(ctx, first.ID, upd); r.StatusCode() != http.StatusOK {
		t.Errorf("update schedule: %d %s", r.StatusCode(), r.Body)
	}
	renamed, _ := c.SearchSchedulesWithResponse(ctx, car.ScheduleSearch{Filter: "title:Renamed schedule"})
	if renamed.JSON200 == nil || renamed.JSON200.Body.TotalCount.Int64() != 1 || renamed.JSON200.Body.List[0].ID != first.ID {
		t.Errorf("renamed schedule: %s", renamed.Body)
	}
	if r, _ := c.UpdateScheduleWithResponse(ctx, wire.IDFromString("00000000-0000-0000-0000-000000000000"), upd); r.StatusCode() != http.StatusNotFound {
		t.Errorf("unknown schedule: %d", r.StatusCode())
	}
	upd.Scripts[0].ID = wire.NewID(1)
	if r, _ := c.UpdateScheduleWithResponse(ctx, first.ID, upd); r.StatusCode() != http.StatusBadRequest || !strings.Contains(string(r.Body), "scripts[0].id") {
		t.Errorf("schedule of an unknown script: %d %s", r.StatusCode(), r.Body)
	}
	noResponseErrors(t, s)
}
