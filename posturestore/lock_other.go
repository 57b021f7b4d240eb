//go:build !unix && !windows

package posturestore

import (
	"errors"
	"os"
)

// lockFile refuses: without a lock that dies with its process, two syncs
// could write one SQLite store at once. PostgreSQL stores work anywhere.
func lockFile(*os.File) (bool, error) {
	return false, errors.New("file locks are not available on this system; use a PostgreSQL store")
}

func unlockFile(*os.File) {}
