package qualys_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind:
// iterators that stop early, cancelled streams and abandoned token
// refreshes must all clean up after themselves.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
