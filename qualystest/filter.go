package qualystest

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// CAR search filters use the Qualys query syntax: field:value terms joined
// with AND or OR, grouped with parentheses. Values may contain spaces
// without quotes (a value runs up to the next " AND ", " OR " or closing
// parenthesis; parentheses balanced inside a value belong to it) or be
// quoted ("..."). Matching is case-insensitive: text
// fields (names, titles) match on a substring, every other field on the
// whole value.

// filterField describes one field a search endpoint filters on.
type filterField[T any] struct {
	text bool             // substring match instead of equality
	get  func(T) []string // the record's values; a match on any of them counts
}

// filterExpr is a parsed filter, evaluated against one record.
type filterExpr[T any] interface {
	match(rec T) bool
}

type termExpr[T any] struct {
	field filterField[T]
	value string
}

func (e termExpr[T]) match(rec T) bool {
	want := strings.ToLower(e.value)
	for _, v := range e.field.get(rec) {
		v = strings.ToLower(v)
		if v == want || (e.field.text && strings.Contains(v, want)) {
			return true
		}
	}
	return false
}

type boolExpr[T any] struct {
	and         bool
	left, right filterExpr[T]
}

func (e boolExpr[T]) match(rec T) bool {
	if e.and {
		return e.left.match(rec) && e.right.match(rec)
	}
	return e.left.match(rec) || e.right.match(rec)
}

// filterError is a filter the endpoint cannot evaluate: bad syntax or a
// field it does not know.
type filterError struct {
	msg     string
	unknown string // the unknown field, if that is the problem
}

func (e *filterError) Error() string { return e.msg }

// parseFilter parses a filter against the fields of an endpoint. An empty
// or blank filter matches everything (nil expression).
func parseFilter[T any](src string, fields map[string]filterField[T]) (filterExpr[T], error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	p := &filterParser[T]{src: src, fields: fields}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.src) {
		return nil, p.errorf("unexpected %q", p.src[p.pos:])
	}
	return e, nil
}

type filterParser[T any] struct {
	src    string
	pos    int
	fields map[string]filterField[T]
}

func (p *filterParser[T]) errorf(format string, args ...any) error {
	return &filterError{msg: fmt.Sprintf("invalid filter at position %d: ", p.pos) + fmt.Sprintf(format, args...)}
}

func (p *filterParser[T]) space() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
}

// keyword consumes AND or OR (any case) followed by a space or "(".
func (p *filterParser[T]) keyword(kw string) bool {
	p.space()
	end := p.pos + len(kw)
	if end > len(p.src) || !strings.EqualFold(p.src[p.pos:end], kw) {
		return false
	}
	if end < len(p.src) && !unicode.IsSpace(rune(p.src[end])) && p.src[end] != '(' {
		return false
	}
	p.pos = end
	return true
}

func (p *filterParser[T]) or() (filterExpr[T], error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = boolExpr[T]{left: left, right: right}
	}
	return left, nil
}

func (p *filterParser[T]) and() (filterExpr[T], error) {
	left, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		right, err := p.primary()
		if err != nil {
			return nil, err
		}
		left = boolExpr[T]{and: true, left: left, right: right}
	}
	return left, nil
}

func (p *filterParser[T]) primary() (filterExpr[T], error) {
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == '(' {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return nil, p.errorf("missing )")
		}
		p.pos++
		return e, nil
	}
	colon := strings.IndexByte(p.src[p.pos:], ':')
	if colon <= 0 {
		return nil, p.errorf("expected field:value")
	}
	name := strings.TrimSpace(p.src[p.pos : p.pos+colon])
	field, ok := lookupField(p.fields, name)
	if !ok {
		return nil, &filterError{msg: fmt.Sprintf("unknown filter field %q; this search filters on %s", name, fieldList(p.fields)), unknown: name}
	}
	p.pos += colon + 1
	p.space()
	value, err := p.value()
	if err != nil {
		return nil, err
	}
	return termExpr[T]{field: field, value: value}, nil
}

// value reads a quoted value, or an unquoted one up to the next AND, OR,
// unbalanced closing parenthesis or the end.
func (p *filterParser[T]) value() (string, error) {
	if p.pos < len(p.src) && p.src[p.pos] == '"' {
		end := strings.IndexByte(p.src[p.pos+1:], '"')
		if end < 0 {
			return "", p.errorf("unterminated quoted value")
		}
		v := p.src[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return v, nil
	}
	start := p.pos
	depth := 0 // parentheses opened inside the value, as in a title "Check (Shell) 3"
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '(' {
			depth++
		}
		if c == ')' {
			if depth == 0 {
				break
			}
			depth--
		}
		if unicode.IsSpace(rune(c)) {
			save := p.pos
			if p.keyword("AND") || p.keyword("OR") {
				p.pos = save
				break
			}
			p.pos = save
		}
		p.pos++
	}
	v := strings.TrimSpace(p.src[start:p.pos])
	if v == "" {
		return "", p.errorf("empty value")
	}
	return v, nil
}

// lookupField finds a field by name, ignoring case (Qualys samples write
// both Created.dateTime and created.dateTime).
func lookupField[T any](fields map[string]filterField[T], name string) (filterField[T], bool) {
	if f, ok := fields[name]; ok {
		return f, true
	}
	for k, f := range fields {
		if strings.EqualFold(k, name) {
			return f, true
		}
	}
	return filterField[T]{}, false
}

func fieldList[T any](fields map[string]filterField[T]) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
