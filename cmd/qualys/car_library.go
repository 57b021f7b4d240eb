package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qualyskit/qualys-go/wire"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

func newLibraryCmd(f *factory) *cobra.Command {
	return group("library", "Browse the Qualys script library and import its scripts",
		newLibraryListCmd(f, nil), newLibraryGetCmd(f, nil), newLibraryImportCmd(f, nil))
}

var libraryColumns = columns{{"ID", "id"}, {"TITLE", "title"}, {"LANGUAGE", "scriptLanguage"}, {"PLATFORM", "platform"},
	{"MODULE", "moduleCode"}, {"CATEGORY", "category"}, {"UPDATED", "lastUpdatedDateTime"}}

// libraryListOptions are the flags of 'car library list'.
type libraryListOptions struct {
	f       *factory
	list    listFlags
	content bool
}

func newLibraryListCmd(f *factory, runF func(context.Context, *libraryListOptions) error) *cobra.Command {
	opts := &libraryListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the scripts of the Qualys library",
		Example: `  qualys car library list --filter moduleCode:AUTOR --limit 5 -o table
  qualys car library list --limit 1 --content`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, libraryListRun) },
	}
	opts.list.register(cmd.Flags(), "moduleCode:AUTOR")
	cmd.Flags().BoolVar(&opts.content, "content", false, "add each script's decoded text (field content)")
	return cmd
}

func libraryListRun(ctx context.Context, opts *libraryListOptions) error {
	cols := libraryColumns
	if opts.content {
		cols = append(cols[:len(cols):len(cols)], column{"CONTENT", "content"})
	}
	c, p, err := opts.f.setup(&opts.list, cols)
	if err != nil {
		return err
	}
	search := searchOptions[qualys.LibraryScriptsOption](&opts.list)
	if !opts.content {
		return printAll(p, c.LibraryScripts(ctx, search...), opts.list.limit, nil)
	}
	search = append(search, qualys.WithScriptContent())
	return printAll(p, c.LibraryScripts(ctx, search...), opts.list.limit, func(s libraryScript) (any, error) {
		text, err := qualys.ScriptContent(s)
		if err != nil {
			return nil, err
		}
		return withField(s, "content", string(text))
	})
}

// libraryGetOptions are the flags of 'car library get'.
type libraryGetOptions struct {
	f       *factory
	id      string
	content bool
}

func newLibraryGetCmd(f *factory, runF func(context.Context, *libraryGetOptions) error) *cobra.Command {
	opts := &libraryGetOptions{f: f}
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show one library script, or only its text",
		Example: `  qualys car library get 599 -o yaml
  qualys car library get 599 --content > script.ps1`,
		Args: exactArgs(1, "a library script id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.id = args[0]
			return runWith(cmd, opts, runF, libraryGetRun)
		},
	}
	cmd.Flags().BoolVar(&opts.content, "content", false, "print only the decoded script text")
	return cmd
}

func libraryGetRun(ctx context.Context, opts *libraryGetOptions) error {
	id, err := parseID("library script id", opts.id)
	if err != nil {
		return err
	}
	c, p, err := opts.f.setup(nil, libraryColumns)
	if err != nil {
		return err
	}
	s, err := c.LibraryScript(ctx, wire.NewID(id))
	if err != nil {
		return err
	}
	if !opts.content {
		if err := p.record(s); err != nil {
			return err
		}
		return p.flush()
	}
	text, err := qualys.LibraryScriptContent(s)
	if err != nil {
		return err
	}
	_, err = opts.f.stdout.Write(text)
	return err
}

// libraryImportOptions are the flags of 'car library import'.
type libraryImportOptions struct {
	f        *factory
	id       string
	title    string
	category string
	approved bool
}

func newLibraryImportCmd(f *factory, runF func(context.Context, *libraryImportOptions) error) *cobra.Command {
	opts := &libraryImportOptions{f: f}
	cmd := &cobra.Command{
		Use:     "import ID --title TITLE --category ID",
		Short:   "Copy a library script into the account",
		Example: `  qualys car library import 599 --title "Disable SMBv1" --category 7 --approved`,
		Args:    exactArgs(1, "a library script id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.id = args[0]
			return runWith(cmd, opts, runF, libraryImportRun)
		},
	}
	cmd.Flags().StringVar(&opts.title, "title", "", "title of the new account script (required)")
	cmd.Flags().StringVar(&opts.category, "category", "", "category id of the new script, e.g. 7 for Remediation (required)")
	cmd.Flags().BoolVar(&opts.approved, "approved", false, "create the script already approved")
	return cmd
}

func libraryImportRun(ctx context.Context, opts *libraryImportOptions) error {
	id, err := parseID("library script id", opts.id)
	if err != nil {
		return err
	}
	if strings.TrimSpace(opts.title) == "" || opts.category == "" {
		return usagef("library import needs --title and --category")
	}
	category, err := parseID("--category", opts.category)
	if err != nil {
		return err
	}
	c, p, err := opts.f.setup(nil, columns{{"LIBRARY ID", "libraryId"}, {"SCRIPT ID", "scriptId"}})
	if err != nil {
		return err
	}
	newID, err := c.ImportLibraryScript(ctx, qualys.Import{LibraryID: wire.NewID(id), Title: opts.title, CategoryID: category, Approved: opts.approved})
	if err != nil {
		return err
	}
	if err := p.record(map[string]any{"libraryId": id, "scriptId": newID}); err != nil {
		return err
	}
	return p.flush()
}
