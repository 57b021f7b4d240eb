// Command qualys drives the Qualys CAR and PCRS APIs from a shell: script
// library, scripts, jobs and asset jobs, policies, host ids and posture
// records, and a local simulator to try it all without credentials.
//
//	QUALYS_PLATFORM=US2 QUALYS_USERNAME=acme_ab12 QUALYS_PASSWORD=... qualys car library list
//	qualys simulate
//
// Exit status: 0 on success, 1 on an API or network error, 2 on a usage
// error. Data goes to stdout (JSON lines by default), diagnostics to
// stderr. The password is read from QUALYS_PASSWORD or, with
// --password-stdin, from the first line of stdin; never from a flag.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}
