package qualys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
)

// carPages serves a CAR search of n records in the envelope of the
// operation and records every request body it received.
type carPages struct {
	mu       sync.Mutex
	n        int
	envelope string // "E" {errorCode,message,body} or "B" {body}
	record   func(i int) string
	bodies   []map[string]any
}

func (p *carPages) serve(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.bodies = append(p.bodies, req)
	p.mu.Unlock()
	page, _ := req["pageNumber"].(float64)
	size, _ := req["pageSize"].(float64)
	if size == 0 {
		size = 10
	}
	var recs []string
	for i := int(page * size); i < int((page+1)*size) && i < p.n; i++ {
		recs = append(recs, p.record(i))
	}
	body := fmt.Sprintf(`{"totalCount":%d,"list":[%s]}`, p.n, strings.Join(recs, ","))
	w.Header().Set("Content-Type", "application/json")
	if p.envelope == "E" {
		fmt.Fprintf(w, `{"errorCode":null,"message":null,"body":%s}`, body)
		return
	}
	fmt.Fprintf(w, `{"body":%s}`, body)
}

func TestCARSearchesWalkEveryPage(t *testing.T) {
	ctx := context.Background()
	t.Run("scripts", func(t *testing.T) {
		p := &carPages{n: 7, envelope: "B", record: func(i int) string { return fmt.Sprintf(`{"id":"%d","title":"s%d"}`, 100+i, i) }}
		c := newTestServer(t, p.serve, withHTTP2()).client(t)
		var ids []string
		for s, err := range c.Scripts(ctx, WithFilter("language:Shell"), WithSort("id", Ascending), WithPageSize(3)) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, s.ID.String())
		}
		if len(ids) != 7 || ids[0] != "100" || ids[6] != "106" {
			t.Errorf("ids %v", ids)
		}
		if len(p.bodies) != 3 {
			t.Fatalf("%d requests, want 3 pages of 3", len(p.bodies))
		}
		last := p.bodies[2]
		if last["pageNumber"] != 2.0 || last["pageSize"] != 3.0 || last["filter"] != "language:Shell" || last["sort"] != `[{"id":"asc"}]` {
			t.Errorf("third request %v", last)
		}
	})
	t.Run("jobs with a time window", func(t *testing.T) {
		p := &carPages{n: 2, envelope: "E", record: func(i int) string { return fmt.Sprintf(`{"id":"%d","scriptId":32533}`, 29429+i) }}
		c := newTestServer(t, p.serve, withHTTP2()).client(t)
		start := time.Date(2025, 5, 26, 11, 47, 56, 810e6, time.UTC)
		var n int
		for j, err := range c.Jobs(ctx, WithTimeWindow(start, time.Time{}), WithSort("created.dateTime", Descending)) {
			if err != nil {
				t.Fatal(err)
			}
			if id, _ := j.ScriptID.Int64(); id != 32533 {
				t.Errorf("scriptId %v", j.ScriptID)
			}
			n++
		}
		if n != 2 || p.bodies[0]["startAt"] != "2025-05-26T11:47:56.810Z" || p.bodies[0]["endAt"] != nil {
			t.Errorf("%d jobs, request %v", n, p.bodies[0])
		}
	})
	t.Run("asset jobs with results", func(t *testing.T) {
		out := wire.EncodeBase64String("Shell Script Output printed!!\n").Raw()
		p := &carPages{n: 1, envelope: "E", record: func(i int) string { return `{"id":"94779","scriptResult":"` + out + `"}` }}
		c := newTestServer(t, p.serve, withHTTP2()).client(t)
		for j, err := range c.AssetJobs(ctx, WithFilter("job.id:29429"), WithScriptResult()) {
			if err != nil {
				t.Fatal(err)
			}
			got, err := ScriptResult(j)
			if err != nil || string(got) != "Shell Script Output printed!!\n" {
				t.Errorf("result %q, %v", got, err)
			}
		}
		if p.bodies[0]["includeScriptResult"] != true {
			t.Errorf("request %v", p.bodies[0])
		}
	})
	t.Run("library with content", func(t *testing.T) {
		p := &carPages{n: 1, envelope: "B", record: func(i int) string { return `{"id":"1039","scriptContent":"!!not base64"}` }}
		c := newTestServer(t, p.serve, withHTTP2()).client(t)
		for s, err := range c.LibraryScripts(ctx, WithScriptContent()) {
			if err != nil {
				t.Fatal(err)
			}
			_, err := ScriptContent(s)
			if !errors.Is(err, wire.ErrInvalidBase64) || !strings.Contains(err.Error(), "library script 1039: scriptContent") {
				t.Errorf("got %v, want an invalid-base64 error naming the record and field", err)
			}
		}
		if p.bodies[0]["includeScriptContent"] != true {
			t.Errorf("request %v", p.bodies[0])
		}
	})
}

