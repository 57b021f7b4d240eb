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
// width, the columns are fitted to it (see fitWidths); columns that do
// not fit at all are left out, the last (least wanted) first, and a note
// on notes says so.
func writeTable(w, notes io.Writer, cols columns, rows [][]string, width int) error {
	natural := make([]int, len(cols))
	least := make([]int, len(cols))
	for i, c := range cols {
		natural[i] = utf8.RuneCountInString(c.header)
		least[i] = natural[i]
	}
	for _, r := range rows {
		for i, s := range r {
			natural[i] = max(natural[i], utf8.RuneCountInString(s))
		}
	}
	for i := range least {
		// A column is still useful at its header's width, and at least 8.
		least[i] = min(natural[i], max(least[i], 8))
	}
	widths := fitWidths(natural, least, width)
	n := len(widths)
	if n < len(cols) {
		fmt.Fprintf(notes, "qualys: %d column(s) hidden to fit; --wide shows them\n", len(cols)-n)
	}
	var b strings.Builder
	line := func(cells []string) {
		b.Reset()
		for i, s := range cells[:n] {
			s = cut(s, widths[i])
			b.WriteString(s)
			if i < n-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.header
	}
	line(headers)
	for _, r := range rows {
		line(r)
	}
	return nil
}

// fitWidths fits columns into a width (0: any width): it keeps as many
// leading columns as fit at their least useful width, then caps the
// widest ones at the one width that uses the room left. The result has
// one width per kept column.
func fitWidths(natural, least []int, width int) []int {
	out := append([]int(nil), natural...)
	if width <= 0 || len(out) == 0 {
		return out
	}
	room := func(k int) int { return width - 2*(k-1) }
	sum := func(ws []int) int {
		t := 0
		for _, w := range ws {
			t += w
		}
		return t
	}
	if sum(out) <= room(len(out)) {
		return out
	}
	k := len(out)
	for k > 1 && sum(least[:k]) > room(k) {
		k--
	}
	// A table whose cut columns are all stubs helps no one: leave out
	// trailing columns until the cut ones get a readable width.
	const readable = 20
	lo := capWidth(natural[:k], least[:k], room(k))
	for k > 2 && lo < readable {
		if c := capWidth(natural[:k-1], least[:k-1], room(k-1)); c > lo {
			k, lo = k-1, c
			continue
		}
		break
	}
	out = out[:k]
	budget := room(k)
	used := 0
	for i, w := range out {
		out[i] = max(min(w, lo), least[i])
		used += out[i]
	}
	// Hand what rounding left to the widest cut columns, left first.
	for i := range out {
		if used >= budget {
			break
		}
		if out[i] < natural[i] {
			extra := min(natural[i]-out[i], budget-used)
			out[i] += extra
			used += extra
		}
	}
	return out
}

// capWidth is the largest width the widest columns can be capped at so
// that every column fits in budget (columns keep at least their least
// width).
func capWidth(natural, least []int, budget int) int {
	lo, hi := 1, 0
	for _, w := range natural {
		hi = max(hi, w)
	}
	for lo < hi {
		c := (lo + hi + 1) / 2
		t := 0
		for i, w := range natural {
			t += max(min(w, c), least[i])
		}
		if t <= budget {
			lo = c
		} else {
			hi = c - 1
		}
	}
	return lo
}

// cut shortens s to n runes, the last one an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return string([]rune(s)[:max(n, 0)])
	}
	return string([]rune(s)[:n-1]) + "…"
}
