package posturestore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
)

// TestSecondSyncRefusesOrWaits: while one sync holds a store, another
// refuses at once with ErrLocked, or waits for it with WithLockWait, or
// gives up when its context ends.
func TestSecondSyncRefusesOrWaits(t *testing.T) {
	for dialect, location := range backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim := qualystest.NewServer(t, qualystest.WithHosts(5), qualystest.WithPolicies(1), qualystest.WithControlsPerPolicy(2))
			client := newClient(t, sim)
			holder := openStore(t, location)
			other := openStore(t, location)

			ss, err := holder.newSession(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer ss.close()
			release, err := holder.acquireLock(ctx, ss.conn, 0)
			if err != nil {
				t.Fatal(err)
			}

			_, err = other.Sync(ctx, client)
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("second sync: err = %v, want ErrLocked", err)
			}
			if !strings.Contains(err.Error(), "another sync is writing this store") {
				t.Errorf("the refusal does not say why: %v", err)
			}
			if dialect == SQLite && !strings.Contains(err.Error(), "held by process") {
				t.Errorf("the refusal does not say who holds the lock: %v", err)
			}
			if sim.Count("getPostureInfoV5") != 0 {
				t.Error("a refused sync sent requests")
			}

			short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			_, err = other.Sync(short, client, WithLockWait(time.Minute))
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("waiting sync whose context ends: err = %v, want context.DeadlineExceeded", err)
			}

			time.AfterFunc(200*time.Millisecond, release)
			res, err := other.Sync(ctx, client, WithLockWait(time.Minute))
			if err != nil {
				t.Fatalf("waiting sync: %v", err)
			}
			if res.Records == 0 {
				t.Error("the waiting sync wrote nothing")
			}
		})
	}
}
