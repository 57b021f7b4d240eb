package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/qualyskit/qualys-go/qualystest"
)

// multiLine puts line breaks, tabs and long text into the records the
// tables show.
func multiLine(h *harness) {
	h.sim.Update(func(d *qualystest.Data) {
		for i := range d.CAR.Scripts {
			d.CAR.Scripts[i].Title = "Line one\r\nline two\tand a tab " + strings.Repeat("long ", 30)
		}
		for i := range d.CAR.AssetJobs {
			d.CAR.AssetJobs[i].Result = []byte("first line\nsecond line\n\nthird\n")
		}
	})
}

// checkTable checks that a table has one line per record plus the
// header, that no line is wider than width (0: any), and that every
// column starts where its header does.
func checkTable(t *testing.T, out string, records, width int) {
	t.Helper()
	rows := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(rows) != records+1 {
		t.Fatalf("%d lines for %d records:\n%s", len(rows), records, out)
	}
	for _, r := range rows {
		if n := utf8.RuneCountInString(r); width > 0 && n > width {
			t.Errorf("line of %d > %d columns: %q", n, width, r)
		}
	}
	// Column starts: after two spaces, in the header.
	header := []rune(rows[0])
	var starts []int
	for i := 1; i < len(header); i++ {
		if header[i] != ' ' && header[i-1] == ' ' && i >= 2 && header[i-2] == ' ' {
			starts = append(starts, i)
		}
	}
	for _, r := range rows[1:] {
		rr := []rune(r)
		for _, s := range starts {
			if s < len(rr) && (rr[s-1] != ' ' || rr[s-2] != ' ') {
				t.Errorf("row not aligned at column %d: %q", s, r)
				break
			}
		}
	}
}

func TestTablesKeepOneLinePerRecord(t *testing.T) {
	h := newHarness(t)
	multiLine(h)
	d := h.sim.Data()
	job := itoa(d.CAR.Jobs[0].ID)
	n := 0
	for _, aj := range d.CAR.AssetJobs {
		if aj.JobID == d.CAR.Jobs[0].ID {
			n++
		}
	}
	for _, width := range []int{0, 80, 200} {
		h.width = width
		out := h.mustRun("car", "assetjobs", "list", "--job-id", job, "--results", "-o", "table")
		checkTable(t, out, n, width)
		if !strings.Contains(out, "⏎") && width != 80 {
			t.Errorf("line breaks not shown: %s", out)
		}
		out = h.mustRun("car", "scripts", "list", "--limit", "4", "-o", "table")
		checkTable(t, out, 4, width)
		if width == 80 && !strings.Contains(out, "…") {
			t.Errorf("nothing cut at 80 columns:\n%s", out)
		}
	}
	// --wide never cuts, even on a terminal.
	h.width = 80
	out := h.mustRun("car", "scripts", "list", "--limit", "2", "-o", "table", "--wide")
	if strings.Contains(out, "…") || !strings.Contains(out, strings.Repeat("long ", 29)) {
		t.Errorf("--wide cut cells:\n%s", out)
	}
}

// Dates print readable in tables and raw in JSON.
func TestTableDatesAndDefaults(t *testing.T) {
	h := newHarness(t)
	out := h.mustRun("car", "jobs", "list", "--limit", "1", "-o", "table")
	if !strings.HasPrefix(out, "ID ") || strings.Contains(out, "17") && !strings.Contains(out, "-") {
		t.Errorf("table:\n%s", out)
	}
	rows := strings.Split(out, "\n")
	if len(rows) < 2 || !strings.Contains(rows[1], "20") || !strings.Contains(rows[1], ":") {
		t.Errorf("no readable date in %q", rows)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(h.mustRun("car", "jobs", "list", "--limit", "1", "-o", "json")), &recs); err != nil {
		t.Fatal(err)
	}
	if _, ok := recs[0]["created"].(map[string]any)["dateTime"].(float64); !ok {
		t.Errorf("JSON dates are not the raw epoch milliseconds: %v", recs[0]["created"])
	}
	// On a terminal the default output is a table; otherwise JSON lines.
	h.width = 120
	if out := h.mustRun("pcrs", "policies"); !strings.HasPrefix(out, "ID ") {
		t.Errorf("terminal default: %q", out)
	}
	h.width = 0
	if out := h.mustRun("pcrs", "policies"); !strings.HasPrefix(out, "{") {
		t.Errorf("pipe default: %q", out)
	}
}

func TestFieldsCSVAndYAML(t *testing.T) {
	h := newHarness(t)
	multiLine(h)
	out := h.mustRun("car", "scripts", "list", "--limit", "3", "--fields", "id,language.name,title", "-o", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != "id,language.name,title" || rows[1][1] == "" {
		t.Fatalf("csv: %v %v", rows, err)
	}
	out = h.mustRun("car", "scripts", "list", "--limit", "2", "--fields", "id,language.name")
	for _, r := range lines(t, out) {
		if len(r) != 2 || r["id"] == nil || r["language.name"] == nil {
			t.Errorf("jsonl with --fields: %v", r)
		}
	}
	if !strings.HasPrefix(out, `{"id":`) {
		t.Errorf("fields out of order: %s", out)
	}
	out = h.mustRun("car", "assetjobs", "list", "--limit", "2", "--results", "-o", "yaml")
	var docs []map[string]any
	if err := yaml.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 2 || docs[0]["scriptOutput"] != "first line\nsecond line\n\nthird\n" {
		t.Fatalf("yaml: %v %v\n%s", docs, err, out)
	}
	if _, ok := docs[0]["executionEndTime"].(int); !ok {
		t.Errorf("yaml numbers are not numbers: %T", docs[0]["executionEndTime"])
	}
	code, _, errOut := h.run("", "car", "jobs", "list", "--limit", "1", "--fields", "id,nosuch")
	if code != exitOK || !strings.Contains(errOut, `no record has the field "nosuch"`) {
		t.Errorf("unknown field: exit %d, %q", code, errOut)
	}
}

func TestFitWidths(t *testing.T) {
	for _, tc := range []struct {
		natural, least []int
		width          int
		want           []int
	}{
		{[]int{5, 10, 20}, []int{5, 8, 8}, 0, []int{5, 10, 20}},
		{[]int{5, 10, 20}, []int{5, 8, 8}, 100, []int{5, 10, 20}},
		{[]int{5, 10, 80}, []int{5, 8, 8}, 40, []int{5, 10, 21}},
		{[]int{50, 50}, []int{8, 8}, 42, []int{20, 20}},
		{[]int{50, 30, 10}, []int{8, 8, 8}, 50, []int{24, 24}},
		{[]int{50, 30, 10}, []int{8, 8, 8}, 60, []int{23, 23, 10}},
		// Stubs help no one: the last column goes so the others read.
		{[]int{60, 60, 60, 60}, []int{8, 8, 8, 8}, 50, []int{24, 24}},
		// Too narrow for the last column at its least width: it goes.
		{[]int{20, 20, 20}, []int{8, 8, 8}, 22, []int{10, 10}},
	} {
		got := fitWidths(tc.natural, tc.least, tc.width)
		if !equalInts(got, tc.want) {
			t.Errorf("fitWidths(%v, %d) = %v, want %v", tc.natural, tc.width, got, tc.want)
		}
	}
	if got := cut("abcdef", 4); got != "abc…" {
		t.Errorf("cut: %q", got)
	}
	if got := oneLineCell("a\r\nb\tc\x00d  e\n"); got != "a ⏎ b c d e" {
		t.Errorf("oneLineCell: %q", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
