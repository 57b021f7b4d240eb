package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// newPCRSCmd is the pcrs group; each command is a constructor that binds
// its flags to an options struct, and joins the list below.
func newPCRSCmd(f *factory) *cobra.Command {
	c := group("pcrs", "Policy Compliance: policies, their hosts and compliance posture",
		newPoliciesCmd(f, nil), newHostIDsCmd(f, nil), newPostureCmd(f, nil), newPCRSSyncCmd(f), newPCRSReportCmd(f))
	c.Long = `Policy Compliance Reporting Service (PCRS, /pcrs/...): the subscription's
compliance policies, the hosts each one covers, and the posture of every
control on every host.`
	return c
}

func newPlatformsCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "platforms",
		Short: "List the Qualys platforms and their URLs",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.printer(columns{{"NAME", "name"}, {"GATEWAY", "gateway"}, {"API SERVER", "apiServer"}, {"UI", "ui"}})
			if err != nil {
				return err
			}
			f.ran = true
			for _, pl := range qualys.Platforms() {
				if err := p.record(map[string]string{"name": pl.Name, "gateway": pl.GatewayURL, "apiServer": pl.APIURL, "ui": pl.UIURL}); err != nil {
					return err
				}
			}
			return p.flush()
		},
	}
}

var policyColumns = columns{{"ID", "id"}, {"TITLE", "title"}, {"STATUS", "status"}, {"LAST EVALUATED", "lastEvaluatedDate"}, {"MODIFIED", "modifiedDate"}}

// policiesOptions are the flags of 'pcrs policies'.
type policiesOptions struct {
	f     *factory
	since string
	limit int
}

func newPoliciesCmd(f *factory, runF func(context.Context, *policiesOptions) error) *cobra.Command {
	opts := &policiesOptions{f: f}
	cmd := &cobra.Command{
		Use:   "policies",
		Short: "List the subscription's compliance policies",
		Example: `  qualys pcrs policies -o table
  qualys pcrs policies --since 2024-11-01`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, policiesRun) },
	}
	cmd.Flags().StringVar(&opts.since, "since", "", "only policies evaluated on or after this date (2024-11-01 or 2024-11-01T08:00:00Z)")
	cmd.Flags().IntVar(&opts.limit, "limit", 0, "stop after this many policies (0: all)")
	return cmd
}

func policiesRun(ctx context.Context, opts *policiesOptions) error {
	since, err := dateFlag("--since", "lastEvaluationDate", opts.since)
	if err != nil {
		return err
	}
	if opts.limit < 0 {
		return usagef("--limit %d: must not be negative", opts.limit)
	}
	c, p, err := opts.f.setup(nil, policyColumns)
	if err != nil {
		return err
	}
	return printAll(p, c.Policies(ctx, since), opts.limit, nil)
}

// policyOptions are the policy ids and date of hostids and posture.
type policyOptions struct {
	policies []string
	since    string
	from     time.Time // since, checked
}

func (o *policyOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&o.policies, "policy-id", nil, "policy ids, comma-separated or repeated (required)")
	cmd.Flags().StringVar(&o.since, "since", "", "only hosts whose posture changed on or after this date (2024-11-01 or 2024-11-01T08:00:00Z)")
}

func (o *policyOptions) check(cmdName string) ([]wire.ID, error) {
	ids, err := parseIDs("--policy-id", o.policies)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, usagef("%s needs --policy-id (list them with: qualys pcrs policies)", cmdName)
	}
	if o.from, err = dateFlag("--since", "hostStatusChangedSince", o.since); err != nil {
		return nil, err
	}
	out := make([]wire.ID, len(ids))
	for i, id := range ids {
		out[i] = wire.NewID(id)
	}
	return out, nil
}

// hostIDsOptions are the flags of 'pcrs hostids'.
type hostIDsOptions struct {
	f *factory
	policyOptions
	limit int
}

func newHostIDsCmd(f *factory, runF func(context.Context, *hostIDsOptions) error) *cobra.Command {
	opts := &hostIDsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "hostids --policy-id IDS",
		Short: "List the hosts each policy covers",
		Example: `  qualys pcrs hostids --policy-id 1438626 -o table
  qualys pcrs hostids --policy-id 1438626,1438627 --since 2024-11-01`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, hostIDsRun) },
	}
	opts.register(cmd)
	cmd.Flags().IntVar(&opts.limit, "limit", 0, "stop after this many policies (0: all)")
	return cmd
}

