package qualys

import "time"

// Retry is a request the client is about to send again, and why: the
// server throttled it, answered 5xx, or rejected the token, or the
// connection or the token request failed. WithRetryHook passes it on
// before the wait, so that no wait needs to be silent.
type Retry struct {
	Operation string        // method and path, e.g. "POST /sm/v1/jobs/search"
	Attempt   int           // the attempt that failed, from 1
	Reason    string        // what failed, e.g. "HTTP 503" or "connection error"
	Wait      time.Duration // before the next attempt; zero when it goes at once
	// Throttled says the server's rate limit asked for the wait (429, or
	// 409 with Qualys code 1960 or 1965).
	Throttled bool
}

// retried tells the hook, if any, about a re-send.
func (t *authTransport) retried(r Retry) {
	if t.onRetry != nil {
		t.onRetry(r)
	}
}
