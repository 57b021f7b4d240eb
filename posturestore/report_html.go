package posturestore

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// WriteHTML writes the report as one self-contained page: inline CSS and
// SVG charts, no script and nothing fetched from anywhere.
func (r *Report) WriteHTML(w io.Writer) error {
	if err := reportPage.Execute(w, htmlView{r, time.Now().UTC()}); err != nil {
		return fmt.Errorf("posturestore: writing the HTML report: %w", err)
	}
	return nil
}

type htmlView struct {
	*Report
	Now time.Time
}

// bar is one row of a horizontal bar chart, laid out in SVG units.
type bar struct {
	Label                    string
	Y                        int
	PassW, FailW, ErrW       float64
	PassX, FailX, ErrX       float64
	RateText                 string
	Passed, Failed, ErrCount int64
}

const (
	chartLabelW = 260
	chartBarW   = 440
	chartRowH   = 26
)

func bars(rows []PassRate, labels []string) []bar {
	out := make([]bar, len(rows))
	for i, p := range rows {
		b := bar{Label: labels[i], Y: i * chartRowH, Passed: p.Passed, Failed: p.Failed, ErrCount: p.Error,
			RateText: fmt.Sprintf("%.1f%%", 100*p.Rate)}
		if p.Total > 0 {
			scale := float64(chartBarW) / float64(p.Total)
			b.PassW, b.FailW, b.ErrW = float64(p.Passed)*scale, float64(p.Failed)*scale, float64(p.Error)*scale
		}
		b.PassX = chartLabelW
		b.FailX = b.PassX + b.PassW
		b.ErrX = b.FailX + b.FailW
		out[i] = b
	}
	return out
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"policyBars": func(r *Report) []bar {
		rows, labels := make([]PassRate, len(r.Policies)), make([]string, len(r.Policies))
		for i, p := range r.Policies {
			rows[i], labels[i] = p.PassRate, truncate(fmt.Sprintf("%d %s", p.PolicyID, p.Title), 40)
		}
		return bars(rows, labels)
	},
	"criticalityBars": func(r *Report) []bar {
		rows, labels := make([]PassRate, len(r.Criticality)), make([]string, len(r.Criticality))
		for i, c := range r.Criticality {
			rows[i], labels[i] = c.PassRate, c.Label
		}
		return bars(rows, labels)
	},
	"worst":        func(c []ControlPassRate, n int) []ControlPassRate { return c[:min(n, len(c))] },
	"firstChanges": func(c []Change, n int) []Change { return c[:min(n, len(c))] },
	"height":       func(n int) int { return n*chartRowH + 4 },
	"pct":          func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"changeBars": func(c ChangeCount) []struct {
		Label string
		N     int64
		W     float64
		Y     int
		Color string
	} {
		type row = struct {
			Label string
			N     int64
			W     float64
			Y     int
			Color string
		}
		rows := []row{{"to Passed", c.ToPassed, 0, 0, "#2e7d32"}, {"to Failed", c.ToFailed, 0, chartRowH, "#c62828"},
			{"to Error", c.ToError, 0, 2 * chartRowH, "#ef6c00"}, {"no longer reported", c.Disappeared, 0, 3 * chartRowH, "#6e7781"}}
		most := max(c.ToPassed, c.ToFailed, c.ToError, c.Disappeared, 1)
		for i := range rows {
			rows[i].W = float64(rows[i].N) / float64(most) * chartBarW
		}
		return rows
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Compliance posture report</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1d2733; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
.meta { color: #57606a; }
.kpis { display: flex; gap: 1rem; margin: 1rem 0; }
.kpi { border: 1px solid #d0d7de; border-radius: 6px; padding: .8rem 1.2rem; min-width: 8rem; }
.kpi b { display: block; font-size: 1.6rem; }
table { border-collapse: collapse; font-size: .9rem; }
td, th { border-bottom: 1px solid #eaeef2; padding: .3rem .6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg text { font-size: 12px; fill: #1d2733; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; vertical-align: middle; }
</style>
</head>
<body>
<h1>Compliance posture report</h1>
<p class="meta">Latest sync: {{if .LastSync}}{{date .LastSync.StartedAt}} (run {{.LastSync.RunID}}){{else}}none{{end}}
{{- if .PreviousSync}}; previous: {{date .PreviousSync.StartedAt}}{{end}}. Written {{date .Now}}.</p>
<div class="kpis">
<div class="kpi">Pass rate<b>{{pct .Total.Rate}}</b></div>
<div class="kpi">Passed<b>{{.Total.Passed}}</b></div>
<div class="kpi">Failed<b>{{.Total.Failed}}</b></div>
<div class="kpi">Error<b>{{.Total.Error}}</b></div>
<div class="kpi">Changes in the latest sync<b>{{len .Changes}}</b></div>
</div>
<p class="legend"><span style="background:#2e7d32"></span>Passed<span style="background:#c62828"></span>Failed<span style="background:#ef6c00"></span>Error</p>

<h2>Pass rate by policy</h2>
{{$b := policyBars .Report}}
<svg xmlns="http://www.w3.org/2000/svg" width="780" height="{{height (len $b)}}" role="img" aria-label="Pass rate by policy">
{{range $b}}<g transform="translate(0,{{.Y}})">
<text x="0" y="17">{{.Label}}</text>
<rect x="{{.PassX}}" y="4" width="{{.PassW}}" height="18" fill="#2e7d32"><title>{{.Passed}} passed</title></rect>
<rect x="{{.FailX}}" y="4" width="{{.FailW}}" height="18" fill="#c62828"><title>{{.Failed}} failed</title></rect>
<rect x="{{.ErrX}}" y="4" width="{{.ErrW}}" height="18" fill="#ef6c00"><title>{{.ErrCount}} error</title></rect>
<text x="710" y="17">{{.RateText}}</text>
</g>
{{end}}</svg>

<h2>Pass rate by criticality</h2>
{{$c := criticalityBars .Report}}
<svg xmlns="http://www.w3.org/2000/svg" width="780" height="{{height (len $c)}}" role="img" aria-label="Pass rate by criticality">
{{range $c}}<g transform="translate(0,{{.Y}})">
<text x="0" y="17">{{.Label}}</text>
<rect x="{{.PassX}}" y="4" width="{{.PassW}}" height="18" fill="#2e7d32"/>
<rect x="{{.FailX}}" y="4" width="{{.FailW}}" height="18" fill="#c62828"/>
<rect x="{{.ErrX}}" y="4" width="{{.ErrW}}" height="18" fill="#ef6c00"/>
<text x="710" y="17">{{.RateText}}</text>
</g>
{{end}}</svg>

<h2>What changed in the latest sync</h2>
<p>{{.Hosts.Appeared}} host(s) appeared in a policy, {{.Hosts.Disappeared}} disappeared.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="780" height="{{height 4}}" role="img" aria-label="Status changes">
{{range changeBars .ChangeCount}}<g transform="translate(0,{{.Y}})">
<text x="0" y="17">{{.Label}}</text>
<rect x="260" y="4" width="{{.W}}" height="18" fill="{{.Color}}"/>
<text x="710" y="17">{{.N}}</text>
</g>
{{end}}</svg>
{{if .Changes}}<table>
<tr><th>Policy</th><th>Host</th><th>Control</th><th>Instance</th><th>Was</th><th>Now</th></tr>
{{range firstChanges .Changes 200}}<tr><td>{{.PolicyID}}</td><td>{{.HostID}}</td><td>{{.ControlID}}</td><td>{{.Instance}}</td><td>{{.OldStatus}}</td><td>{{.NewStatus}}</td></tr>
{{end}}</table>{{end}}

<h2>Controls with the lowest pass rate</h2>
<table>
<tr><th>Control</th><th>Statement</th><th>Criticality</th><th>Passed</th><th>Failed</th><th>Error</th><th>Pass rate</th></tr>
{{range worst .Controls 25}}<tr><td>{{.ControlID}}</td><td>{{.Statement}}</td><td>{{.Criticality}}</td><td class="n">{{.Passed}}</td><td class="n">{{.Failed}}</td><td class="n">{{.Error}}</td><td class="n">{{pct .Rate}}</td></tr>
{{end}}</table>
</body>
</html>
`))