func TestCARSearchErrors(t *testing.T) {
	ctx := context.Background()
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/sm/v1/jobs/search":
			io.WriteString(w, `{"errorCode":"1002","message":"Invalid filter","body":null}`)
		case "/sm/v1/scripts/search":
			io.WriteString(w, `{}`)
		default:
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"errorCode":"403","message":"Access denied"}`)
		}
	}, withHTTP2()).client(t, WithMaxRetries(0))

	for _, err := range c.Jobs(ctx, WithFilter("bogus:1")) {
		if !errors.Is(err, ErrInBody) || !strings.Contains(err.Error(), "Invalid filter") {
			t.Errorf("errorCode in a 200: got %v", err)
		}
	}
	for _, err := range c.Scripts(ctx) {
		if !errors.Is(err, ErrUnexpectedBody) {
			t.Errorf("200 without body: got %v", err)
		}
	}
	for _, err := range c.AssetJobs(ctx) {
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 403 || !errors.Is(err, ErrForbidden) {
			t.Errorf("403: got %v", err)
		}
	}
	for _, err := range c.Jobs(ctx, WithSort("id", "up")) {
		if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), `"up"`) {
			t.Errorf("bad direction: got %v, want ErrInvalidRequest naming it", err)
		}
	}
	for _, err := range c.AssetTags(ctx, WithPageSize(-1)) {
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("negative page size: got %v, want ErrInvalidRequest", err)
		}
	}
}

// TestSearchOptionSets pins which search takes which option. A search
// refuses the others at compile time; this states the sets the type
// system enforces, so widening one is a visible change.
func TestSearchOptionSets(t *testing.T) {
	options := map[string]any{
		"filter": WithFilter("x"), "page size": WithPageSize(5), "sort": WithSort("id", Ascending),
		"window": WithTimeWindow(time.Time{}, time.Time{}), "content": WithScriptContent(), "result": WithScriptResult(),
	}
	takes := func(o any) []string {
		var out []string
		if _, ok := o.(LibraryScriptsOption); ok {
			out = append(out, "LibraryScripts")
		}
		if _, ok := o.(ScriptsOption); ok {
			out = append(out, "Scripts")
		}
		if _, ok := o.(JobsOption); ok {
			out = append(out, "Jobs")
		}
		if _, ok := o.(AssetJobsOption); ok {
			out = append(out, "AssetJobs")
		}
		if _, ok := o.(SchedulesOption); ok {
			out = append(out, "Schedules")
		}
		if _, ok := o.(AssetTagsOption); ok {
			out = append(out, "AssetTags")
		}
		return out
	}
	all := []string{"LibraryScripts", "Scripts", "Jobs", "AssetJobs", "Schedules", "AssetTags"}
	want := map[string][]string{
		"filter": all, "page size": all,
		"sort":    {"Scripts", "Jobs", "AssetJobs", "Schedules"},
		"window":  {"Jobs", "AssetJobs", "Schedules"},
		"content": {"LibraryScripts"},
		"result":  {"AssetJobs"},
	}
	for name, o := range options {
		if diff := cmp.Diff(want[name], takes(o)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestImportLibraryScript(t *testing.T) {
	var got map[string]any
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/json")
		if got["title"] == "dup" {
			io.WriteString(w, `{"errorCode":"409","message":"Script with the same title already exists","body":null}`)
			return
		}
		io.WriteString(w, `{"errorCode":"0","message":"Script created from library successfully","body":{"id":63509}}`)
	}, withHTTP2()).client(t)
	ctx := context.Background()
	id, err := c.ImportLibraryScript(ctx, Import{LibraryID: wire.NewID(2795), Title: "File1.ps1", CategoryID: 211, Approved: true})
	if err != nil || !id.Equal(wire.NewID(63509)) {
		t.Fatalf("got %v, %v", id, err)
	}
	if got["id"] != 2795.0 || got["categoryId"] != 211.0 || got["approved"] != true {
		t.Errorf("request %v: ids go as numbers, as Qualys' sample sends them", got)
	}
	if _, err := c.ImportLibraryScript(ctx, Import{LibraryID: wire.NewID(2795), Title: "dup"}); !errors.Is(err, ErrInBody) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("failure in a 200: got %v", err)
	}
	if _, err := c.ImportLibraryScript(ctx, Import{Title: "x"}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("no library id: got %v", err)
	}
}

func TestLibraryScript(t *testing.T) {
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/sm/v1/script-library/599" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"errorCode":"404","message":"Script not found"}`)
			return
		}
		io.WriteString(w, `{"body":{"id":599,"title":"1091.ps1","content":"`+wire.EncodeBase64String("Write-Host 1091").Raw()+`"}}`)
	}, withHTTP2()).client(t, WithMaxRetries(0))
	ctx := context.Background()
	s, err := c.LibraryScript(ctx, wire.NewID(599))
	if err != nil {
		t.Fatal(err)
	}
	content, err := LibraryScriptContent(s)
	if err != nil || string(content) != "Write-Host 1091" {
		t.Errorf("content %q, %v", content, err)
	}
	if _, err := c.LibraryScript(ctx, wire.NewID(1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: got %v", err)
	}
	s.Content = wire.Base64{}
	if _, err := LibraryScriptContent(s); !errors.Is(err, ErrNoContent) || !strings.Contains(err.Error(), "library script 599: content") {
		t.Errorf("missing content: got %v", err)
	}
}

