package qualys

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"time"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
)

// SortDirection orders a CAR search.
type SortDirection string

// The two directions CAR accepts.
const (
	Ascending  SortDirection = "asc"
	Descending SortDirection = "desc"
)

// Each CAR search takes only the options it supports: passing, say,
// WithTimeWindow to Scripts does not compile. Every search takes WithFilter
// and WithPageSize; the others say which searches take them.

// LibraryScriptsOption narrows LibraryScripts.
type LibraryScriptsOption interface{ applyLibrary(*searchConfig) }

// ScriptsOption narrows Scripts.
type ScriptsOption interface{ applyScripts(*searchConfig) }

// JobsOption narrows Jobs.
type JobsOption interface{ applyJobs(*searchConfig) }

// AssetJobsOption narrows AssetJobs.
type AssetJobsOption interface{ applyAssetJobs(*searchConfig) }

// SchedulesOption narrows Schedules.
type SchedulesOption interface{ applySchedules(*searchConfig) }

// AssetTagsOption narrows AssetTags.
type AssetTagsOption interface{ applyAssetTags(*searchConfig) }

type searchConfig struct {
	filter        string
	sort          []map[string]SortDirection
	pageSize      int32
	start, end    time.Time
	content       bool
	result        bool
	badDirections []SortDirection
}

// coreOption is taken by every search (filter, page size).
type coreOption func(*searchConfig)

func (o coreOption) applyLibrary(c *searchConfig)   { o(c) }
func (o coreOption) applyScripts(c *searchConfig)   { o(c) }
func (o coreOption) applyJobs(c *searchConfig)      { o(c) }
func (o coreOption) applyAssetJobs(c *searchConfig) { o(c) }
func (o coreOption) applySchedules(c *searchConfig) { o(c) }
func (o coreOption) applyAssetTags(c *searchConfig) { o(c) }

// sortOption is taken by the searches that sort.
type sortOption func(*searchConfig)

func (o sortOption) applyScripts(c *searchConfig)   { o(c) }
func (o sortOption) applyJobs(c *searchConfig)      { o(c) }
func (o sortOption) applyAssetJobs(c *searchConfig) { o(c) }
func (o sortOption) applySchedules(c *searchConfig) { o(c) }

// windowOption is taken by the searches with a time window.
type windowOption func(*searchConfig)

func (o windowOption) applyJobs(c *searchConfig)      { o(c) }
func (o windowOption) applyAssetJobs(c *searchConfig) { o(c) }
func (o windowOption) applySchedules(c *searchConfig) { o(c) }

// contentOption is taken by LibraryScripts only.
type contentOption func(*searchConfig)

func (o contentOption) applyLibrary(c *searchConfig) { o(c) }

// resultOption is taken by AssetJobs only.
type resultOption func(*searchConfig)

func (o resultOption) applyAssetJobs(c *searchConfig) { o(c) }

// WithFilter sets the Qualys query, e.g. "language:PowerShell-Script" or
// "job.id:29429 AND (job.scriptLanguage:Shell)". The tokens each search
// understands are listed in the CAR API guide. Every search takes it.
func WithFilter(query string) coreOption { return func(c *searchConfig) { c.filter = query } }

// WithSort orders the results by a field, e.g. "id" or "created.dateTime".
// Repeat it to sort by several fields. Scripts, Jobs, AssetJobs and
// Schedules take it.
func WithSort(field string, dir SortDirection) sortOption {
	return func(c *searchConfig) {
		if dir != Ascending && dir != Descending {
			c.badDirections = append(c.badDirections, dir)
		}
		c.sort = append(c.sort, map[string]SortDirection{field: dir})
	}
}

// WithPageSize sets how many records each request asks for (default
// defaultPageSize). It changes the number of requests, not the results.
// Every search takes it.
func WithPageSize(n int32) coreOption { return func(c *searchConfig) { c.pageSize = n } }

// WithTimeWindow keeps records generated between start and end; a zero
// time leaves that side open. Jobs, AssetJobs and Schedules take it.
func WithTimeWindow(start, end time.Time) windowOption {
	return func(c *searchConfig) { c.start, c.end = start, end }
}

// WithScriptContent asks LibraryScripts for each script's base64 content
// (includeScriptContent); read it with ScriptContent.
func WithScriptContent() contentOption { return func(c *searchConfig) { c.content = true } }

