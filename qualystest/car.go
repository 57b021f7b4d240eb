package qualystest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
)

// CAR searches, library scripts and import. Records are built with the
// generated CAR types, so their JSON is the spec's by construction, and
// every response is validated against the spec on its way out.

// decodeBody reads the (already validated) JSON body of a request.
func decodeBody(r *http.Request, v any) error {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	return nil
}

// carSearch is what every CAR search shares: filter, sort, paging and the
// time window of jobs and asset jobs.
type carSearch struct {
	filter     string
	sort       string
	pageNumber int32
	pageSize   int32 // 0: Qualys' default of 10
	startAt    string
	endAt      string
}

// carSorter compares two records on one sort field.
type carSorter[T any] func(a, b T) int

// run filters, sorts and pages records. It returns the page and the total
// over all pages, or a message for a 400.
func runSearch[T any](q carSearch, recs []T, fields map[string]filterField[T], sorters map[string]carSorter[T], when func(T) time.Time) ([]T, int64, error) {
	expr, err := parseFilter(q.filter, fields)
	if err != nil {
		return nil, 0, err
	}
	start, err := carWindowTime(q.startAt, "startAt")
	if err != nil {
		return nil, 0, err
	}
	end, err := carWindowTime(q.endAt, "endAt")
	if err != nil {
		return nil, 0, err
	}
	var out []T
	for _, r := range recs {
		if expr != nil && !expr.match(r) {
			continue
		}
		if when != nil && ((!start.IsZero() && when(r).Before(start)) || (!end.IsZero() && when(r).After(end))) {
			continue
		}
		out = append(out, r)
	}
	if strings.TrimSpace(q.sort) != "" {
		var keys []map[string]string
		if err := json.Unmarshal([]byte(q.sort), &keys); err != nil {
			return nil, 0, fmt.Errorf("sort must be a JSON array of {\"field\":\"asc|desc\"} objects: %v", err)
		}
		for i := len(keys) - 1; i >= 0; i-- { // stable sorts, last key first
			for field, dir := range keys[i] {
				less, ok := sorters[strings.ToLower(field)]
				if !ok {
					return nil, 0, fmt.Errorf("cannot sort on %q", field)
				}
				if dir != "asc" && dir != "desc" {
					return nil, 0, fmt.Errorf("sort direction %q: want asc or desc", dir)
				}
				slices.SortStableFunc(out, func(a, b T) int {
					if dir == "desc" {
						return less(b, a)
					}
					return less(a, b)
				})
			}
		}
	}
	total := int64(len(out))
	page, size := int64(q.pageNumber), int64(q.pageSize)
	if size == 0 {
		size = 10
	}
	from := min(page*size, total)
	to := min(from+size, total)
	return out[from:to], total, nil
}

// carWindowTime accepts the ISO-8601 form of Qualys' samples, a date, or
// epoch milliseconds (the jobs pages give no format).
func carWindowTime(v string, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, fmt.Errorf("%s %q is not an ISO-8601 time or epoch milliseconds", name, v)
}

// ms is a time as epoch milliseconds; 0 (absent on the wire) for the zero time.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func one(s string) []string { return []string{s} }

func idText(id int64) []string { return []string{strconv.FormatInt(id, 10)} }

// carNames resolves the numbered names of the CAR data.
type carNames struct{ d *CARData }

func (n carNames) language(id int64) Language {
	for _, l := range n.d.Languages {
		if l.ID == id {
			return l
		}
	}
	return Language{ID: id, Name: "Unknown"}
}

func (n carNames) named(list []IDName, id int64) car.NamedID {
	for _, x := range list {
		if x.ID == id {
			return car.NamedID{ID: x.ID, Name: x.Name}
		}
	}
	return car.NamedID{ID: id, Name: "Unknown"}
}

func (n carNames) languageRef(id int64) car.NamedID {
	l := n.language(id)
	return car.NamedID{ID: l.ID, Name: l.Name}
}

func (n carNames) typeName(id int64) string { return n.named(n.d.ScriptTypes, id).Name }

func user(name string) car.UserRef {
	if name == "" {
		return car.UserRef{}
	}
	return car.UserRef{Name: name, ID: uuidFromName(name)}
}

