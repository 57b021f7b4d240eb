package qualystest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
)

// Script create, update and execution, script types and languages, and
// library import v2.

// scriptInput is what every create and update version may carry. JSON
// keys match case-insensitively, which also covers Qualys' spellings
// (githubInputUrl / githubInputURL, categoryId / categoryID,
// gitHubFilePath / gitHubFilepath).
type scriptInput struct {
	Title          *string      `json:"title"`
	Description    *string      `json:"description"`
	TypeID         *int64       `json:"typeId"`
	LanguageID     *int64       `json:"languageId"`
	CategoryID     *wire.ID     `json:"categoryId"`
	Content        *wire.Base64 `json:"content"`
	Platform       *string      `json:"platform"`
	Severity       *int         `json:"severity"`
	Threshold      *int         `json:"threshold"`
	ThresholdUnit  *string      `json:"thresholdTimeUnit"`
	SubType        *string      `json:"subType"`
	HasParameters  *bool        `json:"hasParameters"`
	GithubInputURL *string      `json:"githubInputUrl"`
	GitHubUser     *string      `json:"gitHubUser"`
	GitHubRepo     *string      `json:"gitHubRepo"`
	GitHubFilePath *string      `json:"gitHubFilePath"`
	GitLabDetails  *struct {
		InputURL *string `json:"inputUrl"`
		RepoName *string `json:"repoName"`
	} `json:"gitLabDetails"`
	Approved *bool `json:"scriptApprovalUserConsent"`
}

// gitURL is the source a script without inline content comes from.
func (in scriptInput) gitURL() string {
	switch {
	case in.GithubInputURL != nil:
		return *in.GithubInputURL
	case in.GitHubUser != nil && in.GitHubRepo != nil && in.GitHubFilePath != nil:
		return "https://github.com/" + *in.GitHubUser + "/" + *in.GitHubRepo + "/blob/main/" + *in.GitHubFilePath
	case in.GitLabDetails != nil && in.GitLabDetails.InputURL != nil:
		return *in.GitLabDetails.InputURL
	case in.GitLabDetails != nil && in.GitLabDetails.RepoName != nil:
		return "https://gitlab.com/" + *in.GitLabDetails.RepoName
	}
	return ""
}

// apply copies the input onto a script; the error names the bad field.
func (in scriptInput) apply(d *CARData, sc *Script) error {
	if in.Content != nil {
		b, err := in.Content.Decode()
		if err != nil {
			return fmt.Errorf("content: %v", err)
		}
		if len(b) > maxScriptSize {
			return fmt.Errorf("content: the script is %d bytes, more than the 500 KB limit", len(b))
		}
		sc.Content = b
	}
	if in.LanguageID != nil {
		l := carNames{d}.language(*in.LanguageID)
		if l.Name == "Unknown" {
			return fmt.Errorf("languageId %d is not a script language (see /sm/v1/script-language)", *in.LanguageID)
		}
		sc.LanguageID, sc.Platform = l.ID, l.Platform
	}
	if in.TypeID != nil {
		if !slices.ContainsFunc(d.ScriptTypes, func(x IDName) bool { return x.ID == *in.TypeID }) {
			return fmt.Errorf("typeId %d is not a script type (see /sm/v1/script-types)", *in.TypeID)
		}
		sc.TypeID = *in.TypeID
	}
	if in.CategoryID != nil {
		id, err := in.CategoryID.Int64()
		if err != nil || !slices.ContainsFunc(d.Categories, func(x IDName) bool { return x.ID == id }) {
			return fmt.Errorf("categoryId %s is not a category", in.CategoryID)
		}
		sc.CategoryID = id
	}
	set(&sc.Title, in.Title)
	set(&sc.Description, in.Description)
	set(&sc.Platform, in.Platform)
	set(&sc.Severity, in.Severity)
	set(&sc.Threshold, in.Threshold)
	set(&sc.ThresholdUnit, in.ThresholdUnit)
	set(&sc.SubType, in.SubType)
	set(&sc.HasParameters, in.HasParameters)
	if u := in.gitURL(); u != "" {
		sc.GitHubURL = u
	}
	return nil
}

