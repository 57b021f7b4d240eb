package posturestore

import (
	"errors"
	"testing"
)

func numbered(n int, err error) func(func(Record, error) bool) {
	return func(yield func(Record, error) bool) {
		for i := range n {
			if !yield(Record{HostID: int64(i)}, nil) {
				return
			}
		}
		if err != nil {
			yield(Record{}, err)
		}
	}
}

func TestPrefetchKeepsOrderAndError(t *testing.T) {
	broken := errors.New("stream cut")
	var got []int64
	var gotErr error
	for r, err := range prefetch(numbered(1000, broken)) {
		if err != nil {
			gotErr = err
			break
		}
		got = append(got, r.HostID)
	}
	if len(got) != 1000 || !errors.Is(gotErr, broken) {
		t.Fatalf("%d records then %v, want 1000 then the stream's error", len(got), gotErr)
	}
	for i, h := range got {
		if h != int64(i) {
			t.Fatalf("record %d is host %d: out of order", i, h)
		}
	}
}

// TestPrefetchStopsItsProducer: leaving the loop early stops the
// producing goroutine (goleak in TestMain checks that none is left).
func TestPrefetchStopsItsProducer(t *testing.T) {
	n := 0
	for range prefetch(numbered(100000, nil)) {
		if n++; n == 10 {
			break
		}
	}
	if n != 10 {
		t.Fatalf("read %d records", n)
	}
}