// WithScriptResult asks AssetJobs for each run's base64 output
// (includeScriptResult); read it with ScriptResult.
func WithScriptResult() resultOption { return func(c *searchConfig) { c.result = true } }

// newSearchConfig applies a search's options and checks their values.
func newSearchConfig[O any](op string, opts []O, apply func(O, *searchConfig)) (*searchConfig, error) {
	c := &searchConfig{}
	for _, o := range opts {
		apply(o, c)
	}
	switch {
	case len(c.badDirections) > 0:
		return nil, fmt.Errorf("qualys: %s: sort direction %q: %w (want asc or desc)", op, c.badDirections[0], ErrInvalidRequest)
	case c.pageSize < 0:
		return nil, fmt.Errorf("qualys: %s: page size %d: %w", op, c.pageSize, ErrInvalidRequest)
	}
	return c, nil
}

// sortText is the sort field as CAR takes it: a JSON array in a string.
func (c *searchConfig) sortText() string {
	if len(c.sort) == 0 {
		return ""
	}
	b, _ := json.Marshal(c.sort) // maps of strings always encode
	return string(b)
}

// carTime formats a time the way Qualys' CAR samples do:
// 2025-05-26T11:47:56.810Z; "" (absent) for the zero time.
func carTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// failed yields err as the only element of a search.
func failed[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}

// searchPage is one request of a search: the page to fetch and the
// request fields every CAR search shares, ready to put in its body.
type searchPage struct {
	number, size   int32
	filter, sort   string
	startAt, endAt string
	content        wire.Flag
	result         wire.Flag
}

// listEnvelope is every CAR search answer: shape E (errorCode, message,
// body) or shape B (body only), with a {totalCount, list} body of the
// generated record type T.
type listEnvelope[T any] struct {
	ErrorCode *string `json:"errorCode"`
	Message   *string `json:"message"`
	Body      *struct {
		TotalCount wire.Count `json:"totalCount"`
		List       []T        `json:"list"`
	} `json:"body"`
}

// parseList decodes a search answer the way the generated parsers do, into
// one envelope type for every search.
func parseList[T any](resp *http.Response) (*listEnvelope[T], error) {
	var env listEnvelope[T]
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return nil, err
	}
	return &env, nil
}

// searchCAR walks a CAR search page by page. send posts one page with the
// generated client; errors inside a 200 (errorCode other than "0") and a
// 200 without a body end the walk with an error, never a short result.
func searchCAR[T, O any](ctx context.Context, op string, opts []O, apply func(O, *searchConfig), send func(context.Context, searchPage) (*http.Response, error)) iter.Seq2[T, error] {
	cfg, err := newSearchConfig(op, opts, apply)
	if err != nil {
		return failed[T](err)
	}
	return paginate(ctx, cfg.pageSize, func(ctx context.Context, number, size int32) (pageOf[T], error) {
		p := searchPage{number: number, size: size, filter: cfg.filter, sort: cfg.sortText(),
			startAt: carTime(cfg.start), endAt: carTime(cfg.end), content: wire.FlagOf(cfg.content), result: wire.FlagOf(cfg.result)}
		env, err := call(ctx, op, func(ctx context.Context) (*http.Response, error) { return send(ctx, p) }, parseList[T])
		if err != nil {
			return pageOf[T]{}, err
		}
		if err := carBodyError(op, deref(env.ErrorCode), deref(env.Message)); err != nil {
			return pageOf[T]{}, err
		}
		if env.Body == nil {
			return pageOf[T]{}, fmt.Errorf("qualys: %s: %w: the response has no body field", op, ErrUnexpectedBody)
		}
		return pageOf[T]{Items: env.Body.List, TotalCount: env.Body.TotalCount.Int64()}, nil
	})
}

// deref is the string a nullable envelope field holds, "" for null.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// LibraryScripts iterates over the Qualys script library
// (POST /sm/v1/script-library/search), page by page. Options: WithFilter
// (e.g. "moduleCode:AUTOR"), WithScriptContent, WithPageSize.
func (c *Client) LibraryScripts(ctx context.Context, opts ...LibraryScriptsOption) iter.Seq2[car.LibraryScript, error] {
	return searchCAR[car.LibraryScript](ctx, "POST /sm/v1/script-library/search", opts, LibraryScriptsOption.applyLibrary, func(ctx context.Context, p searchPage) (*http.Response, error) {
		return c.CAR.SearchLibraryScripts(ctx, car.LibraryScriptSearch{Filter: p.filter, IncludeScriptContent: p.content, PageNumber: p.number, PageSize: p.size})
	})
}

