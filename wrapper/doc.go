// Package qualys is the Qualys SDK for Go: one [Client] for the CAR
// (Custom Assessment and Remediation, /sm/...) and PCRS (Policy Compliance
// Reporting Service, /pcrs/...) APIs, with authentication, retries, rate
// limits and typed errors built in.
//
//	import qualys "github.com/qualyskit/qualys-go/wrapper"
//
//	client, err := qualys.NewClient() // QUALYS_PLATFORM, QUALYS_USERNAME, QUALYS_PASSWORD
//	for s, err := range client.LibraryScripts(ctx) {
//		...
//	}
//
// # The client
//
// [NewClient] takes [Option] values: where the gateway is ([WithPlatform],
// [WithGatewayURL], or the environment), who logs in ([WithCredentials], or
// QUALYS_USERNAME and QUALYS_PASSWORD), and how hard to try
// ([WithMaxRetries], [WithAttemptTimeout], [WithPCRSRateLimit]). The
// client fetches a JWT on the first call and renews it before it expires
// or after a 401. Reads are retried after throttling, 5xx answers and lost
// connections; a call that changes something (execute, import, create) is
// never sent twice. [Platforms] lists the Qualys platforms and their
// gateways.
//
// Every operation of both APIs is on [Client].CAR and [Client].PCRS, the
// generated clients, already authenticated; the methods of Client add what
// the generated code cannot.
//
// # Lists are iterators
//
// Every list is an iter.Seq2 of records and errors that fetches pages on
// demand: [Client.Scripts], [Client.LibraryScripts], [Client.Jobs],
// [Client.AssetJobs], [Client.Schedules], [Client.AssetTags] and
// [Client.Policies]. An error is yielded once and ends the sequence;
// breaking out of the loop stops fetching.
//
// Each search takes only the options it supports ([ScriptsOption],
// [JobsOption], ...): [WithFilter], [WithPageSize] and [WithSort] fit
// every search, [WithScriptContent] only the library, [WithScriptResult]
// only asset jobs, so an option a search cannot honour does not compile.
//
// Ids are [wire.ID] values everywhere: an id read from one call goes
// straight into the next, whether Qualys sent it as "1039" or 1039.
//
// # Running a script
//
// [Client.RunScript] runs a script now ([Execution]: assets, tags, or lab
// assets and lab tags in test mode) and waits for it: one [AssetRun] per
// asset with its status, decoded output, exit code and timings, and the
// assets CAR did not run it on with the reason. [Client.RunScriptResults]
// yields each asset as it finishes; [Client.ExecuteScript] only starts the
// run. Polls back off while nothing changes and slow down to stay inside
// the rate limit (Execution.PollInterval). After each poll,
// Execution.Progress is called with a [RunProgress] (assets done and
// running, the next wait and whether the rate limit stretched it), on the
// caller's goroutine and never after the call returns. The context ends
// the wait.
//
// # Watching retries
//
// [WithRetryHook] tells a program each request the client sends again, with
// the reason and the wait ([Retry]), so that a command-line tool or a
// service can say why it is waiting. [WithLogger] logs every request,
// retry and poll at debug level, for people to read.
//
// # Posture
//
// [Client.PostureStream] streams the records of one postureInfo request
// while they arrive, in memory that does not grow with the answer;
// [Client.FetchPosture] resolves the host ids of whole policies, splits
// them into batches, fetches the batches in parallel within the rate
// limit and yields one stream ([PostureQuery], [FetchOption]).
// [PostureFilter] selects records by status ([Passed], [Failed],
// [Errored]), criticality and dates.
//
// # Errors
//
// An HTTP error is an [*APIError], matched with errors.Is against
// [ErrUnauthorized], [ErrRateLimited], [ErrNotFound], [ErrServer] and the
// other sentinels; [*RateLimitError] says how long to wait. A body that is
// not what the API documents wraps [ErrUnexpectedBody]. Errors never carry
// a password or token, whatever the server echoes.
//
// # Script content
//
// Qualys sends script text and script output as base64:
// [ScriptContent], [LibraryScriptContent] and [ScriptResult] decode them,
// naming the record when a value is not valid base64.
//
// # Testing
//
// Package github.com/qualyskit/qualys-go/qualystest runs a fake Qualys
// gateway on loopback that this client can use without credentials
// ([WithHTTPClient] with the server's client).
package qualys