// uuidFromName gives a user a stable UUID-shaped id.
func uuidFromName(name string) string {
	var h uint64 = 1469598103934665603
	for _, c := range []byte(name) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", uint32(h), uint16(h>>32), uint16(h>>48), uint16(h>>8), h&0xffffffffffff)
}

// searchEnvelope is shape E as the searches send it (jobs, asset jobs,
// asset tags): errorCode and message present and null, then the body.
type searchEnvelope[B any] struct {
	ErrorCode *string `json:"errorCode"`
	Message   *string `json:"message"`
	Body      B       `json:"body"`
}

func (s *Server) badCARRequest(w http.ResponseWriter, r *http.Request, c *call, err error) {
	s.fail(w, r, c, http.StatusBadRequest, err.Error())
}

// ---- script library ----

func (n carNames) libraryRecord(l LibraryScript, content bool) car.LibraryScript {
	rec := car.LibraryScript{
		ID:                  wire.IDFromString(strconv.FormatInt(l.ID, 10)),
		Title:               l.Title,
		Description:         l.Description,
		Severity:            int32(l.Severity),
		Threshold:           int32(l.Threshold),
		Platform:            car.Platform(l.Platform),
		ModuleCode:          l.ModuleCode,
		ScriptLanguage:      n.languageRef(l.LanguageID),
		Type:                n.named(n.d.ScriptTypes, l.TypeID),
		Category:            n.named(n.d.Categories, l.CategoryID),
		Created:             car.AuditStamp{DateTime: ms(l.Created)},
		LastUpdatedDateTime: ms(l.Updated),
		Versions:            []car.ScriptVersion{{Path: l.Path, Version: "v1", Sha: fmt.Sprintf("%040x", l.ID*2654435761)}},
		AutorScriptsMetadata: car.AutorScriptsMetadata{
			Tech: l.Tech, Policies: l.Policies, BenchmarkType: l.BenchmarkType, Cid: l.ControlID,
			Name: l.Title,
		},
		VmdrScriptMetadata:   json.RawMessage("null"),
		CustomScriptMetadata: json.RawMessage("null"),
		Disclaimer:           json.RawMessage("null"),
	}
	if content {
		rec.ScriptContent = wire.EncodeBase64(l.Content)
	}
	return rec
}

var libraryFields = map[string]filterField[LibraryScript]{
	"moduleCode":    {get: func(l LibraryScript) []string { return one(l.ModuleCode) }},
	"title":         {text: true, get: func(l LibraryScript) []string { return one(l.Title) }},
	"platform":      {get: func(l LibraryScript) []string { return one(l.Platform) }},
	"benchmarkType": {get: func(l LibraryScript) []string { return one(l.BenchmarkType) }},
	"cid":           {get: func(l LibraryScript) []string { return one(l.ControlID) }},
	"id":            {get: func(l LibraryScript) []string { return idText(l.ID) }},
}

var librarySorters = map[string]carSorter[LibraryScript]{
	"id":               func(a, b LibraryScript) int { return cmp.Compare(a.ID, b.ID) },
	"title":            func(a, b LibraryScript) int { return cmp.Compare(a.Title, b.Title) },
	"created.datetime": func(a, b LibraryScript) int { return a.Created.Compare(b.Created) },
}

func searchLibraryScripts(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req car.LibraryScriptSearch
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	d, _ := s.snapshot()
	page, total, err := runSearch(carSearch{filter: req.Filter, pageNumber: req.PageNumber, pageSize: req.PageSize}, d.CAR.Library, libraryFields, librarySorters, nil)
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	names := carNames{&d.CAR}
	content := req.IncludeScriptContent.Bool()
	list := make([]car.LibraryScript, 0, len(page))
	for _, l := range page {
		list = append(list, names.libraryRecord(l, content))
	}
	s.replyJSON(w, r, c, http.StatusOK, car.LibraryScriptListResult{Body: car.LibraryScriptList{TotalCount: wire.CountOf(total), List: list}})
}