// maxScriptSize is Qualys' limit on a script's size (500 KB).
const maxScriptSize = 500 << 10

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// createScript serves createScriptV1, V2, V3 and V5.
func createScript(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	var in scriptInput
	if err := decodeBody(r, &in); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	if in.Content == nil && in.gitURL() == "" {
		s.badCARRequest(w, r, c, fmt.Errorf("either content or GitHub/GitLab parameters are required"))
		return
	}
	version, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(strings.TrimPrefix(r.URL.Path, "/sm/"), "/")[0], "v"))
	var id int64
	var bad error
	s.Update(func(d *Data) {
		sc := Script{TypeID: 1, SubType: "Response", CategoryID: 7, Severity: 3, Threshold: 300, ThresholdUnit: "SECONDS",
			Status: "PENDING_APPROVAL", CreatedBy: s.Username(), Created: d.Now, UpdatedBy: s.Username(), Updated: d.Now,
			Version: 1, APIVersion: version}
		if in.Approved != nil && *in.Approved {
			sc.Status = "APPROVED"
		}
		if bad = in.apply(&d.CAR, &sc); bad != nil {
			return
		}
		if sc.LanguageID == 0 {
			bad = fmt.Errorf("languageId is required")
			return
		}
		for _, x := range d.CAR.Scripts {
			id = max(id, x.ID)
		}
		id++
		sc.ID = id
		d.CAR.Scripts = append(d.CAR.Scripts, sc)
	})
	if bad != nil {
		s.badCARRequest(w, r, c, bad)
		return
	}
	s.replyJSON(w, r, c, http.StatusOK, car.UnpublishedResult{ErrorCode: "0", Message: "Script created successfully", Body: idBody(id)})
}

