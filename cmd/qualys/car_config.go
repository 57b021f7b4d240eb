package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// Schedules.

func newSchedulesCmd(f *factory) *cobra.Command {
	return group("schedules", "List and update script schedules",
		newSchedulesListCmd(f, nil), newSchedulesUpdateCmd(f, nil))
}

var scheduleColumns = columns{{"ID", "id"}, {"TITLE", "title"}, {"TYPE", "scheduleType"}, {"ACTIVE", "activate"},
	{"START", "startDate"}, {"END", "endDate"}, {"SCRIPTS", "scripts"}}

// schedulesListOptions are the flags of 'car schedules list'.
type schedulesListOptions struct {
	f    *factory
	list listFlags
}

func newSchedulesListCmd(f *factory, runF func(context.Context, *schedulesListOptions) error) *cobra.Command {
	opts := &schedulesListOptions{f: f}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List script schedules",
		Example: `  qualys car schedules list -o table`,
		Args:    exactArgs(0),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, schedulesListRun) },
	}
	opts.list.register(cmd.Flags(), "scheduleType:RECURRING")
	return cmd
}

func schedulesListRun(ctx context.Context, opts *schedulesListOptions) error {
	c, p, err := opts.f.setup(&opts.list, scheduleColumns)
	if err != nil {
		return err
	}
	return printAll(p, c.Schedules(ctx, searchOptions[qualys.SchedulesOption](&opts.list)...), opts.list.limit, nil)
}

// schedulesUpdateOptions are the flags of 'car schedules update'.
type schedulesUpdateOptions struct {
	f        *factory
	id, file string
}

func newSchedulesUpdateCmd(f *factory, runF func(context.Context, *schedulesUpdateOptions) error) *cobra.Command {
	opts := &schedulesUpdateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "update ID --file BODY",
		Short: "Update a schedule from a file",
		Long: `Update a schedule (updateSchedule). The body file holds the request as the API
documents it: title, scheduleType (ONE_TIME or RECURRING), scripts, startDate,
startTime and the targets. It is checked against the API document first.`,
		Example: `  qualys car schedules update 5f0d6c2e-3b1a-4e8f-9a51-0c7f2d9e4b11 --file schedule.yaml`,
		Args:    exactArgs(1, "a schedule id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.id = args[0]
			return runWith(cmd, opts, runF, schedulesUpdateRun)
		},
	}
	cmd.Flags().StringVarP(&opts.file, "file", "f", "", "JSON or YAML file with the request body (- for stdin)")
	return cmd
}

func schedulesUpdateRun(ctx context.Context, opts *schedulesUpdateOptions) error {
	if !uuidText.MatchString(opts.id) {
		return usagef("schedule id %q: want a UUID such as 5f0d6c2e-3b1a-4e8f-9a51-0c7f2d9e4b11", opts.id)
	}
	var body car.ScheduleUpdate
	if err := readBodyFile(opts.f, opts.file, "updateSchedule", &body); err != nil {
		return err
	}
	c, p, err := opts.f.setup(nil, columns{{"ID", "id"}, {"MESSAGE", "message"}})
	if err != nil {
		return err
	}
	out, err := carCall("updating schedule "+opts.id, func() (*http.Response, error) { return c.CAR.UpdateSchedule(ctx, wire.IDFromString(opts.id), body) })
	if err != nil {
		return err
	}
	return printBody(p, out)
}

// Blocked commands.

func newBlockedCommandsCmd(f *factory) *cobra.Command {
	return group("blocked-commands", "Show and change the commands scripts may not run (CAR Manager role)",
		newBlockedGetCmd(f, nil), newBlockedWriteCmd(f, "create", nil), newBlockedWriteCmd(f, "update", nil), newBlockedDeleteCmd(f, nil))
}

var blockedColumns = columns{{"COMMAND ID", "commandId"}, {"LANGUAGE ID", "languageId"}, {"PLATFORM", "platform"},
	{"LANGUAGE", "language"}, {"COMMANDS", "commands"}}

// blockedOptions are the flags of the blocked-commands commands.
type blockedOptions struct {
	f           *factory
	action      string
	languageID  string
	commandID   string
	commands    []string
	languageIDs []string
	commandIDs  []string
}

func newBlockedGetCmd(f *factory, runF func(context.Context, *blockedOptions) error) *cobra.Command {
	opts := &blockedOptions{f: f, action: "get"}
	return &cobra.Command{
		Use:   "get LANGUAGE_ID",
		Short: "Show the blocked commands of a platform and language",
		Long: `Show the blocked commands of a platform and language id (e.g. 201,
PowerShell-Command on Windows). Qualys ends this API in June 2026; its
replacement is not yet published.`,
		Example: `  qualys car blocked-commands get 201 -o table`,
		Args:    exactArgs(1, "a language id (a platform and language, e.g. 201)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.languageID = args[0]
			return runWith(cmd, opts, runF, blockedRun)
		},
	}
}