func getLibraryScript(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	id, _ := strconv.ParseInt(c.params["id"], 10, 64)
	d, _ := s.snapshot()
	for _, l := range d.CAR.Library {
		if l.ID != id {
			continue
		}
		names := carNames{&d.CAR}
		rec := car.LibraryScriptDetail{
			ID:                        wire.IDFromInt(l.ID),
			Title:                     l.Title,
			Category:                  names.named(d.CAR.Categories, l.CategoryID),
			Type:                      names.named(d.CAR.ScriptTypes, l.TypeID),
			Language:                  names.languageRef(l.LanguageID),
			ImportedFromID:            wire.IDFromInt(0),
			Platform:                  car.Platform(l.Platform),
			Severity:                  int32(l.Severity),
			Threshold:                 int32(l.Threshold),
			Content:                   wire.EncodeBase64(l.Content),
			RecurringDay:              int32(0),
			Created:                   car.AuditStamp{DateTime: ms(l.Created)},
			LastExecutedDateTime:      int64(0),
			ImportedScriptFromGitHub:  false,
			ImportedFromGitHubPubRepo: false,
			ImportedUsingGitHubURL:    false,
			GithubSyncEnabled:         false,
			GitHubAutoSync:            false,
			GitHubLastSyncDateTime:    int64(0),
			Versions:                  names.libraryRecord(l, false).Versions,
			ImportedFromScriptLibrary: true,
			ModuleCode:                l.ModuleCode,
			AutorScriptsMetadata:      names.libraryRecord(l, false).AutorScriptsMetadata,
		}
		s.replyJSON(w, r, c, http.StatusOK, car.LibraryScriptResult{Body: rec})
		return
	}
	s.fail(w, r, c, http.StatusNotFound, "Script not found in the library: "+c.params["id"])
}

// libraryImport is the body of import v1, and of v2 with its type fields.
type libraryImport struct {
	Title      string  `json:"title"`
	ID         wire.ID `json:"id"`
	CategoryID wire.ID `json:"categoryId"`
	Approved   bool    `json:"approved"`
	TypeID     *int64  `json:"typeId"`
	SubType    *string `json:"subType"`
}

// importLibraryScript serves importLibraryScriptV1 and V2.
func importLibraryScript(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req libraryImport
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	libID, err1 := req.ID.Int64()
	catID, err2 := req.CategoryID.Int64()
	if err := errors.Join(err1, err2); err != nil {
		s.badCARRequest(w, r, c, fmt.Errorf("id and categoryId must be numbers: %w", err))
		return
	}
	var newID int64
	var failure string
	failCode := "404" // unknown library script or category; "400" for a bad type
	s.Update(func(d *Data) {
		i := slices.IndexFunc(d.CAR.Library, func(l LibraryScript) bool { return l.ID == libID })
		if i < 0 {
			failure = fmt.Sprintf("Script %d not found in the library", libID)
			return
		}
		if !slices.ContainsFunc(d.CAR.Categories, func(x IDName) bool { return x.ID == catID }) {
			failure = fmt.Sprintf("Category %d not found", catID)
			return
		}
		if req.TypeID != nil && !slices.ContainsFunc(d.CAR.ScriptTypes, func(x IDName) bool { return x.ID == *req.TypeID }) {
			failure, failCode = fmt.Sprintf("typeId %d is not a script type (see /sm/v1/script-types)", *req.TypeID), "400"
			return
		}
		l := d.CAR.Library[i]
		for _, sc := range d.CAR.Scripts {
			newID = max(newID, sc.ID)
		}
		newID++
		status := "PENDING_APPROVAL"
		if req.Approved {
			status = "APPROVED"
		}
		typeID, subType := l.TypeID, "Response"
		set(&typeID, req.TypeID)
		set(&subType, req.SubType)
		d.CAR.Scripts = append(d.CAR.Scripts, Script{
			ID: newID, Title: req.Title, Description: l.Description, TypeID: typeID, SubType: subType,
			LanguageID: l.LanguageID, CategoryID: catID, Platform: l.Platform, Severity: max(l.Severity, 1),
			Threshold: l.Threshold, ThresholdUnit: "SECONDS", Status: status, Content: append([]byte(nil), l.Content...),
			CreatedBy: s.Username(), Created: d.Now, UpdatedBy: s.Username(), Updated: d.Now, LibraryID: l.ID, Version: 1,
		})
	})
	if failure != "" {
		// A failed import is a 200 whose errorCode is not "0" (shape E).
		s.replyJSON(w, r, c, http.StatusOK, car.CreatedResult{ErrorCode: failCode, Message: failure})
		return
	}
	res := car.CreatedResult{ErrorCode: "0", Message: "Script created from library successfully"}
	res.Body.ID = wire.NewID(newID)
	s.replyJSON(w, r, c, http.StatusOK, res)
}

