package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// cell renders one value for a table or CSV: one line, dates readable,
// named objects by their name, lists joined.
func cell(path string, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if t, ok := parseDate(v); ok {
			return t
		}
		return oneLineCell(v)
	case json.Number:
		if isDateField(path) {
			if ms, err := v.Int64(); err == nil && ms > 1e11 && ms < 1e14 {
				return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04")
			}
			if v.String() == "0" {
				return "" // CAR's "never"
			}
		}
		return v.String()
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case map[string]any:
		for _, k := range []string{"name", "label", "title", "dateTime"} {
			if n, ok := v[k]; ok && n != nil {
				return cell(k, n)
			}
		}
		b, _ := json.Marshal(v)
		return oneLineCell(string(b))
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			parts = append(parts, cell(path, e))
		}
		return strings.Join(parts, ",")
	}
	return oneLineCell(fmt.Sprint(v))
}

// isDateField says whether a field holds epoch milliseconds by its name,
// e.g. created.dateTime, executionEndTime, lastExecutedDateTime.
func isDateField(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, "datetime") || strings.HasSuffix(p, "time") || strings.HasSuffix(p, "date")
}

// parseDate shows an RFC 3339 time in minutes, UTC.
func parseDate(s string) (string, bool) {
	if len(s) < 20 || s[4] != '-' || s[10] != 'T' {
		return "", false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", false
	}
	return t.UTC().Format("2006-01-02 15:04"), true
}

// oneLineCell puts a text on one line: line breaks become ⏎, other
// control characters spaces, runs of blanks one space.
func oneLineCell(s string) string {
	s = strings.TrimRight(s, "\r\n")
	var b strings.Builder
	space := false
	for _, r := range strings.ReplaceAll(s, "\r\n", "\n") {
		switch {
		case r == '\n':
			b.WriteString(" ⏎ ")
			space = true
			continue
		case unicode.IsControl(r) || unicode.IsSpace(r):
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// writeTable aligns rows under their headers, two spaces apart. With a
// width, the widest columns are cut (…) until every line fits in it.
func writeTable(w io.Writer, cols columns, rows [][]string, width int) error {
	n := len(cols)
	natural := make([]int, n)
	for i, c := range cols {
		natural[i] = utf8.RuneCountInString(c.header)
	}
	for _, r := range rows {
		for i, s := range r {
			natural[i] = max(natural[i], utf8.RuneCountInString(s))
		}
	}
	widths := fitWidths(natural, width)
	var b strings.Builder
	line := func(cells []string) {
		b.Reset()
		for i, s := range cells {
			s = cut(s, widths[i])
			b.WriteString(s)
			if i < n-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	headers := make([]string, n)
	for i, c := range cols {
		headers[i] = c.header
	}
	line(headers)
	for _, r := range rows {
		line(r)
	}
	return nil
}

// fitWidths shares a terminal width among columns: narrow columns keep
// their width, the others get equal shares of the rest.
func fitWidths(natural []int, width int) []int {
	out := append([]int(nil), natural...)
	if width <= 0 || len(out) == 0 {
		return out
	}
	budget := width - 2*(len(out)-1)
	total := 0
	for _, w := range out {
		total += w
	}
	if total <= budget {
		return out
	}
	const minWidth = 4
	left := len(out)
	done := make([]bool, len(out))
	// Give each column that fits in a fair share its natural width, then
	// split what remains among the rest.
	for changed := true; changed; {
		changed = false
		share := budget / max(left, 1)
		for i, w := range natural {
			if !done[i] && w <= share {
				done[i], changed = true, true
				budget -= w
				left--
			}
		}
	}
	if left > 0 {
		share := max(budget/left, minWidth)
		extra := budget - share*left
		for i := range out {
			if !done[i] {
				out[i] = share
				if extra > 0 {
					out[i]++
					extra--
				}
			}
		}
	}
	return out
}

// cut shortens s to n runes, the last one an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"[:0] + string([]rune(s)[:max(n, 0)])
	}
	return string([]rune(s)[:n-1]) + "…"
}