func newBlockedWriteCmd(f *factory, action string, runF func(context.Context, *blockedOptions) error) *cobra.Command {
	opts := &blockedOptions{f: f, action: action}
	cmd := &cobra.Command{
		Use:   action + " --language-id ID --commands C1,C2",
		Short: map[string]string{"create": "Block commands for a platform and language", "update": "Replace the blocked commands of a language, or of one record"}[action],
		Example: map[string]string{
			"create": `  qualys car blocked-commands create --language-id 201 --commands Remove-Item,Stop-Computer`,
			"update": `  qualys car blocked-commands update --language-id 201 --commands Remove-Item
  qualys car blocked-commands update --language-id 201 --command-id 12 --commands Stop-Computer`,
		}[action],
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, blockedRun) },
	}
	cmd.Flags().StringVar(&opts.languageID, "language-id", "", "platform and language id, e.g. 201 (PowerShell-Command on Windows)")
	cmd.Flags().StringSliceVar(&opts.commands, "commands", nil, "commands to block, comma-separated")
	if action == "update" {
		cmd.Flags().StringVar(&opts.commandID, "command-id", "", "update only this blocked-command record")
	}
	return cmd
}

func newBlockedDeleteCmd(f *factory, runF func(context.Context, *blockedOptions) error) *cobra.Command {
	opts := &blockedOptions{f: f, action: "delete"}
	cmd := &cobra.Command{
		Use:   "delete (--language-ids IDS | --command-ids IDS)",
		Short: "Delete blocked commands by language or by record",
		Example: `  qualys car blocked-commands delete --language-ids 201
  qualys car blocked-commands delete --command-ids 12,13`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, blockedRun) },
	}
	cmd.Flags().StringSliceVar(&opts.languageIDs, "language-ids", nil, "delete every blocked command of these language ids")
	cmd.Flags().StringSliceVar(&opts.commandIDs, "command-ids", nil, "delete these blocked-command records")
	return cmd
}

func blockedRun(ctx context.Context, opts *blockedOptions) error {
	var lang int64
	var err error
	if opts.action != "delete" {
		if opts.languageID == "" {
			return usagef("%s needs --language-id", opts.action)
		}
		if lang, err = parseID("language id", opts.languageID); err != nil {
			return err
		}
	}
	commands := strings.Join(trimAll(opts.commands), ",")
	if (opts.action == "create" || opts.action == "update") && commands == "" {
		return usagef("%s needs --commands", opts.action)
	}
	var send func(c *qualys.Client) (*http.Response, error)
	switch opts.action {
	case "get":
		send = func(c *qualys.Client) (*http.Response, error) {
			// The replacement, /sm/v1/block-commands/search, has no
			// published method or body; this is the only way to read them.
			//lint:ignore SA1019 Qualys publishes no usable replacement yet
			return c.CAR.GetBlockedCommands(ctx, lang)
		}
	case "create":
		send = func(c *qualys.Client) (*http.Response, error) {
			return c.CAR.CreateBlockedCommands(ctx, car.BlockedCommandsCreate{LanguageID: lang, Commands: commands})
		}
	case "update":
		if opts.commandID == "" {
			send = func(c *qualys.Client) (*http.Response, error) {
				return c.CAR.UpdateBlockedCommandsV1(ctx, car.BlockedCommandsUpdateV1{LanguageID: lang, Commands: commands})
			}
			break
		}
		id, err := parseID("--command-id", opts.commandID)
		if err != nil {
			return err
		}
		send = func(c *qualys.Client) (*http.Response, error) {
			return c.CAR.UpdateBlockedCommandsV2(ctx, car.BlockedCommandsUpdateV2{CommandID: id, LanguageID: lang, Commands: commands})
		}
	case "delete":
		langs, err := parseIDs("--language-ids", opts.languageIDs)
		if err != nil {
			return err
		}
		cmds, err := parseIDs("--command-ids", opts.commandIDs)
		if err != nil {
			return err
		}
		switch {
		case len(langs) > 0 && len(cmds) > 0:
			return usagef("delete takes --language-ids or --command-ids, not both")
		case len(langs) > 0:
			send = func(c *qualys.Client) (*http.Response, error) {
				return c.CAR.DeleteBlockedCommandsV1(ctx, car.BlockedCommandsDeleteV1{LanguageIDs: langs})
			}
		case len(cmds) > 0:
			send = func(c *qualys.Client) (*http.Response, error) {
				return c.CAR.DeleteBlockedCommandsV2(ctx, car.BlockedCommandsDeleteV2{CommandIDs: cmds})
			}
		default:
			return usagef("delete needs --language-ids or --command-ids")
		}
	}
	cols := blockedColumns
	if opts.action != "get" {
		cols = columns{{"ID", "id"}, {"MESSAGE", "message"}}
	}
	c, p, err := opts.f.setup(nil, cols)
	if err != nil {
		return err
	}
	out, err := carCall(opts.action+" blocked commands", func() (*http.Response, error) { return send(c) })
	if err != nil {
		return err
	}
	return printBody(p, out)
}