func hostIDsRun(ctx context.Context, opts *hostIDsOptions) error {
	ids, err := opts.check("hostids")
	if err != nil {
		return err
	}
	if opts.limit < 0 {
		return usagef("--limit %d: must not be negative", opts.limit)
	}
	c, p, err := opts.f.setup(nil, columns{{"POLICY", "policyId"}, {"HOSTS", "hostCount"}, {"HOST IDS", "hostIds"}})
	if err != nil {
		return err
	}
	list, err := c.HostIDs(ctx, ids, opts.from)
	for i, h := range list {
		if opts.limit > 0 && i >= opts.limit {
			break
		}
		rec, werr := withField(h, "hostCount", len(h.HostIDs))
		if werr != nil {
			return werr
		}
		if perr := p.record(rec); perr != nil {
			return perr
		}
	}
	if ferr := p.flush(); ferr != nil {
		return ferr
	}
	return err // what resolved is printed; a failed policy still fails the command
}

var postureColumns = columns{{"HOST", "hostId"}, {"DNS", "dns"}, {"IP", "ip"}, {"POLICY", "policyId"}, {"CONTROL", "controlId"},
	{"STATUS", "status"}, {"CRITICALITY", "criticality"}, {"STATEMENT", "controlStatement"}, {"MODIFIED", "postureModifiedDate"}}

// postureOptions are the flags of 'pcrs posture'.
type postureOptions struct {
	f *factory
	policyOptions
	status      []string
	criticality []string
	version     string
	evidence    bool
	limit       int
	summary     bool
	top         int
}

func newPostureCmd(f *factory, runF func(context.Context, *postureOptions) error) *cobra.Command {
	opts := &postureOptions{f: f}
	cmd := &cobra.Command{
		Use:   "posture --policy-id IDS",
		Short: "Download the compliance posture of policies, or summarise it",
		Long: `Download the posture of every control on every host of the policies, streamed
as it arrives, or with --summary count it by status, criticality and control.
Progress goes to stderr (see --progress).`,
		Example: `  qualys pcrs posture --policy-id 1438626 --status Failed --limit 20 -o table
  qualys pcrs posture --policy-id 1438626,1438627 --summary
  qualys pcrs posture --policy-id 1438626 > posture.jsonl`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWith(cmd, opts, runF, postureRun) },
	}
	opts.register(cmd)
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.status, "status", nil, "only these statuses, comma-separated: Passed, Failed, Error")
	fl.StringSliceVar(&opts.criticality, "criticality", nil, "only controls of these criticalities, comma-separated: UNDEFINED, MINIMAL, MEDIUM, SERIOUS, CRITICAL, URGENT")
	fl.BoolVar(&opts.evidence, "evidence", false, "include each control's evidence")
	fl.StringVar(&opts.version, "api-version", "5.0", "postureInfo API version: 1.0 to 5.0")
	fl.IntVar(&opts.limit, "limit", 0, "stop after this many records (0: all)")
	fl.BoolVar(&opts.summary, "summary", false, "print counts by status, criticality and control instead of records")
	fl.IntVar(&opts.top, "top", 10, "with --summary, how many controls to list (most failures first)")
	completeValues(cmd, "status", "Passed", "Failed", "Error")
	completeValues(cmd, "criticality", "UNDEFINED", "MINIMAL", "MEDIUM", "SERIOUS", "CRITICAL", "URGENT")
	completeValues(cmd, "api-version", "1.0", "2.0", "3.0", "4.0", "5.0")
	return cmd
}

