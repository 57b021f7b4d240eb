package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

func newJobsCmd(f *factory) *cobra.Command {
	return group("jobs", "List and show jobs, one per run of a script",
		newJobsListCmd(f, nil), newJobsGetCmd(f, nil))
}

var jobColumns = columns{{"ID", "id"}, {"SCRIPT", "scriptId"}, {"TITLE", "title"}, {"LANGUAGE", "scriptLanguage"},
	{"PLATFORM", "platform"}, {"TYPE", "executionType"}, {"TEST", "test"}, {"CREATED", "created.dateTime"}}

// jobsListOptions are the flags of 'car jobs list'.
type jobsListOptions struct {
	f    *factory
	list listFlags
}

func newJobsListCmd(f *factory, runF func(context.Context, *jobsListOptions) error) *cobra.Command {
	opts := &jobsListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Example: `  qualys car jobs list --limit 5 -o table
  qualys car jobs list --filter scriptId:32533`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, jobsListRun) },
	}
	opts.list.register(cmd.Flags(), "scriptId:32533")
	return cmd
}

func jobsListRun(ctx context.Context, opts *jobsListOptions) error {
	c, p, err := opts.f.setup(&opts.list, jobColumns)
	if err != nil {
		return err
	}
	search := append(searchOptions[qualys.JobsOption](&opts.list), qualys.WithSort("created.dateTime", qualys.Descending))
	return printAll(p, c.Jobs(ctx, search...), opts.list.limit, nil)
}

// jobsGetOptions are the flags of 'car jobs get'.
type jobsGetOptions struct {
	f  *factory
	id string
}

func newJobsGetCmd(f *factory, runF func(context.Context, *jobsGetOptions) error) *cobra.Command {
	opts := &jobsGetOptions{f: f}
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one job",
		Long: `Show one job. CAR publishes no call to read one job; this searches the jobs
with the filter id:ID. Its asset jobs: qualys car assetjobs list --job-id ID.`,
		Example: `  qualys car jobs get 29429 -o yaml`,
		Args:    exactArgs(1, "a job id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.id = args[0]
			return runWith(cmd, opts, runF, jobsGetRun)
		},
	}
}

func jobsGetRun(ctx context.Context, opts *jobsGetOptions) error {
	id, err := parseID("job id", opts.id)
	if err != nil {
		return err
	}
	c, p, err := opts.f.setup(nil, jobColumns)
	if err != nil {
		return err
	}
	for j, err := range c.Jobs(ctx, qualys.WithFilter(fmt.Sprintf("id:%d", id)), qualys.WithPageSize(10)) {
		if err != nil {
			return err
		}
		if err := p.record(j); err != nil {
			return err
		}
		return p.flush()
	}
	return fmt.Errorf("job %d not found", id)
}

func newAssetJobsCmd(f *factory) *cobra.Command {
	return group("assetjobs", "List asset jobs, the run of a job on one asset, with their output",
		newAssetJobsListCmd(f, nil))
}

var assetJobColumns = columns{{"ID", "id"}, {"JOB", "job.id"}, {"ASSET", "asset.id"}, {"NAME", "asset.name"},
	{"STATUS", "status"}, {"EXIT", "output.code"}, {"ENDED", "executionEndTime"}}

// assetJobsListOptions are the flags of 'car assetjobs list'.
type assetJobsListOptions struct {
	f       *factory
	list    listFlags
	jobID   string
	results bool
}

func newAssetJobsListCmd(f *factory, runF func(context.Context, *assetJobsListOptions) error) *cobra.Command {
	opts := &assetJobsListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List asset jobs, optionally with what the script printed",
		Example: `  qualys car assetjobs list --job-id 29429 --results -o table
  qualys car assetjobs list --filter "job.scriptLanguage:Shell" --limit 10`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, assetJobsListRun) },
	}
	opts.list.register(cmd.Flags(), "job.id:29429")
	cmd.Flags().StringVar(&opts.jobID, "job-id", "", "only the asset jobs of this job")
	cmd.Flags().BoolVar(&opts.results, "results", false, "add each run's decoded output (field scriptOutput)")
	return cmd
}

func assetJobsListRun(ctx context.Context, opts *assetJobsListOptions) error {
	filter := opts.list.filter
	if opts.jobID != "" {
		id, err := parseID("--job-id", opts.jobID)
		if err != nil {
			return err
		}
		filter = fmt.Sprintf("job.id:%d", id)
		if opts.list.filter != "" {
			filter += " AND (" + opts.list.filter + ")"
		}
	}
	cols := assetJobColumns
	if opts.results {
		// The output is what a person asked for: it comes before the ids.
		cols = columns{{"ID", "id"}, {"NAME", "asset.name"}, {"STATUS", "status"}, {"EXIT", "output.code"},
			{"OUTPUT", "scriptOutput"}, {"JOB", "job.id"}, {"ASSET", "asset.id"}, {"ENDED", "executionEndTime"}}
	}
	c, p, err := opts.f.setup(&opts.list, cols)
	if err != nil {
		return err
	}
	search := searchOptions[qualys.AssetJobsOption](&opts.list)
	if filter != "" {
		search = append(search, qualys.WithFilter(filter))
	}
	if !opts.results {
		return printAll(p, c.AssetJobs(ctx, search...), opts.list.limit, nil)
	}
	search = append(search, qualys.WithScriptResult())
	return printAll(p, c.AssetJobs(ctx, search...), opts.list.limit, func(j assetJob) (any, error) {
		out, err := qualys.ScriptResult(j)
		if err != nil {
			out = nil // a run without output (still running, or none kept)
		}
		return withField(j, "scriptOutput", string(out))
	})
}
