package spec_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

var update = flag.Bool("update", false, "rewrite the README coverage table from the specs")

const (
	readme        = "../README.md"
	coverageStart = "<!-- coverage:start -->"
	coverageEnd   = "<!-- coverage:end -->"
)

// lifecycle is the x-qualys-lifecycle object of an operation.
type lifecycle struct {
	Status     string `json:"status"`
	Introduced string `json:"introduced"`
	// DeprecationTimeline is a month Qualys announced without saying
	// whether it ends support or life (PCRS 2.0 versions, "May 2025").
	DeprecationTimeline string `json:"deprecationTimeline"`
	EndOfSupport        string `json:"endOfSupport"`
	EndOfLife           string `json:"endOfLife"`
	ReplacedBy          string `json:"replacedBy"`
}

// unpublished is an entry of a document's x-qualys-unpublished list: an
// operation Qualys announces but whose method and path it never printed.
type unpublished struct {
	Operation string `json:"operation"`
	Announced string `json:"announced"`
	Note      string `json:"note"`
}

type coverageRow struct {
	api, id, method, path, version string
	life                           lifecycle
	deprecated                     bool
}

var lifecycleStatuses = map[string]bool{"active": true, "to-be-deprecated": true, "deprecated": true, "end-of-support": true, "end-of-life": true}

var versionInPath = regexp.MustCompile(`^/(?:sm/v(\d+)|pcrs/(\d+)\.0)/`)

func operationRows(api string, doc *openapi3.T) ([]coverageRow, error) {
	var rows []coverageRow
	var errs []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			r := coverageRow{api: api, id: op.OperationID, method: method, path: path, deprecated: op.Deprecated}
			if m := versionInPath.FindStringSubmatch(path); m != nil {
				r.version = "v" + m[1] + m[2]
				if m[2] != "" {
					r.version = m[2] + ".0"
				}
			}
			raw, ok := op.Extensions["x-qualys-lifecycle"]
			if !ok {
				errs = append(errs, op.OperationID+": no x-qualys-lifecycle")
			} else if err := decodeExtension(raw, &r.life); err != nil {
				errs = append(errs, op.OperationID+": x-qualys-lifecycle: "+err.Error())
			}
			rows = append(rows, r)
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return rows, nil
}

// lifecycleProblems checks what the lifecycle facts must agree on.
func lifecycleProblems(rows []coverageRow) []string {
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.id] = true
	}
	var out []string
	verbFirst := regexp.MustCompile(`^[a-z]+[A-Z][A-Za-z0-9]*$`)
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.id] {
			out = append(out, r.id+": operationId used twice across the documents")
		}
		seen[r.id] = true
		if !verbFirst.MatchString(r.id) {
			out = append(out, r.id+": operationId is not verb-first camelCase")
		}
		if !lifecycleStatuses[r.life.Status] {
			out = append(out, fmt.Sprintf("%s: lifecycle status %q", r.id, r.life.Status))
		}
		gone := r.life.Status == "deprecated" || r.life.Status == "end-of-support" || r.life.Status == "end-of-life"
		if gone != r.deprecated {
			out = append(out, fmt.Sprintf("%s: status %s but deprecated: %v", r.id, r.life.Status, r.deprecated))
		}
		if r.life.ReplacedBy != "" && !ids[r.life.ReplacedBy] {
			out = append(out, r.id+": replacedBy names no operation: "+r.life.ReplacedBy)
		}
	}
	sort.Strings(out)
	return out
}

func lifecycleText(l lifecycle) string {
	parts := []string{l.Status}
	if l.Introduced != "" {
		parts = append(parts, "since "+l.Introduced)
	}
	if l.DeprecationTimeline != "" {
		parts = append(parts, "deprecation timeline "+l.DeprecationTimeline)
	}
	if l.EndOfSupport != "" {
		parts = append(parts, "end of support "+l.EndOfSupport)
	}
	if l.EndOfLife != "" {
		parts = append(parts, "end of life "+l.EndOfLife)
	}
	if l.ReplacedBy != "" {
		parts = append(parts, "use `"+l.ReplacedBy+"`")
	}
	return strings.Join(parts, ", ")
}

