// Package qualystest is a fake Qualys API gateway for tests: an HTTPS
// server on the loopback interface that serves every operation of the CAR
// (/sm/...) and PCRS (/pcrs/...) OpenAPI documents of this module, plus
// /auth, from a generated, deterministic data set. Code that talks to
// Qualys can be tested against it without an account or credentials.
//
//	s := qualystest.NewServer(t, qualystest.WithHosts(500))
//	client := myapp.NewClient(s.URL, s.Username(), s.Password(), s.Client())
//
// # Fidelity
//
// Everything the simulator does follows the reference texts behind the
// specs: a 201 text JWT from /auth, 401 bodies per API ("JWT expired",
// "Not authenticated"), CAR envelopes and 0-based pageNumber paging,
// PCRS' classic 1905 errors on hostids and 404 for bad 0/1 flags on
// postureInfo, and postureInfo's default gzip body without a
// Content-Encoding header, streamed in chunks one host at a time.
//
// Every request is validated against the embedded documents (package
// spec); an invalid one gets the error Qualys gives for that API, never a
// 500. Every response is validated too, with every object closed to
// undeclared fields; a mismatch is a simulator bug, reported by
// ResponseErrors and failing the test that used NewServer.
//
// # Testing failure handling
//
// Fail queues faults for the next requests of an operation: HTTP errors
// (Status, HTMLError, Conflict, TooManyRequests), delays (Slow), and
// broken connections (ResetBeforeResponse, ResetAfterHeaders,
// ResetAfterBytes, TruncateBody). WithRateLimit enforces the gateway's
// per-API limit with its X-RateLimit-* headers, ExpireTokens expires every
// issued token, and Count tells how many requests an operation received,
// e.g. to prove that a non-idempotent call was sent exactly once.
//
// # Data
//
// Generate (and the sizing options WithHosts, WithPolicies,
// WithControlsPerPolicy, WithScripts, WithSeed) builds the data set;
// Server.Data returns what a server holds, so a test can check that a
// client read every record exactly once. Posture records are derived on
// demand from their policy, control and host, so data sets large enough
// for benchmarks (tens of megabytes of postures) cost little memory.
//
// # CAR state
//
// The CAR side is stateful. Created, updated and imported scripts appear
// in the scripts search; executeScript records a job and one finished
// asset job per target (EXECUTION PASSED, with what the script prints as
// base64 scriptResult), linked by the correlationUuid it returns, so a
// client can poll searchJobs and searchAssetJobs at once. Production runs
// skip excluded and blocked assets and assets carrying a blocked tag;
// test runs (testMode) accept lab assets and lab tags only. Blocked
// commands, assets and tags and lab assets change through their
// configuration calls; id-list calls report unknown ids in body.failure.
// Searches take the Qualys filter syntax (field:value, AND, OR,
// parentheses), a sort string holding a JSON array, and 0-based pages
// of 10 by default.
package qualystest