func TestSchedulesAndAssetTags(t *testing.T) {
	ctx := context.Background()
	sched := &carPages{n: 3, envelope: "B", record: func(i int) string {
		return fmt.Sprintf(`{"id":"6f1c2a7e-0000-4000-8000-00000000000%d","title":"Nightly %d"}`, i, i)
	}}
	c := newTestServer(t, sched.serve, withHTTP2()).client(t)
	var titles []any
	for s, err := range c.Schedules(ctx, WithPageSize(2), WithSort("created.dateTime", Descending)) {
		if err != nil {
			t.Fatal(err)
		}
		titles = append(titles, s.AdditionalProperties["title"])
	}
	if len(titles) != 3 || titles[2] != "Nightly 2" || len(sched.bodies) != 2 {
		t.Errorf("titles %v after %d requests", titles, len(sched.bodies))
	}

	tags := &carPages{n: 2, envelope: "E", record: func(i int) string {
		return fmt.Sprintf(`{"id":%d,"tagId":"%d","tagUuid":"5d551f4b-038e-4076-a111-52ce3a1d43e%d","name":"Lab %d"}`, i, 16245104+i, i, i)
	}}
	c = newTestServer(t, tags.serve, withHTTP2()).client(t)
	n := 0
	for tag, err := range c.AssetTags(ctx, WithFilter("lab:true")) {
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := tag.TagID.Int64(); id != 16245104+int64(n) {
			t.Errorf("tag %d: tagId %v", n, tag.TagID)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d tags", n)
	}
}

func TestExecuteScript(t *testing.T) {
	var got map[string]any
	var path string
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"body":{"correlationUuid":"bf7288eb-768e-4892-800e-e62914d540f8"}}`)
	}, withHTTP2()).client(t)
	ctx := context.Background()
	// A listed script's id, quoted in script records, goes straight in.
	var listed car.Script
	if err := json.Unmarshal([]byte(`{"id":"32533"}`), &listed); err != nil {
		t.Fatal(err)
	}
	id, err := c.ExecuteScript(ctx, listed.ID, Execution{AssetIDs: []wire.ID{wire.NewID(22467561), wire.IDFromString("22467562")}, ExcludedAssetIDs: []wire.ID{wire.NewID(7)}})
	if err != nil || id != "bf7288eb-768e-4892-800e-e62914d540f8" {
		t.Fatalf("got %q, %v", id, err)
	}
	if path != "/sm/v1/scripts/32533/execute" || got["assetIds"] != "22467561,22467562" || got["excludedAssetIds"] != "7" || got["testMode"] != nil {
		t.Errorf("request %s %v", path, got)
	}
	// Lab ids go out quoted, as Qualys' sample sends them, however they
	// were built; the caller's targets are left as they were.
	lab := []car.TargetRef{{ID: wire.NewID(7512812), UUID: "665266f4-2474-4678-be93-a67575a2d4bb"}}
	_, err = c.ExecuteScript(ctx, wire.NewID(32533), Execution{Test: true, TestAssets: lab, TestTags: lab})
	assets, _ := got["testAssets"].([]any)
	tags, _ := got["testTags"].([]any)
	if err != nil || got["testMode"] != true || len(assets) != 1 || assets[0].(map[string]any)["id"] != "7512812" ||
		len(tags) != 1 || tags[0].(map[string]any)["id"] != "7512812" || tags[0].(map[string]any)["UUId"] != lab[0].UUID {
		t.Errorf("test run: %v, request %v", err, got)
	}
	if lab[0].ID.Quoted() {
		t.Errorf("the caller's target was changed: %+v", lab[0])
	}
	for name, e := range map[string]Execution{"no targets": {}, "test without lab assets": {Test: true, AssetIDs: []wire.ID{wire.NewID(1)}}} {
		if _, err := c.ExecuteScript(ctx, wire.NewID(1), e); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if _, err := c.ExecuteScript(ctx, wire.ID{}, Execution{AssetIDs: []wire.ID{wire.NewID(1)}}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("no script id: got %v", err)
	}
}
