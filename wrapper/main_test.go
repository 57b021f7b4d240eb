package qualys_test

import (
	"iter"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind:
// iterators that stop early, cancelled streams and abandoned token
// refreshes must all clean up after themselves.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// collect ranges over a sequence to its end or first error.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
