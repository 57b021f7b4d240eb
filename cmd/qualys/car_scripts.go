package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

func newScriptsCmd(f *factory) *cobra.Command {
	return group("scripts", "List, show, create, update and run the account's scripts",
		newScriptsListCmd(f, nil), newScriptsGetCmd(f, nil), newScriptsCreateCmd(f, nil), newScriptsUpdateCmd(f, nil), newScriptsRunCmd(f, nil))
}

var scriptColumns = columns{{"ID", "id"}, {"TITLE", "title"}, {"LANGUAGE", "language"}, {"PLATFORM", "platform"},
	{"TYPE", "type"}, {"STATUS", "status"}, {"LAST RUN", "lastExecutedDateTime"}, {"UPDATED", "updated.dateTime"}}

// scriptsListOptions are the flags of 'car scripts list'.
type scriptsListOptions struct {
	f    *factory
	list listFlags
}

func newScriptsListCmd(f *factory, runF func(context.Context, *scriptsListOptions) error) *cobra.Command {
	opts := &scriptsListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the account's scripts",
		Example: `  qualys car scripts list -o table
  qualys car scripts list --filter "language:PowerShell-Script" --limit 10
  qualys car scripts list --fields id,title,language.name -o csv`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWith(cmd, opts, runF, scriptsListRun)
		},
	}
	opts.list.register(cmd.Flags(), `"language:PowerShell-Script" or "type:Custom Script"`)
	return cmd
}

func scriptsListRun(ctx context.Context, opts *scriptsListOptions) error {
	c, p, err := opts.f.setup(&opts.list, scriptColumns)
	if err != nil {
		return err
	}
	return printAll(p, c.Scripts(ctx, searchOptions[qualys.ScriptsOption](&opts.list)...), opts.list.limit, nil)
}

// runWith runs a command's run function (or the test's stand-in) with
// the context of --timeout, after the arguments were checked.
func runWith[O any](cmd *cobra.Command, opts *O, runF, run func(context.Context, *O) error) error {
	if runF != nil {
		run = runF
	}
	return run(cmd.Context(), opts)
}

// setup checks the list flags and builds the client and the printer:
// every usage or configuration error comes out here, before any request.
func (f *factory) setup(l *listFlags, cols columns) (*qualys.Client, *printer, error) {
	if l != nil {
		if err := l.check(); err != nil {
			return nil, nil, err
		}
	}
	p, err := f.printer(cols)
	if err != nil {
		return nil, nil, err
	}
	c, err := f.client()
	if err != nil {
		return nil, nil, err
	}
	f.ran = true
	return c, p, nil
}

// scriptsGetOptions are the flags of 'car scripts get'.
type scriptsGetOptions struct {
	f  *factory
	id string
}

func newScriptsGetCmd(f *factory, runF func(context.Context, *scriptsGetOptions) error) *cobra.Command {
	opts := &scriptsGetOptions{f: f}
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one script",
		Long: `Show one script of the account. CAR publishes no call to read one script;
this searches the scripts with the filter id:ID.`,
		Example: `  qualys car scripts get 32533 -o yaml`,
		Args:    exactArgs(1, "a script id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.id = args[0]
			return runWith(cmd, opts, runF, scriptsGetRun)
		},
	}
}

func scriptsGetRun(ctx context.Context, opts *scriptsGetOptions) error {
	id, err := parseID("script id", opts.id)
	if err != nil {
		return err
	}
	c, p, err := opts.f.setup(nil, scriptColumns)
	if err != nil {
		return err
	}
	for s, err := range c.Scripts(ctx, qualys.WithFilter(fmt.Sprintf("id:%d", id)), qualys.WithPageSize(10)) {
		if err != nil {
			return err
		}
		if err := p.record(s); err != nil {
			return err
		}
		return p.flush()
	}
	return fmt.Errorf("script %d not found", id)
}

// scriptWriteOptions are the flags of 'car scripts create' and 'update'.
type scriptWriteOptions struct {
	f           *factory
	id          string // update only
	file        string
	contentFile string
}

