package posturestore

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the package's tests, failing on leaked goroutines (a store
// or session left open); started as a sync child by the kill test, it runs
// that sync instead.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChildSync())
	}
	goleak.VerifyTestMain(m)
}
