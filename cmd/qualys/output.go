package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// formats are the values of --output.
var formats = []string{"jsonl", "json", "table", "csv", "yaml"}

// column is one column of a table: its header and the JSON path of the
// value, e.g. "asset.name". A path "a|b" shows b where a is empty (a
// run's output, or why there is none).
type column struct{ header, path string }

type columns []column

// printer writes records as JSON lines (one per line, as they come), one
// JSON array, YAML, or a table or CSV of chosen columns. JSON and YAML
// keep the API's raw values; tables and CSV show them for people.
type printer struct {
	format string
	w      io.Writer
	errW   io.Writer
	cols   columns // table and csv columns; with --fields, the fields
	fields bool    // --fields given: JSON and YAML keep only those
	width  int     // cut tables to this width; 0: never
	// rows collects what json, yaml, table and csv print at flush.
	rows   []any
	cells  [][]string
	seen   map[string]bool // fields some record had, to warn about the rest
	count  int
	noCols bool // the command has no default columns: derive them
}

var fieldName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// printer builds the printer of --output and --fields; defaults are the
// command's table columns, most wanted first.
func (f *factory) printer(defaults columns) (*printer, error) {
	format := f.output
	if format == "" {
		format = "jsonl"
		if f.stdoutTerminal {
			format = "table"
		}
	}
	if !slices.Contains(formats, format) {
		return nil, usagef("--output %q: want one of %s", format, strings.Join(formats, ", "))
	}
	p := &printer{format: format, w: f.stdout, errW: f.stderr, cols: defaults, seen: map[string]bool{}}
	if f.fields != "" {
		p.cols, p.fields = nil, true
		for _, name := range strings.Split(f.fields, ",") {
			name = strings.TrimSpace(name)
			if !fieldName.MatchString(name) {
				return nil, usagef("--fields: %q is not a field name (want names such as id, title or asset.name, comma-separated)", name)
			}
			p.cols = append(p.cols, column{strings.ToUpper(name), name})
		}
	}
	p.noCols = len(p.cols) == 0
	if format == "table" && !f.wide && f.width != nil {
		p.width = f.width()
	}
	return p, nil
}

// record prints or collects one record.
func (p *printer) record(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding a record: %w", err)
	}
	p.count++
	if p.format == "jsonl" && !p.fields {
		_, err := fmt.Fprintf(p.w, "%s\n", b)
		return err
	}
	var m any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // ids and epoch milliseconds stay as written
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("decoding a record: %w", err)
	}
	if p.noCols && (p.format == "table" || p.format == "csv") {
		p.cols = deriveColumns(m)
		p.noCols = false
	}
	for _, c := range p.cols {
		if _, ok := lookup(m, strings.Split(c.path, "|")[0]); ok {
			p.seen[c.path] = true
		}
	}
	switch p.format {
	case "jsonl":
		out, err := json.Marshal(p.project(m))
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "%s\n", out)
		return err
	case "json", "yaml":
		if p.fields {
			p.rows = append(p.rows, p.project(m))
		} else {
			p.rows = append(p.rows, json.RawMessage(b))
		}
	default:
		row := make([]string, len(p.cols))
		for i, c := range p.cols {
			for _, path := range strings.Split(c.path, "|") {
				v, _ := lookup(m, path)
				if row[i] = cell(path, v); row[i] != "" {
					break
				}
			}
		}
		p.cells = append(p.cells, row)
	}
	return nil
}

// project keeps the --fields of a record, in their order.
func (p *printer) project(m any) orderedObject {
	out := make(orderedObject, 0, len(p.cols))
	for _, c := range p.cols {
		v, _ := lookup(m, c.path)
		out = append(out, keyValue{c.path, v})
	}
	return out
}

// flush prints what was collected.
func (p *printer) flush() error {
	if p.fields && p.count > 0 {
		for _, c := range p.cols {
			if !p.seen[c.path] {
				fmt.Fprintf(p.errW, "qualys: note: no record has the field %q\n", c.path)
			}
		}
	}
	switch p.format {
	case "json":
		rows := p.rows
		if rows == nil {
			rows = []any{}
		}
		b, err := json.MarshalIndent(rows, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		return err
	case "yaml":
		return p.yaml()
	case "csv":
		w := csv.NewWriter(p.w)
		header := make([]string, len(p.cols))
		for i, c := range p.cols {
			header[i], _, _ = strings.Cut(c.path, "|")
		}
		w.Write(header)
		w.WriteAll(p.cells)
		return w.Error()
	case "table":
		if p.count == 0 {
			fmt.Fprintln(p.errW, "No records.")
			return nil
		}
		return writeTable(p.w, p.errW, p.cols, p.cells, p.width)
	}
	return nil
}

func (p *printer) yaml() error {
	if len(p.rows) == 0 {
		_, err := io.WriteString(p.w, "[]\n")
		return err
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, r := range p.rows {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		n, err := yamlNode(b)
		if err != nil {
			return err
		}
		seq.Content = append(seq.Content, n)
	}
	enc := yaml.NewEncoder(p.w)
	enc.SetIndent(2)
	if err := enc.Encode(seq); err != nil {
		return err
	}
	return enc.Close()
}

// yamlNode converts one JSON value to a YAML node, keeping the order of
// object keys and the text of numbers.
func yamlNode(b []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return yamlValue(dec)
}

func yamlValue(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			n := &yaml.Node{Kind: yaml.MappingNode}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := yamlValue(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: fmt.Sprint(k)}, v)
			}
			_, err := dec.Token()
			return n, err
		}
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for dec.More() {
			v, err := yamlValue(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		_, err := dec.Token()
		return n, err
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}
		if strings.Contains(t, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}, nil
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
}

// orderedObject is a JSON object that keeps its keys in order.
type orderedObject []keyValue

type keyValue struct {
	key   string
	value any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.key)
		v, err := json.Marshal(kv.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// lookup follows a dotted path through decoded JSON objects.
func lookup(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// deriveColumns picks the scalar top-level fields of a record, id, name
// and title first, for commands without their own columns.
func deriveColumns(m any) columns {
	obj, _ := m.(map[string]any)
	var keys []string
	for k, v := range obj {
		switch v.(type) {
		case map[string]any, []any, nil:
			continue
		}
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch k {
		case "id", "name":
			return 0
		case "title":
			return 1
		}
		return 2
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	cols := make(columns, len(keys))
	for i, k := range keys {
		cols[i] = column{strings.ToUpper(k), k}
	}
	return cols
}