const maxScriptSize = 500 << 10 // CAR's limit on a script

func (o *scriptWriteOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.file, "file", "f", "", "JSON or YAML file with the request body, as the API takes it (- for stdin)")
	cmd.Flags().StringVar(&o.contentFile, "content-file", "", "the script itself; its text replaces the body's base64 content")
}

// content reads --content-file, within CAR's script size limit.
func (o *scriptWriteOptions) content() (wire.Base64, error) {
	if o.contentFile == "" {
		return wire.Base64{}, nil
	}
	st, err := os.Stat(o.contentFile)
	if err != nil {
		return wire.Base64{}, usagef("--content-file: %s", clean(err.Error()))
	}
	if st.Size() > maxScriptSize {
		return wire.Base64{}, usagef("--content-file: %d bytes; CAR takes scripts up to 500 KB", st.Size())
	}
	b, err := os.ReadFile(o.contentFile)
	if err != nil {
		return wire.Base64{}, usagef("--content-file: %s", clean(err.Error()))
	}
	return wire.EncodeBase64(b), nil
}

func newScriptsCreateCmd(f *factory, runF func(context.Context, *scriptWriteOptions) error) *cobra.Command {
	opts := &scriptWriteOptions{f: f}
	cmd := &cobra.Command{
		Use:   "create --file BODY [--content-file SCRIPT]",
		Short: "Create a script from a file",
		Long: `Create a script (createScriptV5). The body file holds the request as the
API documents it (title, typeId, languageId, platform, categoryId, ...); the
script itself comes from --content-file or the body's base64 "content".
The body is checked against the API document before it is sent.`,
		Example: `  cat > body.yaml <<EOF
  title: Collect event logs
  typeId: 1
  languageId: 4
  platform: WINDOWS
  categoryId: 7
  EOF
  qualys car scripts create --file body.yaml --content-file collect.ps1`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, scriptsCreateRun) },
	}
	opts.register(cmd)
	return cmd
}

func scriptsCreateRun(ctx context.Context, opts *scriptWriteOptions) error {
	var body car.ScriptCreateV5
	if err := readBodyFile(opts.f, opts.file, "createScriptV5", &body); err != nil {
		return err
	}
	content, err := opts.content()
	if err != nil {
		return err
	}
	if !content.IsZero() {
		body.Content = content
	}
	if body.Content.IsZero() && body.GithubInputURL == "" && body.GitHubRepo == "" {
		return usagef("a script needs its content: --content-file, or content (base64) or a GitHub source in %s", opts.file)
	}
	c, p, err := opts.f.setup(nil, columns{{"ID", "id"}, {"MESSAGE", "message"}})
	if err != nil {
		return err
	}
	out, err := carCall("creating the script", func() (*http.Response, error) { return c.CAR.CreateScriptV5(ctx, body) })
	if err != nil {
		return err
	}
	return printBody(p, out)
}

func newScriptsUpdateCmd(f *factory, runF func(context.Context, *scriptWriteOptions) error) *cobra.Command {
	opts := &scriptWriteOptions{f: f}
	cmd := &cobra.Command{
		Use:   "update ID [--file BODY] [--content-file SCRIPT]",
		Short: "Update a script from a file",
		Long: `Update a script (updateScriptV4). The body file holds the fields to change, as
the API documents them; --content-file replaces the script's text.`,
		Example: `  qualys car scripts update 32533 --content-file collect.ps1
  echo 'comment: raise the timeout' | qualys car scripts update 32533 --file - --content-file collect.ps1`,
		Args: exactArgs(1, "a script id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.id = args[0]
			return runWith(cmd, opts, runF, scriptsUpdateRun)
		},
	}
	opts.register(cmd)
	return cmd
}

