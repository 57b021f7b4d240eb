package main

import (
	"context"
	"flag"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// searchFlags are the flags of every list command.
type searchFlags struct {
	filter   string
	pageSize int
	limit    int
}

func (s *searchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.filter, "filter", "", "Qualys query, e.g. language:PowerShell-Script")
	fs.IntVar(&s.pageSize, "page-size", 100, "records per request (all pages are read)")
	fs.IntVar(&s.limit, "limit", 0, "stop after this many records (0: all)")
}

// printAll prints the records of a search, up to limit.
func printAll[T any](c *cli, seq iter.Seq2[T, error], limit int, each func(T) error) error {
	n := 0
	for rec, err := range seq {
		if err != nil {
			return err
		}
		if each != nil {
			if err := each(rec); err != nil {
				return err
			}
		} else if err := c.out.record(rec); err != nil {
			return err
		}
		if n++; limit > 0 && n >= limit {
			break
		}
	}
	return nil
}

// listCommand builds a "car ... list" command from a search that takes
// the common filter and page size.
func listCommand[T any](search func(ctx context.Context, c *qualys.Client, filter string, pageSize int32) iter.Seq2[T, error]) *command {
	var sf searchFlags
	return &command{
		flags: sf.register,
		run: func(ctx context.Context, c *cli, _ []string) error {
			if sf.pageSize <= 0 || sf.limit < 0 {
				return usagef("--page-size must be positive and --limit not negative")
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			return printAll(c, search(ctx, client, sf.filter, int32(sf.pageSize)), sf.limit, nil)
		},
	}
}

func scriptsListCommand() *command {
	return listCommand(func(ctx context.Context, c *qualys.Client, filter string, size int32) iter.Seq2[car.Script, error] {
		return c.Scripts(ctx, qualys.WithFilter(filter), qualys.WithPageSize(size))
	})
}

func libraryListCommand() *command {
	return listCommand(func(ctx context.Context, c *qualys.Client, filter string, size int32) iter.Seq2[car.LibraryScript, error] {
		return c.LibraryScripts(ctx, qualys.WithFilter(filter), qualys.WithPageSize(size))
	})
}

func jobsListCommand() *command {
	return listCommand(func(ctx context.Context, c *qualys.Client, filter string, size int32) iter.Seq2[car.Job, error] {
		return c.Jobs(ctx, qualys.WithFilter(filter), qualys.WithPageSize(size))
	})
}

func assetJobsListCommand() *command {
	var sf searchFlags
	var jobID int64
	var results bool
	return &command{
		flags: func(fs *flag.FlagSet) {
			sf.register(fs)
			fs.Int64Var(&jobID, "job-id", 0, "only the asset jobs of this job")
			fs.BoolVar(&results, "results", false, "print each run's decoded script output")
		},
		run: func(ctx context.Context, c *cli, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			filter := sf.filter
			if jobID > 0 {
				filter = strings.TrimSpace(fmt.Sprintf("job.id:%d", jobID) + andFilter(filter))
			}
			opts := []qualys.AssetJobsOption{qualys.WithPageSize(int32(sf.pageSize)), qualys.WithFilter(filter)}
			if !results {
				return printAll(c, client.AssetJobs(ctx, opts...), sf.limit, nil)
			}
			opts = append(opts, qualys.WithScriptResult())
			return printAll(c, client.AssetJobs(ctx, opts...), sf.limit, func(j car.AssetJob) error {
				out, err := qualys.ScriptResult(j)
				if err != nil {
					return err
				}
				return c.out.record(map[string]any{"id": j.ID, "status": j.Status, "asset": j.Asset, "output": string(out)})
			})
		},
	}
}

func andFilter(f string) string {
	if f == "" {
		return ""
	}
	return " AND (" + f + ")"
}

// idArg parses the positional id of a command.
func idArg(args []string) (wire.ID, error) {
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return wire.ID{}, usagef("%q is not an id", args[0])
	}
	return wire.NewID(id), nil
}

func libraryGetCommand() *command {
	var content bool
	return &command{
		args:  1,
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&content, "content", false, "print only the decoded script text") },
		run: func(ctx context.Context, c *cli, args []string) error {
			id, err := idArg(args)
			if err != nil {
				return err
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			s, err := client.LibraryScript(ctx, id)
			if err != nil {
				return err
			}
			if !content {
				return c.out.record(s)
			}
			text, err := qualys.LibraryScriptContent(s)
			if err != nil {
				return err
			}
			_, err = c.stdout.Write(text)
			return err
		},
	}
}

func libraryImportCommand() *command {
	var title string
	var category int64
	var approved bool
	return &command{
		args: 1,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&title, "title", "", "title of the new account script (required)")
			fs.Int64Var(&category, "category", 0, "category id of the new script (required)")
			fs.BoolVar(&approved, "approved", false, "create the script already approved")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			id, err := idArg(args)
			if err != nil {
				return err
			}
			if title == "" || category <= 0 {
				return usagef("library import needs --title and --category")
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			newID, err := client.ImportLibraryScript(ctx, qualys.Import{LibraryID: id, Title: title, CategoryID: category, Approved: approved})
			if err != nil {
				return err
			}
			return c.out.record(map[string]any{"libraryId": id, "scriptId": newID})
		},
	}
}

func scriptsRunCommand() *command {
	var assets, tags, excluded string
	return &command{
		args: 1,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&assets, "asset-ids", "", "comma-separated asset ids to run on")
			fs.StringVar(&tags, "tag-ids", "", "comma-separated asset tag ids to run on")
			fs.StringVar(&excluded, "exclude-ids", "", "comma-separated asset ids to skip")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			id, err := idArg(args)
			if err != nil {
				return err
			}
			var e qualys.Execution
			for _, l := range []struct {
				flag string
				in   string
				out  *[]wire.ID
			}{{"--asset-ids", assets, &e.AssetIDs}, {"--tag-ids", tags, &e.AssetTagIDs}, {"--exclude-ids", excluded, &e.ExcludedAssetIDs}} {
				if *l.out, err = parseIDs(l.flag, l.in); err != nil {
					return err
				}
			}
			if len(e.AssetIDs) == 0 && len(e.AssetTagIDs) == 0 {
				return usagef("scripts run needs --asset-ids or --tag-ids")
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			uuid, err := client.ExecuteScript(ctx, id, e)
			if err != nil {
				return err
			}
			return c.out.record(map[string]any{"scriptId": id, "correlationUuid": uuid})
		},
	}
}

func parseIDs(flagName, s string) ([]wire.ID, error) {
	var out []wire.ID
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, usagef("%s: %q is not an id", flagName, part)
		}
		out = append(out, wire.NewID(id))
	}
	return out, nil
}
