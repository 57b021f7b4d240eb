package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/qualyskit/qualys-go/posturestore"
)

// reportFlags are the flags of "pcrs report".
type reportFlags struct {
	db   string
	html string
}

func pcrsReportCommand() *command {
	var f reportFlags
	return &command{
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&f.db, "db", "", "store: a SQLite file or a postgres:// URL (default: posture.sqlite in the user's data directory)")
			fs.StringVar(&f.html, "html", "", "also write the report as one self-contained HTML page with charts to this file")
		},
		run: func(ctx context.Context, c *cli, _ []string) error { return runReport(ctx, c, f) },
	}
}

// runReport reads the report from the store and prints it: a table for
// people, one JSON document otherwise; --html writes the page too.
func runReport(ctx context.Context, c *cli, f reportFlags) error {
	location, err := storeLocation(c, f.db)
	if err != nil {
		return err
	}
	if f.db == "" {
		// Reporting must not create an empty store where none was synced.
		if _, err := os.Stat(location); errors.Is(err, os.ErrNotExist) {
			return usagef("no store at %s: run \"qualys pcrs sync\" first or pass --db", location)
		}
	}
	st, err := posturestore.Open(ctx, location)
	if err != nil {
		return storeError(err)
	}
	defer st.Close()
	r, err := st.Report(ctx)
	if err != nil {
		return err
	}
	if f.html != "" {
		if err := writeHTMLReport(r, f.html); err != nil {
			return err
		}
	}
	if c.output == "table" {
		return printReportTable(c.stdout, r)
	}
	// One document: the report's parts are not a list of records.
	return c.out.record(r)
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
	fmt.Fprintf(tw, "\nChanges in the latest sync: %d to Passed, %d to Failed, %d to Error; %d host(s) appeared, %d disappeared\n",
		r.ChangeCount.ToPassed, r.ChangeCount.ToFailed, r.ChangeCount.ToError, r.Hosts.Appeared, r.Hosts.Disappeared)
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