func postureRun(ctx context.Context, opts *postureOptions) error {
	ids, err := opts.check("posture")
	if err != nil {
		return err
	}
	statuses := trimAll(opts.status)
	if err := checkEnum("--status", "pcrs", "PostureStatus", statuses...); err != nil {
		return err
	}
	versions := []string{"1.0", "2.0", "3.0", "4.0", "5.0"}
	if !slices.Contains(versions, opts.version) {
		return usagef("--api-version %q: want one of %s", opts.version, strings.Join(versions, ", "))
	}
	if opts.limit < 0 || opts.top < 0 {
		return usagef("--limit and --top must not be negative")
	}
	criticality := trimAll(opts.criticality)
	if err := checkEnum("--criticality", "pcrs", "CriticalityLabel", criticality...); err != nil {
		return err
	}
	q := qualys.PostureQuery{PolicyIDs: ids, HostsChangedSince: opts.from, Version: opts.version}
	for _, s := range statuses {
		q.Filter.Status = append(q.Filter.Status, pcrs.PostureStatus(s))
	}
	for _, c := range criticality {
		q.Filter.Criticality = append(q.Filter.Criticality, pcrs.CriticalityLabel(c))
	}
	q.Filter.Evidence = opts.evidence
	cols := postureColumns
	if opts.summary {
		cols = summaryColumns
	}
	prog, err := opts.f.newProgress()
	if err != nil {
		return err
	}
	c, p, err := opts.f.setup(nil, cols)
	if err != nil {
		return err
	}
	p.w, p.errW = prog.writer(p.w), prog.writer(p.errW)
	stop := prog.keepAlive(ctx)
	defer stop()
	onBatch := func(fp qualys.FetchProgress) {
		text := fmt.Sprintf("posture: %d/%d hosts, %d records", fp.HostsDone, fp.HostsTotal, fp.Records)
		if rl, ok := c.LastRateLimit("/pcrs/5.0/posture/postureInfo"); ok && rl.Remaining != nil && *rl.Remaining == 0 {
			text += "; waiting on the PCRS rate limit"
		}
		prog.update(fp.HostsDone, fp.HostsTotal, text)
	}
	prog.set(fmt.Sprintf("posture: resolving the hosts of %d policies", len(ids)))
	records := c.FetchPosture(ctx, q, qualys.WithProgress(onBatch))
	if !opts.summary {
		err := printAll(p, records, opts.limit, nil)
		stop()
		return err
	}
	var s postureSummary
	n := 0
	for rec, err := range records {
		if err != nil {
			stop()
			return err
		}
		if err := s.add(rec); err != nil {
			return err
		}
		if n++; opts.limit > 0 && n >= opts.limit {
			break
		}
	}
	stop()
	for _, row := range s.rows(opts.top) {
		if err := p.record(row); err != nil {
			return err
		}
	}
	return p.flush()
}

var summaryColumns = columns{{"BY", "by"}, {"VALUE", "value"}, {"TOTAL", "total"}, {"PASSED", "passed"}, {"FAILED", "failed"}, {"ERROR", "error"}}

// postureSummary counts posture records by status, criticality and
// control.
type postureSummary struct {
	all         summaryRow
	criticality map[string]*summaryRow
	control     map[string]*summaryRow
}

type summaryRow struct {
	By     string `json:"by"`
	Value  string `json:"value"`
	Total  int    `json:"total"`
	Passed int    `json:"passed"`
	Failed int    `json:"failed"`
	Error  int    `json:"error"`
	rank   int    // criticality value, for ordering
}

func (r *summaryRow) count(status string) {
	r.Total++
	switch status {
	case "Passed":
		r.Passed++
	case "Failed":
		r.Failed++
	case "Error":
		r.Error++
	}
}

// postureFields is what the summary reads of a record, through its JSON
// so that it does not depend on the generated type's shape.
type postureFields struct {
	Status           string      `json:"status"`
	ControlID        json.Number `json:"controlId"`
	ControlStatement string      `json:"controlStatement"`
	Criticality      *struct {
		Label string `json:"label"`
		Value int    `json:"value"`
	} `json:"criticality"`
}

func (s *postureSummary) add(rec pcrs.PostureRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	var pf postureFields
	if err := json.Unmarshal(b, &pf); err != nil {
		return fmt.Errorf("reading a posture record: %w", err)
	}
	if s.criticality == nil {
		s.criticality, s.control = map[string]*summaryRow{}, map[string]*summaryRow{}
		s.all = summaryRow{By: "all", Value: "all records"}
	}
	s.all.count(pf.Status)
	label, rank := "(none)", -1
	if pf.Criticality != nil && pf.Criticality.Label != "" {
		label, rank = pf.Criticality.Label, pf.Criticality.Value
	}
	row := s.criticality[label]
	if row == nil {
		row = &summaryRow{By: "criticality", Value: label, rank: rank}
		s.criticality[label] = row
	}
	row.count(pf.Status)
	key := pf.ControlID.String() + " " + pf.ControlStatement
	crow := s.control[key]
	if crow == nil {
		crow = &summaryRow{By: "control", Value: key}
		s.control[key] = crow
	}
	crow.count(pf.Status)
	return nil
}

// rows are the summary: all records, each criticality (most critical
// first), then the top controls by failures.
func (s *postureSummary) rows(top int) []summaryRow {
	if s.criticality == nil {
		return []summaryRow{{By: "all", Value: "all records"}}
	}
	out := []summaryRow{s.all}
	crit := mapValues(s.criticality)
	slices.SortFunc(crit, func(a, b *summaryRow) int { return cmp.Compare(b.rank, a.rank) })
	for _, r := range crit {
		out = append(out, *r)
	}
	ctl := mapValues(s.control)
	slices.SortFunc(ctl, func(a, b *summaryRow) int {
		return cmp.Or(cmp.Compare(b.Failed+b.Error, a.Failed+a.Error), cmp.Compare(a.Value, b.Value))
	})
	for i, r := range ctl {
		if i >= top {
			break
		}
		out = append(out, *r)
	}
	return out
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