// Scripts iterates over the account's scripts (POST /sm/v1/scripts/search).
// Options: WithFilter (e.g. "language:PowerShell-Script", "type:Custom
// Script"), WithSort, WithPageSize. A listed script's ID goes straight
// into ExecuteScript.
func (c *Client) Scripts(ctx context.Context, opts ...ScriptsOption) iter.Seq2[car.Script, error] {
	return searchCAR[car.Script](ctx, "POST /sm/v1/scripts/search", opts, ScriptsOption.applyScripts, func(ctx context.Context, p searchPage) (*http.Response, error) {
		search := car.ScriptSearch{Filter: p.filter, Sort: p.sort}
		search.PageNumber, search.PageSize = p.number, p.size
		return c.CAR.SearchScripts(ctx, search)
	})
}

// Jobs iterates over jobs, one per execution of a script
// (POST /sm/v1/jobs/search). Options: WithFilter (e.g. "scriptId:32533"),
// WithSort, WithTimeWindow, WithPageSize.
func (c *Client) Jobs(ctx context.Context, opts ...JobsOption) iter.Seq2[car.Job, error] {
	return searchCAR[car.Job](ctx, "POST /sm/v1/jobs/search", opts, JobsOption.applyJobs, func(ctx context.Context, p searchPage) (*http.Response, error) {
		search := car.JobSearch{Filter: p.filter, Sort: p.sort, StartAt: p.startAt, EndAt: p.endAt}
		search.PageNumber, search.PageSize = p.number, p.size
		return c.CAR.SearchJobs(ctx, search)
	})
}

// AssetJobs iterates over asset jobs, the run of a job on one asset
// (POST /sm/v1/assetjobs/search). Options: WithFilter (e.g.
// "job.id:29429"), WithSort, WithTimeWindow, WithScriptResult,
// WithPageSize.
func (c *Client) AssetJobs(ctx context.Context, opts ...AssetJobsOption) iter.Seq2[car.AssetJob, error] {
	return searchCAR[car.AssetJob](ctx, "POST /sm/v1/assetjobs/search", opts, AssetJobsOption.applyAssetJobs, func(ctx context.Context, p searchPage) (*http.Response, error) {
		search := car.AssetJobSearch{Filter: p.filter, Sort: p.sort, StartAt: p.startAt, EndAt: p.endAt, IncludeScriptResult: p.result}
		search.PageNumber, search.PageSize = p.number, p.size
		return c.CAR.SearchAssetJobs(ctx, search)
	})
}

// Schedules iterates over script schedules (POST /sm/v1/scheduler/search).
// Options: WithFilter, WithSort (e.g. "created.dateTime"), WithTimeWindow,
// WithPageSize. Qualys publishes only the schedule id of each record; the
// other fields are in the record's AdditionalProperties.
func (c *Client) Schedules(ctx context.Context, opts ...SchedulesOption) iter.Seq2[car.Schedule, error] {
	return searchCAR[car.Schedule](ctx, "POST /sm/v1/scheduler/search", opts, SchedulesOption.applySchedules, func(ctx context.Context, p searchPage) (*http.Response, error) {
		search := car.ScheduleSearch{Filter: p.filter, Sort: p.sort, StartAt: p.startAt, EndAt: p.endAt}
		search.PageNumber, search.PageSize = p.number, p.size
		return c.CAR.SearchSchedules(ctx, search)
	})
}

// AssetTags iterates over the asset tags CAR is enabled on
// (POST /sm/v1/assettags/search); with the lab-tag filter, the lab tags
// whose ids and UUIDs test-mode executions take. Options: WithFilter,
// WithPageSize.
func (c *Client) AssetTags(ctx context.Context, opts ...AssetTagsOption) iter.Seq2[car.AssetTag, error] {
	return searchCAR[car.AssetTag](ctx, "POST /sm/v1/assettags/search", opts, AssetTagsOption.applyAssetTags, func(ctx context.Context, p searchPage) (*http.Response, error) {
		search := car.AssetTagSearch{Filter: p.filter}
		search.PageNumber, search.PageSize = p.number, p.size
		return c.CAR.SearchAssetTags(ctx, search)
	})
}