func idBody(id int64) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"id":%d}`, id)) }

// updateScript serves updateScriptV1, V2 and V4.
func updateScript(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	id, _ := strconv.ParseInt(c.params["id"], 10, 64)
	var in scriptInput
	if err := decodeBody(r, &in); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	found := false
	var bad error
	s.Update(func(d *Data) {
		i := slices.IndexFunc(d.CAR.Scripts, func(x Script) bool { return x.ID == id })
		if i < 0 {
			return
		}
		found = true
		sc := d.CAR.Scripts[i]
		if bad = in.apply(&d.CAR, &sc); bad != nil {
			return
		}
		sc.Version++
		sc.UpdatedBy, sc.Updated = s.Username(), d.Now
		d.CAR.Scripts[i] = sc
	})
	switch {
	case !found:
		s.fail(w, r, c, http.StatusNotFound, "Script not found")
	case bad != nil:
		s.badCARRequest(w, r, c, bad)
	default:
		s.replyJSON(w, r, c, http.StatusOK, car.UnpublishedResult{ErrorCode: "0", Message: "Script updated successfully", Body: idBody(id)})
	}
}

// listScriptTypes and listScriptLanguages: Qualys publishes no response,
// so the simulator answers {body: [{id, name}]}.
func listScriptTypes(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	d, _ := s.snapshot()
	out := make([]car.NamedID, 0, len(d.CAR.ScriptTypes))
	for _, t := range d.CAR.ScriptTypes {
		out = append(out, car.NamedID{ID: t.ID, Name: t.Name})
	}
	s.replyJSON(w, r, c, http.StatusOK, map[string]any{"body": out})
}

func listScriptLanguages(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	d, _ := s.snapshot()
	out := make([]car.NamedID, 0, len(d.CAR.Languages))
	for _, l := range d.CAR.Languages {
		out = append(out, car.NamedID{ID: l.ID, Name: l.Name})
	}
	s.replyJSON(w, r, c, http.StatusOK, map[string]any{"body": out})
}

// executeScript runs a script now: one job, and one finished asset job per
// target host (production: assetIds and hosts of assetTagIds, minus
// excludedAssetIds; test mode: testAssets and hosts of testTags).
func executeScript(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	scriptID, _ := strconv.ParseInt(c.params["scriptId"], 10, 64)
	var req car.ScriptExecution
	if err := decodeBody(r, &req); err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	test := req.TestMode.Bool()
	var assets, tags, excluded []int64
	var err error
	if test {
		if len(req.TestAssets) == 0 && len(req.TestTags) == 0 {
			s.badCARRequest(w, r, c, fmt.Errorf("testMode needs testAssets or testTags"))
			return
		}
		assets, err = refIDs("testAssets", req.TestAssets)
		if err == nil {
			tags, err = refIDs("testTags", req.TestTags)
		}
	} else {
		assets, err = commaIDs("assetIds", req.AssetIDs)
		if err == nil {
			tags, err = commaIDs("assetTagIds", req.AssetTagIDs)
		}
		if err == nil && len(assets) == 0 && len(tags) == 0 {
			err = fmt.Errorf("assetIds or assetTagIds is required (or testMode with testAssets or testTags)")
		}
	}
	if err == nil {
		excluded, err = commaIDs("excludedAssetIds", req.ExcludedAssetIDs)
	}
	if err != nil {
		s.badCARRequest(w, r, c, err)
		return
	}
	var correlation string
	found := false
	var bad error
	s.Update(func(d *Data) {
		i := slices.IndexFunc(d.CAR.Scripts, func(x Script) bool { return x.ID == scriptID })
		if i < 0 {
			return
		}
		found = true
		if test {
			// Test mode runs on lab assets only: the lab assets named, and
			// the lab assets carrying the lab tags named.
			if bad = checkLabTargets(d, assets, tags); bad != nil {
				return
			}
		}
		sc := d.CAR.Scripts[i]
		jobID := int64(29429)
		for _, j := range d.CAR.Jobs {
			jobID = max(jobID, j.ID+1)
		}
		rng := rand.New(rand.NewPCG(uint64(d.Seed), uint64(jobID)))
		correlation = uuidFrom(rng)
		job := Job{ID: jobID, ScriptID: sc.ID, ScriptTitle: sc.Title, LanguageID: sc.LanguageID, TypeID: sc.TypeID,
			CategoryID: sc.CategoryID, Severity: sc.Severity, Threshold: sc.Threshold, Platform: sc.Platform, Test: test,
			ExecutionType: "Manual", CorrelationUUID: correlation, Created: d.Now, Updated: d.Now}
		d.CAR.Jobs = append(d.CAR.Jobs, job)
		for _, h := range d.Hosts {
			if !slices.Contains(assets, h.ID) && !slices.ContainsFunc(h.TagIDs, func(t int64) bool { return slices.Contains(tags, t) }) {
				continue
			}
			if slices.Contains(excluded, h.ID) || blockedHost(d, h) || (test && !slices.Contains(d.CAR.LabAssetIDs, h.ID)) {
				continue
			}
			aj := newAssetJob(rng, d, int64(94779+len(d.CAR.AssetJobs)), job, h, true)
			aj.Result = scriptOutput(sc.Content, h)
			d.CAR.AssetJobs = append(d.CAR.AssetJobs, aj)
		}
		sc.LastExecuted = d.Now
		d.CAR.Scripts[i] = sc
	})
	if !found {
		s.fail(w, r, c, http.StatusNotFound, "Script not found")
		return
	}
	if bad != nil {
		s.badCARRequest(w, r, c, bad)
		return
	}
	s.replyJSON(w, r, c, http.StatusOK, car.ScriptExecutionResult{Body: car.ScriptExecutionStarted{CorrelationUUID: correlation}})
}

// commaIDs parses execute's comma-separated id lists.
func commaIDs(field string, v string) ([]int64, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []int64
	for _, p := range strings.Split(v, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an id", field, p)
		}
		out = append(out, id)
	}
	return out, nil
}

func refIDs(field string, refs []car.TargetRef) ([]int64, error) {
	var out []int64
	for _, ref := range refs {
		id, err := ref.ID.Int64()
		if err != nil {
			return nil, fmt.Errorf("%s: id %q is not a number", field, ref.ID)
		}
		out = append(out, id)
	}
	return out, nil
}

// checkLabTargets: in test mode every asset named must be a lab asset and
// every tag named a lab tag.
func checkLabTargets(d *Data, assets, tags []int64) error {
	for _, a := range assets {
		if !slices.Contains(d.CAR.LabAssetIDs, a) {
			return fmt.Errorf("testAssets: asset %d is not a lab asset", a)
		}
	}
	for _, t := range tags {
		if i := tagIndex(d, t); i < 0 || !d.Tags[i].Lab {
			return fmt.Errorf("testTags: tag %d is not a lab asset tag", t)
		}
	}
	return nil
}

// blockedHost tells whether a host is excluded from script execution: it
// is a blocked asset or carries a blocked tag.
func blockedHost(d *Data, h Host) bool {
	return slices.Contains(d.CAR.BlockedAssetIDs, h.ID) ||
		slices.ContainsFunc(h.TagIDs, func(t int64) bool { return slices.Contains(d.CAR.BlockedTagIDs, t) })
}

// printRE finds what a script line prints: echo, Write-Output/Write-Host,
// print(...) and WScript.Echo with a quoted argument.
var printRE = regexp.MustCompile(`(?im)^\s*(?:echo|write-output|write-host|print\(?|wscript\.echo)\s*"([^"]*)"`)

// scriptOutput is what a run of the script prints on a host: the quoted
// texts its print statements write, or a generic line when it has none.
func scriptOutput(content []byte, h Host) []byte {
	var b strings.Builder
	for _, m := range printRE.FindAllSubmatch(content, -1) {
		b.Write(m[1])
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		fmt.Fprintf(&b, "Script executed on %s\n", h.DNS)
	}
	return []byte(b.String())
}