// ---- account scripts ----

func (n carNames) scriptRecord(sc Script, customer string) car.Script {
	blocked := n.blockedIn(sc)
	rec := car.Script{
		ID:                           wire.IDFromString(strconv.FormatInt(sc.ID, 10)),
		Title:                        sc.Title,
		Description:                  sc.Description,
		Type:                         n.named(n.d.ScriptTypes, sc.TypeID),
		Language:                     n.languageRef(sc.LanguageID),
		Category:                     n.named(n.d.Categories, sc.CategoryID),
		Platform:                     car.Platform(sc.Platform),
		Severity:                     int32(sc.Severity),
		Threshold:                    int32(sc.Threshold),
		Status:                       sc.Status,
		CustomerUUID:                 customer,
		Created:                      car.AuditStamp{DateTime: ms(sc.Created), User: user(sc.CreatedBy)},
		Updated:                      car.AuditStamp{DateTime: ms(sc.Updated), User: user(sc.UpdatedBy)},
		LastExecutedDateTime:         ms(sc.LastExecuted),
		Schedule:                     car.ScriptSchedule{RecurringDay: int32(0), RecurringTime: json.RawMessage("null"), Frequency: json.RawMessage("null")},
		HasBlacklistedCommands:       len(blocked) > 0,
		ScriptLibraryID:              wire.IDFromInt(sc.LibraryID),
		ImportedFromID:               wire.IDFromInt(sc.LibraryID),
		ImportedFromScriptLibrary:    sc.LibraryID != 0,
		ImportedScriptFromGitHub:     sc.GitHubURL != "",
		ImportedFromGitHubPublicRepo: false,
		ImportedUsingGitHubURL:       sc.GitHubURL != "",
		GithubSyncEnabled:            false,
		GitHubAutoSync:               false,
		GitHubLastSyncDateTime:       int64(0),
	}
	if len(blocked) > 0 {
		rec.BlacklistedCommands = strings.Join(blocked, ",")
	}
	return rec
}

// blockedIn lists the blocked commands of the script's platform and
// language that its content contains.
func (n carNames) blockedIn(sc Script) []string {
	lang := n.language(sc.LanguageID).Name
	content := strings.ToLower(string(sc.Content))
	var out []string
	for _, b := range n.d.BlockedCommands {
		i := slices.IndexFunc(n.d.CommandLanguages, func(l CommandLanguage) bool { return l.ID == b.LanguageID })
		if i < 0 || n.d.CommandLanguages[i].Language != lang || n.d.CommandLanguages[i].Platform != sc.Platform {
			continue
		}
		for _, cmd := range b.Commands {
			if strings.Contains(content, strings.ToLower(cmd)) && !slices.Contains(out, cmd) {
				out = append(out, cmd)
			}
		}
	}
	return out
}

var scriptFields = map[string]filterField[scriptView]{
	"language": {get: func(v scriptView) []string { return one(v.language) }},
	"type":     {get: func(v scriptView) []string { return one(v.typeName) }},
	"title":    {text: true, get: func(v scriptView) []string { return one(v.Title) }},
	"platform": {get: func(v scriptView) []string { return one(v.Platform) }},
	"status":   {get: func(v scriptView) []string { return one(v.Status) }},
	"id":       {get: func(v scriptView) []string { return idText(v.ID) }},
}

// scriptView is a script with its names resolved, for filtering.
type scriptView struct {
	Script
	language, typeName string
}

var scriptSorters = map[string]carSorter[scriptView]{
	"id":               func(a, b scriptView) int { return cmp.Compare(a.ID, b.ID) },
	"title":            func(a, b scriptView) int { return cmp.Compare(a.Title, b.Title) },
	"created.datetime": func(a, b scriptView) int { return a.Created.Compare(b.Created) },
	"updated.datetime": func(a, b scriptView) int { return a.Updated.Compare(b.Updated) },
}