func scriptsUpdateRun(ctx context.Context, opts *scriptWriteOptions) error {
	id, err := parseID("script id", opts.id)
	if err != nil {
		return err
	}
	var body car.ScriptUpdateV4
	if opts.file != "" {
		if err := readBodyFile(opts.f, opts.file, "updateScriptV4", &body); err != nil {
			return err
		}
	} else if opts.contentFile == "" {
		return usagef("nothing to update: give --file with the fields to change, or --content-file")
	}
	content, err := opts.content()
	if err != nil {
		return err
	}
	if !content.IsZero() {
		body.Content = content
	}
	c, p, err := opts.f.setup(nil, columns{{"ID", "id"}, {"MESSAGE", "message"}})
	if err != nil {
		return err
	}
	out, err := carCall(fmt.Sprintf("updating script %d", id), func() (*http.Response, error) { return c.CAR.UpdateScriptV4(ctx, wire.NewID(id), body) })
	if err != nil {
		return err
	}
	return printBody(p, out)
}

// scriptsRunOptions are the flags of 'car scripts run'.
type scriptsRunOptions struct {
	f                      *factory
	id                     string
	assets, tags, excluded []string
	test, wait, exitStatus bool
	description            string
	pollMin, pollMax       time.Duration
	maxWait                time.Duration
	limit                  int
}

