package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/qualyskit/qualys-go/posturestore"
)

// reportFlags are the flags of "pcrs report".
type reportFlags struct {
	f    *factory
	db   string
	html string
}

func newPCRSReportCmd(f *factory) *cobra.Command {
	opts := &reportFlags{f: f}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Pass rates by policy, criticality and control, and what the latest sync changed",
		Example: `  qualys pcrs report --db posture.sqlite -o table
  qualys pcrs report --db posture.sqlite -o json --html report.html`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runReport(cmd.Context(), opts) },
	}
	cmd.Flags().StringVar(&opts.db, "db", "", "store: a SQLite file or a postgres:// URL (default: posture.sqlite in the user's data directory)")
	cmd.Flags().StringVar(&opts.html, "html", "", "also write the report as one self-contained HTML page with charts to this file")
	return cmd
}

// runReport reads the report from the store and prints it: tables for
// people, one JSON document otherwise; --html writes the page too.
func runReport(ctx context.Context, o *reportFlags) error {
	f := o.f
	location, err := storeLocation(f.getenv, o.db)
	if err != nil {
		return err
	}
	if o.db == "" {
		// Reporting must not create an empty store where none was synced.
		if _, err := os.Stat(location); errors.Is(err, os.ErrNotExist) {
			return usagef("no store at %s: run \"qualys pcrs sync\" first or pass --db", location)
		}
	}
	p, err := f.printer(nil)
	if err != nil {
		return err
	}
	st, err := posturestore.Open(ctx, location)
	if err != nil {
		return storeError(err)
	}
	defer st.Close()
	f.ran = true
	r, err := st.Report(ctx)
	if err != nil {
		return err
	}
	if o.html != "" {
		if err := writeHTMLReport(r, o.html); err != nil {
			return err
		}
	}
	if p.format == "table" {
		return printReportTable(p, r)
	}
	// One document: the report's parts are not a list of records.
	if err := p.record(r); err != nil {
		return err
	}
	return p.flush()
}

func writeHTMLReport(r *posturestore.Report, path string) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	if err := r.WriteHTML(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// printReportTable prints the report's sections as tables fitted, as every
// table is, to the terminal's width.
func printReportTable(p *printer, r *posturestore.Report) error {
	when := func(s *posturestore.SyncRun) string {
		if s == nil {
			return "none"
		}
		return s.StartedAt.UTC().Format(time.RFC3339)
	}
	rate := func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
	fmt.Fprintf(p.w, "Latest sync:    %s\nPrevious sync:  %s\nPass rate:      %s (%d passed, %d failed, %d error)\n\n",
		when(r.LastSync), when(r.PreviousSync), rate(r.Total.Rate), r.Total.Passed, r.Total.Failed, r.Total.Error)
	var rows [][]string
	for _, x := range r.Policies {
		rows = append(rows, []string{n64(x.PolicyID), x.Title, n64(x.Passed), n64(x.Failed), n64(x.Error), rate(x.Rate)})
	}
	section := func(headers []string, rows [][]string) error {
		cols := make(columns, len(headers))
		for i, h := range headers {
			cols[i] = column{header: h}
		}
		for _, r := range rows {
			for i, c := range r {
				r[i] = oneLineCell(c) // titles and statements are server text
			}
		}
		return writeTable(p.w, p.errW, cols, rows, p.width)
	}
	if err := section([]string{"POLICY", "TITLE", "PASSED", "FAILED", "ERROR", "PASS RATE"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, x := range r.Criticality {
		rows = append(rows, []string{x.Label, n64(x.Passed), n64(x.Failed), n64(x.Error), rate(x.Rate)})
	}
	fmt.Fprintln(p.w)
	if err := section([]string{"CRITICALITY", "PASSED", "FAILED", "ERROR", "PASS RATE"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, x := range r.Controls[:min(20, len(r.Controls))] {
		rows = append(rows, []string{n64(x.ControlID), x.Statement, x.Criticality, n64(x.Passed), n64(x.Failed), rate(x.Rate)})
	}
	fmt.Fprintln(p.w)
	if err := section([]string{"CONTROL", "STATEMENT", "CRITICALITY", "PASSED", "FAILED", "PASS RATE"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(p.w, "\nChanges in the latest sync:\n  %d to Passed, %d to Failed, %d to Error, %d no longer reported\n  %d host(s) appeared, %d disappeared\n",
		r.ChangeCount.ToPassed, r.ChangeCount.ToFailed, r.ChangeCount.ToError, r.ChangeCount.Disappeared, r.Hosts.Appeared, r.Hosts.Disappeared)
	if len(r.Changes) == 0 {
		return nil
	}
	rows = nil
	for _, x := range r.Changes[:min(50, len(r.Changes))] {
		rows = append(rows, []string{n64(x.PolicyID), n64(x.HostID), n64(x.ControlID), x.OldStatus, x.NewStatus})
	}
	return section([]string{"POLICY", "HOST", "CONTROL", "WAS", "NOW"}, rows)
}

func n64(v int64) string { return strconv.FormatInt(v, 10) }