func trimAll(s []string) []string {
	var out []string
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Tags, assets and lab assets.

func newTagsCmd(f *factory) *cobra.Command {
	return group("tags", "List the asset tags CAR runs on; block and unblock tags",
		newTagsListCmd(f, nil), newBatchCmd(f, "block", "tag", nil), newBatchCmd(f, "unblock", "tag", nil))
}

func newAssetsCmd(f *factory) *cobra.Command {
	return group("assets", "Block and unblock assets (CAR runs no script on a blocked asset)",
		newBatchCmd(f, "block", "asset", nil), newBatchCmd(f, "unblock", "asset", nil))
}

func newLabAssetsCmd(f *factory) *cobra.Command {
	return group("lab-assets", "Remove lab assets (the assets test runs may use)",
		newBatchCmd(f, "delete", "lab asset", nil))
}

var tagColumns = columns{{"TAG ID", "tagId"}, {"NAME", "name"}, {"UUID", "tagUuid"}, {"CAR ID", "id"}}

// tagsListOptions are the flags of 'car tags list'.
type tagsListOptions struct {
	f    *factory
	list listFlags
}

func newTagsListCmd(f *factory, runF func(context.Context, *tagsListOptions) error) *cobra.Command {
	opts := &tagsListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the asset tags CAR is enabled on (blocked tags are left out)",
		Example: `  qualys car tags list -o table
  qualys car tags list --filter lab:true`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, tagsListRun) },
	}
	opts.list.register(cmd.Flags(), "lab:true (the filter value for lab tags is not published by Qualys)")
	return cmd
}

func tagsListRun(ctx context.Context, opts *tagsListOptions) error {
	c, p, err := opts.f.setup(&opts.list, tagColumns)
	if err != nil {
		return err
	}
	return printAll(p, c.AssetTags(ctx, searchOptions[qualys.AssetTagsOption](&opts.list)...), opts.list.limit, nil)
}

// batchOptions are the flags of the id-list calls: block and unblock
// assets and tags, delete lab assets.
type batchOptions struct {
	f              *factory
	action, target string
	ids            []string
}

func newBatchCmd(f *factory, action, target string, runF func(context.Context, *batchOptions) error) *cobra.Command {
	opts := &batchOptions{f: f, action: action, target: target}
	noun := strings.ReplaceAll(target, " ", "-") + "s"
	return &cobra.Command{
		Use:     action + " ID...",
		Short:   fmt.Sprintf("%s %ss by id", strings.ToUpper(action[:1])+action[1:], target),
		Example: fmt.Sprintf("  qualys car %s %s 22467561 22467562", map[string]string{"tag": "tags", "asset": "assets", "lab asset": "lab-assets"}[target], action),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("%s needs one or more %s ids", commandName(cmd), noun[:len(noun)-1])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ids = args
			return runWith(cmd, opts, runF, batchRun)
		},
	}
}

func batchRun(ctx context.Context, opts *batchOptions) error {
	ids, err := parseIDs(opts.target+" id", opts.ids)
	if err != nil {
		return err
	}
	c, p, err := opts.f.setup(nil, columns{{"DONE", "done"}, {"REJECTED", "rejected"}, {"MESSAGE", "message"}})
	if err != nil {
		return err
	}
	req := car.BatchRequest{IDs: wireIDs(ids)}
	send := map[string]func() (*http.Response, error){
		"block asset":      func() (*http.Response, error) { return c.CAR.BlockAssets(ctx, req) },
		"unblock asset":    func() (*http.Response, error) { return c.CAR.UnblockAssets(ctx, req) },
		"block tag":        func() (*http.Response, error) { return c.CAR.BlockTags(ctx, req) },
		"unblock tag":      func() (*http.Response, error) { return c.CAR.UnblockTags(ctx, req) },
		"delete lab asset": func() (*http.Response, error) { return c.CAR.DeleteLabAssets(ctx, req) },
	}[opts.action+" "+opts.target]
	op := fmt.Sprintf("%s %ss %s", opts.action, opts.target, idList(ids))
	out, err := carCall(op, send)
	if err != nil {
		return err
	}
	// Qualys reports the ids it processed and those it could not, inside
	// the 200.
	var res struct {
		Success *batchOutcome `json:"success"`
		Failure *batchOutcome `json:"failure"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return fmt.Errorf("%s: the answer has no success and failure lists: %w", op, err)
	}
	rec := batchRecord{Done: []int64{}, Rejected: []int64{}}
	if res.Success != nil && res.Success.IDs != nil {
		rec.Done = res.Success.IDs
	}
	if res.Failure != nil && len(res.Failure.IDs) > 0 {
		rec.Rejected, rec.Message = res.Failure.IDs, res.Failure.Message
	}
	if err := p.record(rec); err != nil {
		return err
	}
	if err := p.flush(); err != nil {
		return err
	}
	if len(rec.Rejected) > 0 {
		return fmt.Errorf("%s: rejected %s (%s)", op, idList(rec.Rejected), rec.Message)
	}
	return nil
}

type batchOutcome struct {
	IDs     []int64 `json:"ids"`
	Message string  `json:"message"`
}

// batchRecord is how an id-list call prints.
type batchRecord struct {
	Done     []int64 `json:"done"`
	Rejected []int64 `json:"rejected"`
	Message  string  `json:"message,omitempty"`
}