// coverageTable renders the README table: every operation of both
// documents, then every operation Qualys names without publishing it.
func coverageTable(rows []coverageRow, missing map[string][]unpublished) string {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].api != rows[j].api {
			return rows[i].api < rows[j].api
		}
		if rows[i].path != rows[j].path {
			return rows[i].path < rows[j].path
		}
		return rows[i].method < rows[j].method
	})
	var b strings.Builder
	b.WriteString("| API | operation | method and path | version | lifecycle | status |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		version := r.version
		if version == "" {
			version = "-"
		}
		fmt.Fprintf(&b, "| %s | `%s` | `%s %s` | %s | %s | spec'd |\n", r.api, r.id, r.method, r.path, version, lifecycleText(r.life))
	}
	apis := make([]string, 0, len(missing))
	for api := range missing {
		apis = append(apis, api)
	}
	sort.Strings(apis)
	for _, api := range apis {
		for _, u := range missing[api] {
			fmt.Fprintf(&b, "| %s | %s | - | - | announced %s | not published by Qualys: %s |\n", api, u.Operation, u.Announced, u.Note)
		}
	}
	return b.String()
}

func decodeExtension(raw any, v any) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func buildCoverage(t *testing.T) (string, []string) {
	t.Helper()
	var rows []coverageRow
	missing := map[string][]unpublished{}
	for _, name := range Documents {
		api := strings.ToUpper(strings.TrimSuffix(strings.TrimPrefix(name, "qualys-"), ".yaml"))
		doc := load(t, name)
		r, err := operationRows(api, doc)
		if err != nil {
			t.Fatalf("%s:\n%v", name, err)
		}
		rows = append(rows, r...)
		if raw, ok := doc.Extensions["x-qualys-unpublished"]; ok {
			var list []unpublished
			if err := decodeExtension(raw, &list); err != nil {
				t.Fatalf("%s: x-qualys-unpublished: %v", name, err)
			}
			missing[api] = list
		}
	}
	return coverageTable(rows, missing), lifecycleProblems(rows)
}

// TestLifecycleFacts: every operation carries a valid x-qualys-lifecycle
// that agrees with `deprecated`, names a real replacement, and has a
// unique, verb-first operationId.
func TestLifecycleFacts(t *testing.T) {
	_, problems := buildCoverage(t)
	for _, p := range problems {
		t.Error(p)
	}
}

// TestLifecycleChecksCanFail feeds the checks rows that break each rule.
func TestLifecycleChecksCanFail(t *testing.T) {
	bad := []coverageRow{
		{id: "getThing", life: lifecycle{Status: "deprecated"}},                               // deprecated flag missing
		{id: "getThing", life: lifecycle{Status: "active"}},                                   // duplicate id
		{id: "Thing_get", life: lifecycle{Status: "active"}},                                  // not camelCase
		{id: "listThings", life: lifecycle{Status: "retired"}},                                // unknown status
		{id: "listOldThings", life: lifecycle{Status: "active", ReplacedBy: "listNewThings"}}, // no such op
	}
	if got := lifecycleProblems(bad); len(got) != 5 {
		t.Errorf("want 5 problems, got %d: %v", len(got), got)
	}
}

// TestReadmeCoverage: the README's coverage table is exactly what the
// specs say. Run `go test ./spec -run TestReadmeCoverage -update` after
// changing a spec.
func TestReadmeCoverage(t *testing.T) {
	table, _ := buildCoverage(t)
	text, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(text, []byte(coverageStart))
	end := bytes.Index(text, []byte(coverageEnd))
	if start < 0 || end < start {
		t.Fatalf("README.md has no %s ... %s section", coverageStart, coverageEnd)
	}
	current := string(text[start+len(coverageStart) : end])
	want := "\n" + table
	if current == want {
		return
	}
	if *update {
		out := append([]byte{}, text[:start+len(coverageStart)]...)
		out = append(out, want...)
		out = append(out, text[end:]...)
		if err := os.WriteFile(readme, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md coverage table is out of date; run: go test ./spec -run TestReadmeCoverage -update")
}
