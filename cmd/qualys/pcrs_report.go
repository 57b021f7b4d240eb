package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
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
		return printReportTable(f.stdout, r)
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

// printReportTable prints the report's sections as aligned tables.
func printReportTable(w io.Writer, r *posturestore.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	when := func(s *posturestore.SyncRun) string {
		if s == nil {
			return "none"
		}
		return s.StartedAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(tw, "Latest sync:\t%s\nPrevious sync:\t%s\nPass rate:\t%.1f%% (%d passed, %d failed, %d error)\n\n",
		when(r.LastSync), when(r.PreviousSync), 100*r.Total.Rate, r.Total.Passed, r.Total.Failed, r.Total.Error)
	fmt.Fprintln(tw, "POLICY\tTITLE\tPASSED\tFAILED\tERROR\tPASS RATE")
	for _, p := range r.Policies {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%.1f%%\n", p.PolicyID, clip(p.Title, 48), p.Passed, p.Failed, p.Error, 100*p.Rate)
	}
	fmt.Fprintln(tw, "\nCRITICALITY\tPASSED\tFAILED\tERROR\tPASS RATE")
	for _, cr := range r.Criticality {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f%%\n", cr.Label, cr.Passed, cr.Failed, cr.Error, 100*cr.Rate)
	}
	fmt.Fprintln(tw, "\nCONTROL\tSTATEMENT\tCRITICALITY\tPASSED\tFAILED\tPASS RATE")
	for _, ct := range r.Controls[:min(20, len(r.Controls))] {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%.1f%%\n", ct.ControlID, clip(ct.Statement, 56), ct.Criticality, ct.Passed, ct.Failed, 100*ct.Rate)
	}
	fmt.Fprintf(tw, "\nChanges in the latest sync: %d to Passed, %d to Failed, %d to Error, %d no longer reported; %d host(s) appeared, %d disappeared\n",
		r.ChangeCount.ToPassed, r.ChangeCount.ToFailed, r.ChangeCount.ToError, r.ChangeCount.Disappeared, r.Hosts.Appeared, r.Hosts.Disappeared)
	if len(r.Changes) > 0 {
		fmt.Fprintln(tw, "POLICY\tHOST\tCONTROL\tWAS\tNOW")
		for _, ch := range r.Changes[:min(50, len(r.Changes))] {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\n", ch.PolicyID, ch.HostID, ch.ControlID, ch.OldStatus, ch.NewStatus)
		}
	}
	return tw.Flush()
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
