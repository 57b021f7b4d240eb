package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

func platformsCommand() *command {
	return &command{run: func(_ context.Context, c *cli, _ []string) error {
		for _, p := range qualys.Platforms() {
			if err := c.out.record(map[string]string{"name": p.Name, "gateway": p.GatewayURL, "apiServer": p.APIURL, "ui": p.UIURL}); err != nil {
				return err
			}
		}
		return nil
	}}
}

func policiesCommand() *command {
	var since string
	return &command{
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&since, "since", "", "only policies evaluated on or after this date (2024-11-01 or RFC 3339)")
		},
		run: func(ctx context.Context, c *cli, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			from, err := parseDate("--since", since)
			if err != nil {
				return err
			}
			for p, err := range client.Policies(ctx, from) {
				if err != nil {
					return err
				}
				if err := c.out.record(p); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// policyFlag is --policy-id, repeatable or comma-separated.
type policyFlag []wire.ID

func (p *policyFlag) String() string {
	parts := make([]string, len(*p))
	for i, id := range *p {
		parts[i] = id.String()
	}
	return strings.Join(parts, ",")
}

func (p *policyFlag) Set(v string) error {
	for _, text := range strings.Split(v, ",") {
		if text = strings.TrimSpace(text); text == "" {
			continue
		}
		id, err := wire.ParseID(text)
		if err != nil || id.Quoted() {
			return fmt.Errorf("%q is not a policy id (want digits, such as 1438626)", text)
		}
		*p = append(*p, id)
	}
	return nil
}

func hostIDsCommand() *command {
	var policies policyFlag
	var since string
	return &command{
		flags: func(fs *flag.FlagSet) {
			fs.Var(&policies, "policy-id", "policy id(s), comma-separated or repeated (required)")
			fs.StringVar(&since, "since", "", "only hosts whose posture changed since this date")
		},
		run: func(ctx context.Context, c *cli, _ []string) error {
			if len(policies) == 0 {
				return usagef("hostids needs --policy-id")
			}
			from, err := parseDate("--since", since)
			if err != nil {
				return err
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			list, err := client.HostIDs(ctx, policies, from)
			for _, p := range list {
				if perr := c.out.record(p); perr != nil {
					return perr
				}
			}
			return err // printed what resolved; a failed policy still fails the command
		},
	}
}

func postureCommand() *command {
	var policies policyFlag
	var status, version, since string
	var evidence bool
	var limit int
	return &command{
		flags: func(fs *flag.FlagSet) {
			fs.Var(&policies, "policy-id", "policy id(s), comma-separated or repeated (required)")
			fs.StringVar(&status, "status", "", "only records with this status: Passed, Failed or Error (comma-separated)")
			fs.BoolVar(&evidence, "evidence", false, "include evidence")
			fs.StringVar(&version, "api-version", "5.0", "postureInfo version: 1.0 to 5.0")
			fs.StringVar(&since, "since", "", "only hosts whose posture changed since this date")
			fs.IntVar(&limit, "limit", 0, "stop after this many records (0: all)")
		},
		run: func(ctx context.Context, c *cli, _ []string) error {
			if len(policies) == 0 {
				return usagef("posture needs --policy-id")
			}
			from, err := parseDate("--since", since)
			if err != nil {
				return err
			}
			q := qualys.PostureQuery{PolicyIDs: policies, HostsChangedSince: from, Version: version}
			switch q.Version {
			case "1.0", "2.0", "3.0", "4.0", "5.0":
			default:
				return usagef("--api-version %q: want 1.0, 2.0, 3.0, 4.0 or 5.0", version)
			}
			for _, s := range strings.Split(status, ",") {
				if s = strings.TrimSpace(s); s != "" {
					st := pcrs.PostureStatus(s)
					if !st.Valid() {
						return usagef("--status %q: want Passed, Failed or Error", s)
					}
					q.Filter.Status = append(q.Filter.Status, st)
				}
			}
			q.Filter.Evidence = evidence
			client, err := c.client()
			if err != nil {
				return err
			}
			var opts []qualys.FetchOption
			if isTerminal(c.stderr) {
				opts = append(opts, qualys.WithProgress(func(p qualys.FetchProgress) {
					fmt.Fprintf(c.stderr, "\rhosts %d/%d, %d records", p.HostsDone, p.HostsTotal, p.Records)
				}))
				defer fmt.Fprintln(c.stderr)
			}
			return printAll(c, client.FetchPosture(ctx, q, opts...), limit, nil)
		},
	}
}

// parseDate reads a date flag: a day (2024-11-01, midnight UTC) or an
// RFC 3339 time. Empty means unset.
func parseDate(flagName, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%s %q: want a date such as 2024-11-01 or a time such as 2024-11-01T08:00:00Z", flagName, v)
}
