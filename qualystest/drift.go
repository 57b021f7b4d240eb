package qualystest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Drift is one deliberate departure from the spec in a response body, to
// test tools that check live traffic against the specs (see Server.Drift).
// Build one with UndeclaredField, WrongType, UnknownEnum or
// MissingRequired.
type Drift struct {
	kind    string // "add", "replace" or "remove"
	pointer string // RFC 6901 pointer into the response body
	value   json.RawMessage
}

// UndeclaredField adds a member the spec does not declare: pointer names
// the new member, e.g. "/body/undeclaredField".
func UndeclaredField(pointer string, value any) Drift { return newDrift("add", pointer, value) }

// WrongType replaces the value at pointer with one of another JSON type,
// e.g. a string where the spec says integer.
func WrongType(pointer string, value any) Drift { return newDrift("replace", pointer, value) }

// UnknownEnum replaces the value at pointer with a string the field's enum
// does not list.
func UnknownEnum(pointer, value string) Drift { return newDrift("replace", pointer, value) }

// MissingRequired removes the required member at pointer.
func MissingRequired(pointer string) Drift { return Drift{kind: "remove", pointer: pointer} }

func newDrift(kind, pointer string, value any) Drift {
	raw, err := json.Marshal(value)
	if err != nil {
		panic(fmt.Sprintf("qualystest: drift value for %s: %v", pointer, err))
	}
	return Drift{kind: kind, pointer: pointer, value: raw}
}

// String describes the drift, for test messages.
func (d Drift) String() string { return d.kind + " " + d.pointer }

// driftQueues holds the drifts waiting for responses, one set per target.
type driftQueues struct {
	mu sync.Mutex
	q  map[string][][]Drift
}

// Drift makes the next successful JSON response of target (an operationId
// or a path, as for Fail) carry all of drifts. The simulator does not
// record that response as a spec violation of its own: it is deliberate.
// Drifts apply to whole bodies the simulator builds in memory, not to
// streamed posture responses.
func (s *Server) Drift(target string, drifts ...Drift) {
	s.drifts.mu.Lock()
	defer s.drifts.mu.Unlock()
	if s.drifts.q == nil {
		s.drifts.q = map[string][][]Drift{}
	}
	s.drifts.q[target] = append(s.drifts.q[target], drifts)
}

func (q *driftQueues) pop(keys ...string) ([]Drift, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range keys {
		if ds := q.q[k]; len(ds) > 0 {
			q.q[k] = ds[1:]
			return ds[0], true
		}
	}
	return nil, false
}

// applyDrifts returns body with every drift applied.
func applyDrifts(body []byte, drifts []Drift) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	for _, d := range drifts {
		var v any
		if d.value != nil {
			if err := json.Unmarshal(d.value, &v); err != nil {
				return nil, err
			}
		}
		var err error
		if doc, err = patch(doc, splitPointer(d.pointer), d.kind, v); err != nil {
			return nil, fmt.Errorf("drift %s: %w", d, err)
		}
	}
	return json.Marshal(doc)
}

func splitPointer(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts
}

// patch applies one add, replace or remove at path inside doc.
func patch(doc any, path []string, kind string, v any) (any, error) {
	if len(path) == 0 {
		if kind == "remove" {
			return nil, fmt.Errorf("cannot remove the whole body")
		}
		return v, nil
	}
	key, rest := path[0], path[1:]
	switch node := doc.(type) {
	case map[string]any:
		child, ok := node[key]
		if len(rest) == 0 {
			switch {
			case kind == "remove" && ok:
				delete(node, key)
			case kind == "add" && !ok, kind == "replace" && ok:
				node[key] = v
			default:
				return nil, fmt.Errorf("%s %q: member present = %v", kind, key, ok)
			}
			return node, nil
		}
		if !ok {
			return nil, fmt.Errorf("no member %q", key)
		}
		var err error
		node[key], err = patch(child, rest, kind, v)
		return node, err
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(node) {
			return nil, fmt.Errorf("no element %q", key)
		}
		if len(rest) == 0 && kind != "replace" {
			return nil, fmt.Errorf("%s of an array element is not supported", kind)
		}
		node[i], err = patch(node[i], rest, kind, v)
		return node, err
	}
	return nil, fmt.Errorf("%q is inside a scalar", key)
}
