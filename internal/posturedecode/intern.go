package posturedecode

// Interning bounds. Posture records repeat their control's texts (policy
// title, statement, rationale, remediation, category) for every host, and
// their host's names for every control: one string per distinct text
// saves most of a record's allocations. The table is bounded so that a
// stream of distinct values cannot grow it: when full it starts afresh.
const (
	internMaxEntries = 4096
	internMaxBytes   = 1 << 20
	internMaxLen     = 2048 // longer texts are rarely repeated verbatim
)

// internTable hands out one string per distinct byte sequence.
type internTable struct {
	m     map[string]string
	bytes int
}

func (t *internTable) get(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case len(b) > internMaxLen:
		return string(b)
	}
	if s, ok := t.m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	if t.m == nil {
		t.m = make(map[string]string, 256)
	}
	if len(t.m) >= internMaxEntries || t.bytes+len(b) > internMaxBytes {
		clear(t.m)
		t.bytes = 0
	}
	s := string(b)
	t.m[s] = s
	t.bytes += len(s)
	return s
}
