// Command qualys drives the Qualys CAR and PCRS APIs from a shell: scripts
// run on assets with their output, the script library, jobs and asset
// jobs, schedules, blocked commands, assets and tags; compliance policies,
// host ids and posture; and a local simulator to try it all without
// credentials.
//
//	qualys configure --platform US2 --username acme_ab12
//	QUALYS_PASSWORD=... qualys car scripts run 32533 --asset-ids 22467561 --wait
//	qualys simulate
//
// Exit status: 0 on success, 1 on an API or network error, 2 on a usage
// or configuration error (reported before any request). Data goes to
// stdout, diagnostics and progress to stderr. The password is read from
// QUALYS_PASSWORD or, with --password-stdin, from the first line of stdin;
// never from a flag or a file.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		width: stdoutWidth(os.Stdout, os.Getenv), stdoutTerminal: isTerminal(os.Stdout), stderrTerminal: isTerminal(os.Stderr),
		keyring: systemKeyring(os.Getenv)}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}
