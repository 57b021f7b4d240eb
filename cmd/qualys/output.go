package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// printer writes records as JSON lines (one per line, as they come), as
// one JSON array, or as a table of their top-level scalar fields.
type printer struct {
	format  string
	w       io.Writer
	rows    []map[string]any // json and table collect until flush
	written int
}

func newPrinter(format string, w io.Writer) (*printer, error) {
	switch format {
	case "jsonl", "json", "table":
		return &printer{format: format, w: w}, nil
	}
	return nil, usagef("--output %q: want jsonl, json or table", format)
}

// record prints or collects one record.
func (p *printer) record(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding a record: %w", err)
	}
	p.written++
	if p.format == "jsonl" {
		_, err := fmt.Fprintf(p.w, "%s\n", b)
		return err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // ids and epoch milliseconds print as written
	if err := dec.Decode(&m); err != nil {
		m = map[string]any{"value": json.RawMessage(b)}
	}
	p.rows = append(p.rows, m)
	return nil
}

func (p *printer) flush() error {
	switch p.format {
	case "json":
		rows := p.rows
		if rows == nil {
			rows = []map[string]any{}
		}
		b, err := json.MarshalIndent(rows, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		return err
	case "table":
		return p.table()
	}
	return nil
}

// table prints the scalar fields the records have, in name order, id and
// title-like fields first.
func (p *printer) table() error {
	seen := map[string]bool{}
	var cols []string
	for _, r := range p.rows {
		for k, v := range r {
			switch v.(type) {
			case map[string]any, []any, nil: // nested or null: not a column
				continue
			}
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	rank := func(c string) int {
		switch c {
		case "id", "name":
			return 0
		case "title":
			return 1
		}
		return 2
	}
	sort.Slice(cols, func(i, j int) bool {
		if rank(cols[i]) != rank(cols[j]) {
			return rank(cols[i]) < rank(cols[j])
		}
		return cols[i] < cols[j]
	})
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range p.rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			if v, ok := r[c]; ok && v != nil {
				cells[i] = fmt.Sprint(v)
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