func searchScripts(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req car.ScriptSearch
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	d, _ := s.snapshot()
	names := carNames{&d.CAR}
	views := make([]scriptView, 0, len(d.CAR.Scripts))
	for _, sc := range d.CAR.Scripts {
		views = append(views, scriptView{sc, names.language(sc.LanguageID).Name, names.typeName(sc.TypeID)})
	}
	page, total, err := runSearch(carSearch{filter: req.Filter, sort: req.Sort, pageNumber: req.PageNumber, pageSize: req.PageSize}, views, scriptFields, scriptSorters, nil)
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	list := make([]car.Script, 0, len(page))
	for _, v := range page {
		list = append(list, names.scriptRecord(v.Script, d.CustomerUUID))
	}
	s.replyJSON(w, r, c, http.StatusOK, car.ScriptListResult{Body: car.ScriptList{TotalCount: wire.CountOf(total), List: list}})
}

// ---- jobs and asset jobs ----

// jobView is a job with its names resolved, for filtering and records.
type jobView struct {
	Job
	language, typeName, category string
}

var jobFields = map[string]filterField[jobView]{
	"scriptId":        {get: func(v jobView) []string { return idText(v.ScriptID) }},
	"script.name":     {text: true, get: func(v jobView) []string { return one(v.ScriptTitle) }},
	"scriptLanguage":  {get: func(v jobView) []string { return one(v.language) }},
	"type":            {get: func(v jobView) []string { return one(v.typeName) }},
	"id":              {get: func(v jobView) []string { return idText(v.ID) }},
	"executionType":   {get: func(v jobView) []string { return one(v.ExecutionType) }},
	"correlationUuid": {get: func(v jobView) []string { return one(v.CorrelationUUID) }},
}

var jobSorters = map[string]carSorter[jobView]{
	"id":               func(a, b jobView) int { return cmp.Compare(a.ID, b.ID) },
	"created.datetime": func(a, b jobView) int { return a.Created.Compare(b.Created) },
}

func (n carNames) jobView(j Job) jobView {
	return jobView{j, n.language(j.LanguageID).Name, n.typeName(j.TypeID), n.named(n.d.Categories, j.CategoryID).Name}
}

func (v jobView) record(customer string) car.Job {
	return car.Job{
		ID:              wire.IDFromString(strconv.FormatInt(v.ID, 10)),
		Title:           fmt.Sprintf("%s-%d", v.ScriptTitle, v.Created.Unix()),
		ScriptID:        wire.IDFromInt(v.ScriptID),
		ScriptLanguage:  car.ScriptLanguageName(v.language),
		ScriptType:      car.ScriptTypeName(v.typeName),
		Severity:        int32(v.Severity),
		Threshold:       int32(v.Threshold),
		Platform:        car.Platform(v.Platform),
		Category:        car.NamedID{ID: v.CategoryID, Name: v.category},
		Test:            v.Test,
		IsTest:          v.Test,
		ExecutionType:   v.ExecutionType,
		CorrelationUUID: v.CorrelationUUID,
		Created:         car.AuditStamp{DateTime: ms(v.Created)},
		UpdatedDateTime: ms(v.Updated),
		CustomerUUID:    customer,
	}
}

func searchJobs(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req car.JobSearch
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	d, _ := s.snapshot()
	names := carNames{&d.CAR}
	views := make([]jobView, 0, len(d.CAR.Jobs))
	for _, j := range d.CAR.Jobs {
		views = append(views, names.jobView(j))
	}
	q := carSearch{filter: req.Filter, sort: req.Sort, pageNumber: req.PageNumber, pageSize: req.PageSize, startAt: req.StartAt, endAt: req.EndAt}
	page, total, err := runSearch(q, views, jobFields, jobSorters, func(v jobView) time.Time { return v.Created })
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	list := make([]car.Job, 0, len(page))
	for _, v := range page {
		list = append(list, v.record(d.CustomerUUID))
	}
	s.replyJSON(w, r, c, http.StatusOK, searchEnvelope[car.JobList]{Body: car.JobList{TotalCount: wire.CountOf(total), List: list}})
}

// assetJobView is an asset job with its job and host, for filtering.
type assetJobView struct {
	AssetJob
	job  jobView
	host Host
}