func newScriptsRunCmd(f *factory, runF func(context.Context, *scriptsRunOptions) error) *cobra.Command {
	opts := &scriptsRunOptions{f: f}
	cmd := &cobra.Command{
		Use:   "run ID (--asset-ids IDS | --tag-ids IDS) [--wait]",
		Short: "Run a script on assets now, and wait for what it printed",
		Long: `Run a script now on assets and assets carrying tags. Without --wait it prints
the run's correlation UUID; with --wait it follows the run until every asset
is done and prints one row per asset: status, exit code, duration and the
script's output. Assets CAR did not run the script on (blocked assets or
tags, excluded assets) are listed with the reason.

--test runs in test mode on lab assets: give lab assets as ID:AGENT_UUID and
lab tags by id (their UUIDs are looked up).`,
		Example: `  qualys car scripts run 32533 --asset-ids 22467561,22467562 --wait
  qualys car scripts run 32533 --tag-ids 16245104 --exclude-ids 22467563 --wait -o table
  qualys car scripts run 32533 --test --tag-ids 11562852 --wait
  qualys car scripts run 32533 --asset-ids 22467561 --wait --exit-status -o json > runs.json`,
		Args: exactArgs(1, "a script id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.id = args[0]
			return runWith(cmd, opts, runF, scriptsRunRun)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.assets, "asset-ids", nil, "asset ids to run on, comma-separated (test mode: ID:AGENT_UUID)")
	fl.StringSliceVar(&opts.tags, "tag-ids", nil, "asset tag ids whose assets to run on, comma-separated")
	fl.StringSliceVar(&opts.excluded, "exclude-ids", nil, "asset ids to leave out, comma-separated")
	fl.BoolVar(&opts.test, "test", false, "test mode: run on lab assets and lab tags only")
	fl.BoolVar(&opts.wait, "wait", false, "wait for every asset and print its output")
	fl.BoolVar(&opts.exitStatus, "exit-status", false, "with --wait, exit with status 1 when an asset failed or did not run")
	fl.StringVar(&opts.description, "description", "", "description of the run")
	fl.DurationVar(&opts.pollMin, "poll-interval", 2*time.Second, "first wait between two polls with --wait (it grows while nothing changes)")
	fl.DurationVar(&opts.pollMax, "max-poll-interval", 30*time.Second, "longest wait between two polls with --wait")
	fl.IntVar(&opts.limit, "limit", 0, "with --wait, stop after this many assets (0: all)")
	fl.DurationVar(&opts.maxWait, "max-wait", time.Hour, "with --wait, stop waiting after this long (the run goes on in CAR)")
	return cmd
}

var runColumns = columns{{"ASSET", "assetId"}, {"NAME", "assetName"}, {"STATUS", "status"}, {"EXIT", "exitCode"},
	{"OUTPUT OR REASON", "output|reason"}, {"DURATION", "duration"}}

// runRecord is how an asset's run prints.
type runRecord struct {
	AssetID    string `json:"assetId"`
	AssetName  string `json:"assetName,omitempty"`
	Address    string `json:"address,omitempty"`
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	ExitCode   *int64 `json:"exitCode,omitempty"` // none for a skipped asset
	Duration   string `json:"duration,omitempty"`
	Started    string `json:"started,omitempty"`
	Ended      string `json:"ended,omitempty"`
	Output     string `json:"output"`
	JobID      string `json:"jobId,omitempty"`
	AssetJobID string `json:"assetJobId,omitempty"`
}

func runRecordOf(r qualys.AssetRun) runRecord {
	rec := runRecord{AssetID: r.AssetID.String(), AssetName: r.AssetName, Address: r.Address, Status: r.Status, Reason: r.Reason,
		Output: string(r.Output), JobID: idText(r.JobID), AssetJobID: idText(r.AssetJobID)}
	if !r.AssetJobID.IsZero() {
		rec.ExitCode = &r.ExitCode
	}
	if r.Duration > 0 {
		rec.Duration = r.Duration.Round(time.Millisecond).String()
	}
	if !r.Started.IsZero() {
		rec.Started = r.Started.Format(time.RFC3339Nano)
	}
	if !r.Ended.IsZero() {
		rec.Ended = r.Ended.Format(time.RFC3339Nano)
	}
	return rec
}

func idText(id wire.ID) string {
	if id.IsZero() {
		return ""
	}
	return id.String()
}

// execution builds the run's targets from the flags; in test mode, lab
// tags are looked up for their UUIDs, which needs the client.
func (o *scriptsRunOptions) execution() (qualys.Execution, error) {
	e := qualys.Execution{Test: o.test, Description: o.description}
	excluded, err := parseIDs("--exclude-ids", o.excluded)
	if err != nil {
		return e, err
	}
	e.ExcludedAssetIDs = wireIDs(excluded)
	if len(o.assets) == 0 && len(o.tags) == 0 {
		return e, usagef("name where to run: --asset-ids or --tag-ids")
	}
	if !o.test {
		assets, err := parseIDs("--asset-ids", o.assets)
		if err != nil {
			return e, err
		}
		tags, err := parseIDs("--tag-ids", o.tags)
		e.AssetIDs, e.AssetTagIDs = wireIDs(assets), wireIDs(tags)
		return e, err
	}
	for _, a := range o.assets {
		for _, part := range strings.Split(a, ",") {
			id, uuid, ok := strings.Cut(strings.TrimSpace(part), ":")
			if !ok || uuid == "" {
				return e, usagef("--asset-ids %q: test runs name lab assets as ID:AGENT_UUID", part)
			}
			n, err := parseID("--asset-ids", id)
			if err != nil {
				return e, err
			}
			e.TestAssets = append(e.TestAssets, car.TargetRef{ID: wire.NewID(n), UUID: uuid})
		}
	}
	return e, nil
}

// labTags adds the lab tags of a test run with their UUIDs, as CAR lists
// them.
func (o *scriptsRunOptions) labTags(ctx context.Context, c *qualys.Client, e *qualys.Execution) error {
	ids, err := parseIDs("--tag-ids", o.tags)
	if err != nil || len(ids) == 0 {
		return err
	}
	found := map[int64]string{}
	for t, err := range c.AssetTags(ctx) {
		if err != nil {
			return err
		}
		if id, uuid := tagView(t); id != 0 {
			found[id] = uuid
		}
	}
	for _, id := range ids {
		uuid, ok := found[id]
		if !ok {
			return fmt.Errorf("tag %d is not among the asset tags CAR lists (qualys car tags list)", id)
		}
		e.TestTags = append(e.TestTags, car.TargetRef{ID: wire.NewID(id), UUID: uuid})
	}
	return nil
}

// tagView reads a tag's Qualys id and UUID.
func tagView(t car.AssetTag) (int64, string) {
	id, err := t.TagID.Int64()
	if err != nil || t.TagUUID == "" {
		return 0, ""
	}
	return id, t.TagUUID
}

// runProgress shows each poll of a script's run on the progress display.
func runProgress(prog *progress, script int64) func(qualys.RunProgress) {
	return func(s qualys.RunProgress) {
		text := fmt.Sprintf("script %d: %d done, %d running", script, s.Done, s.Running)
		if s.JobID.IsZero() {
			text = fmt.Sprintf("script %d: waiting for CAR to create the job", script)
		}
		if s.RateLimited {
			text += fmt.Sprintf("; waiting %s on the CAR rate limit", s.NextPoll.Round(time.Second))
		}
		prog.update(s.Done, max(s.Expected, s.Done+s.Running), text)
	}
}

func scriptsRunRun(ctx context.Context, opts *scriptsRunOptions) error {
	id, err := parseID("script id", opts.id)
	if err != nil {
		return err
	}
	e, err := opts.execution()
	if err != nil {
		return err
	}
	switch {
	case opts.pollMin <= 0 || opts.pollMax < opts.pollMin:
		return usagef("--poll-interval %s and --max-poll-interval %s: want 0 < poll interval <= max", opts.pollMin, opts.pollMax)
	case opts.limit < 0:
		return usagef("--limit %d: must not be negative", opts.limit)
	case opts.exitStatus && !opts.wait:
		return usagef("--exit-status needs --wait")
	case opts.maxWait <= 0:
		return usagef("--max-wait %s: must be positive", opts.maxWait)
	}
	cols := runColumns
	if !opts.wait {
		cols = columns{{"SCRIPT", "scriptId"}, {"CORRELATION UUID", "correlationUuid"}}
	}
	prog, err := opts.f.newProgress()
	if err != nil {
		return err
	}
	c, p, err := opts.f.setup(nil, cols)
	if err != nil {
		return err
	}
	if opts.test {
		if err := opts.labTags(ctx, c, &e); err != nil {
			return err
		}
	}
	if !opts.wait {
		uuid, err := c.ExecuteScript(ctx, wire.NewID(id), e)
		if err != nil {
			return err
		}
		if err := p.record(map[string]any{"scriptId": id, "correlationUuid": uuid}); err != nil {
			return err
		}
		fmt.Fprintf(opts.f.stderr, "Started. Add --wait to follow the run to its output, or list its jobs: qualys car jobs list --filter scriptId:%d\n", id)
		return p.flush()
	}
	p.w, p.errW = prog.writer(p.w), prog.writer(p.errW)
	// However long CAR takes, the wait ends: the run itself goes on.
	outer := ctx
	ctx, cancel := context.WithTimeout(ctx, opts.maxWait)
	defer cancel()
	stop := prog.keepAlive(ctx)
	defer stop()
	prog.set(fmt.Sprintf("script %d: starting", id))
	var passed, failed, skipped, n int
	e.PollInterval, e.MaxPollInterval = opts.pollMin, opts.pollMax
	e.Progress = runProgress(prog, id)
	for r, err := range c.RunScriptResults(ctx, wire.NewID(id), e) {
		if err != nil && r.AssetJobID.IsZero() {
			stop()
			p.flush()
			if errors.Is(err, context.DeadlineExceeded) && outer.Err() == nil {
				return fmt.Errorf("stopped waiting after --max-wait %s; the run goes on in CAR: %w", opts.maxWait, err)
			}
			return err
		}
		if err != nil {
			fmt.Fprintf(p.errW, "qualys: asset %s: %s\n", r.AssetID, clean(err.Error()))
		}
		switch {
		case r.Status == "SKIPPED":
			skipped++
		case strings.Contains(strings.ToUpper(r.Status), "PASS") || strings.Contains(strings.ToUpper(r.Status), "SUCCESS"):
			passed++
		default:
			failed++
		}
		if err := p.record(runRecordOf(r)); err != nil {
			return err
		}
		if n++; opts.limit > 0 && n >= opts.limit {
			break
		}
	}
	stop()
	if err := p.flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.f.stderr, "%d asset(s): %d passed, %d failed, %d skipped\n", passed+failed+skipped, passed, failed, skipped)
	if opts.exitStatus && failed+skipped > 0 {
		return fmt.Errorf("script %d: %d asset(s) failed and %d did not run", id, failed, skipped)
	}
	return nil
}