var assetJobFields = map[string]filterField[assetJobView]{
	"job.id":             {get: func(v assetJobView) []string { return idText(v.JobID) }},
	"job.scriptLanguage": {get: func(v assetJobView) []string { return one(v.job.language) }},
	"job.scriptId":       {get: func(v assetJobView) []string { return idText(v.job.ScriptID) }},
	"status":             {get: func(v assetJobView) []string { return one(v.Status) }},
	"asset.id":           {get: func(v assetJobView) []string { return idText(v.HostID) }},
	"id":                 {get: func(v assetJobView) []string { return idText(v.ID) }},
}

var assetJobSorters = map[string]carSorter[assetJobView]{
	"id":               func(a, b assetJobView) int { return cmp.Compare(a.ID, b.ID) },
	"created.datetime": func(a, b assetJobView) int { return a.Created.Compare(b.Created) },
}

func searchAssetJobs(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var req car.AssetJobSearch
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	d, idx := s.snapshot()
	names := carNames{&d.CAR}
	jobs := make(map[int64]jobView, len(d.CAR.Jobs))
	for _, j := range d.CAR.Jobs {
		jobs[j.ID] = names.jobView(j)
	}
	views := make([]assetJobView, 0, len(d.CAR.AssetJobs))
	for _, a := range d.CAR.AssetJobs {
		v := assetJobView{AssetJob: a, job: jobs[a.JobID]}
		if i, ok := idx.host[a.HostID]; ok {
			v.host = d.Hosts[i]
		}
		views = append(views, v)
	}
	q := carSearch{filter: req.Filter, sort: req.Sort, pageNumber: req.PageNumber, pageSize: req.PageSize, startAt: req.StartAt, endAt: req.EndAt}
	page, total, err := runSearch(q, views, assetJobFields, assetJobSorters, func(v assetJobView) time.Time { return v.Created })
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	results := req.IncludeScriptResult.Bool()
	list := make([]car.AssetJob, 0, len(page))
	for _, v := range page {
		list = append(list, assetJobRecord(d, idx, v, results))
	}
	s.replyJSON(w, r, c, http.StatusOK, searchEnvelope[car.AssetJobList]{Body: car.AssetJobList{TotalCount: wire.CountOf(total), List: list}})
}

func assetJobRecord(d *Data, idx *index, v assetJobView, results bool) car.AssetJob {
	h := v.host
	tags := make([]car.AssetTagRef, 0, len(h.TagIDs))
	for _, id := range h.TagIDs {
		if i, ok := idx.tag[id]; ok {
			t := d.Tags[i]
			tags = append(tags, car.AssetTagRef{ID: wire.IDFromInt(t.ID), Name: t.Name, TagUUID: t.UUID})
		}
	}
	os := "Unknown"
	if i, ok := idx.tech[h.TechnologyID]; ok {
		os = d.Technologies[i].OS
	}
	rec := car.AssetJob{
		ID:                 wire.IDFromString(strconv.FormatInt(v.ID, 10)),
		Status:             v.Status,
		Output:             car.ExecutionOutput{Code: int32(v.OutputCode), Text: v.OutputText},
		Test:               v.job.Test,
		IsTest:             v.job.Test,
		DurationInMillis:   v.Ended.Sub(v.Started).Milliseconds(),
		Created:            car.AuditStamp{DateTime: ms(v.Created)},
		ExecutionStartTime: ms(v.Started),
		ExecutionEndTime:   ms(v.Ended),
		Enddate:            v.Ended.UTC().Format("2006-01-02T15:04:05.000-07:00"),
		CustomerUUID:       d.CustomerUUID,
		ManifestID:         v.ManifestID,
		Job: car.JobSummary{
			ID:              wire.IDFromInt(v.JobID),
			ScriptID:        wire.IDFromInt(v.job.ScriptID),
			ScriptName:      v.job.ScriptTitle,
			ScriptLanguage:  car.ScriptLanguageName(v.job.language),
			ScriptType:      car.ScriptTypeName(v.job.typeName),
			ScriptSeverity:  int32(v.job.Severity),
			ScriptCategory:  v.job.category,
			CorrelationUUID: v.job.CorrelationUUID,
			Platform:        car.Platform(v.job.Platform),
		},
		Asset: car.Asset{
			ID: wire.IDFromInt(h.ID), Name: h.DNS, Address: h.IP, AgentUUID: h.AgentUUID,
			OperatingSystem: os, Tags: tags,
		},
	}
	if results {
		rec.ScriptResult = wire.EncodeBase64(v.Result)
	}
	return rec
}
