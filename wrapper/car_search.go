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

// SearchOption narrows a CAR search (Scripts, LibraryScripts, Jobs,
// AssetJobs). An option that a search does not support makes the search
// fail at once rather than be silently ignored.
type SearchOption func(*searchConfig)

type searchConfig struct {
	filter        string
	sort          []map[string]SortDirection
	pageSize      int32
	start, end    time.Time
	content       bool
	result        bool
	badDirections []SortDirection
}

// WithFilter sets the Qualys query, e.g. "language:PowerShell-Script" or
// "job.id:29429 AND (job.scriptLanguage:Shell)". The tokens each search
// understands are listed in the CAR API guide.
func WithFilter(query string) SearchOption { return func(c *searchConfig) { c.filter = query } }

// WithSort orders the results by a field, e.g. "id" or "created.dateTime".
// Repeat it to sort by several fields.
func WithSort(field string, dir SortDirection) SearchOption {
	return func(c *searchConfig) {
		if dir != Ascending && dir != Descending {
			c.badDirections = append(c.badDirections, dir)
		}
		c.sort = append(c.sort, map[string]SortDirection{field: dir})
	}
}

// WithPageSize sets how many records each request asks for (default
// defaultPageSize). It changes the number of requests, not the results.
func WithPageSize(n int32) SearchOption { return func(c *searchConfig) { c.pageSize = n } }

// WithTimeWindow keeps jobs and asset jobs generated between start and
// end; a zero time leaves that side open.
func WithTimeWindow(start, end time.Time) SearchOption {
	return func(c *searchConfig) { c.start, c.end = start, end }
}

// WithScriptContent asks a library search for each script's base64
// content (includeScriptContent); read it with ScriptContent.
func WithScriptContent() SearchOption { return func(c *searchConfig) { c.content = true } }

// WithScriptResult asks an asset-job search for each run's base64 output
// (includeScriptResult); read it with ScriptResult.
func WithScriptResult() SearchOption { return func(c *searchConfig) { c.result = true } }

// searchKind lists what a search supports, so misuse is reported.
type searchKind struct {
	op                            string
	sort, window, content, result bool
}

func newSearchConfig(kind searchKind, opts []SearchOption) (*searchConfig, error) {
	c := &searchConfig{}
	for _, o := range opts {
		o(c)
	}
	switch {
	case len(c.badDirections) > 0:
		return nil, fmt.Errorf("qualys: %s: sort direction %q: %w (want asc or desc)", kind.op, c.badDirections[0], ErrInvalidRequest)
	case c.pageSize < 0:
		return nil, fmt.Errorf("qualys: %s: page size %d: %w", kind.op, c.pageSize, ErrInvalidRequest)
	case !kind.sort && len(c.sort) > 0:
		return nil, fmt.Errorf("qualys: %s does not sort: %w", kind.op, ErrInvalidRequest)
	case !kind.window && (!c.start.IsZero() || !c.end.IsZero()):
		return nil, fmt.Errorf("qualys: %s does not take a time window: %w", kind.op, ErrInvalidRequest)
	case !kind.content && c.content:
		return nil, fmt.Errorf("qualys: %s does not return script content: %w", kind.op, ErrInvalidRequest)
	case !kind.result && c.result:
		return nil, fmt.Errorf("qualys: %s does not return script results: %w", kind.op, ErrInvalidRequest)
	}
	return c, nil
}

// filterPtr, sortPtr and timePtr fill optional request fields.
func (c *searchConfig) filterPtr() *string {
	if c.filter == "" {
		return nil
	}
	return &c.filter
}

func (c *searchConfig) sortPtr() *string {
	if len(c.sort) == 0 {
		return nil
	}
	b, _ := json.Marshal(c.sort) // maps of strings always encode
	s := string(b)
	return &s
}

// carTime formats a time the way Qualys' CAR samples do:
// 2025-05-26T11:47:56.810Z.
func carTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05.000Z")
	return &s
}

func flag(on bool) *wire.Flag {
	if !on {
		return nil
	}
	f := wire.FlagOf(true)
	return &f
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
	filter, sort   *string
	startAt, endAt *string
	content        *wire.Flag
	result         *wire.Flag
}

// listEnvelope is every CAR search answer: shape E (errorCode, message,
// body) or shape B (body only), with a {totalCount, list} body of the
// generated record type T.
type listEnvelope[T any] struct {
	ErrorCode *string `json:"errorCode"`
	Message   *string `json:"message"`
	Body      *struct {
		TotalCount int64 `json:"totalCount"`
		List       []T   `json:"list"`
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
func searchCAR[T any](ctx context.Context, kind searchKind, opts []SearchOption, send func(context.Context, searchPage) (*http.Response, error)) iter.Seq2[T, error] {
	cfg, err := newSearchConfig(kind, opts)
	if err != nil {
		return failed[T](err)
	}
	return paginate(ctx, cfg.pageSize, func(ctx context.Context, number, size int32) (pageOf[T], error) {
		p := searchPage{number: number, size: size, filter: cfg.filterPtr(), sort: cfg.sortPtr(),
			startAt: carTime(cfg.start), endAt: carTime(cfg.end), content: flag(cfg.content), result: flag(cfg.result)}
		env, err := call(ctx, kind.op, func(ctx context.Context) (*http.Response, error) { return send(ctx, p) }, parseList[T])
		if err != nil {
			return pageOf[T]{}, err
		}
		if err := carBodyError(kind.op, env.ErrorCode, env.Message); err != nil {
			return pageOf[T]{}, err
		}
		if env.Body == nil {
			return pageOf[T]{}, fmt.Errorf("qualys: %s: %w: the response has no body field", kind.op, ErrUnexpectedBody)
		}
		return pageOf[T]{Items: env.Body.List, TotalCount: env.Body.TotalCount}, nil
	})
}

// LibraryScripts iterates over the Qualys script library
// (POST /sm/v1/script-library/search), page by page. Options: WithFilter
// (e.g. "moduleCode:AUTOR"), WithScriptContent, WithPageSize.
func (c *Client) LibraryScripts(ctx context.Context, opts ...SearchOption) iter.Seq2[car.LibraryScript, error] {
	kind := searchKind{op: "POST /sm/v1/script-library/search", content: true}
	return searchCAR[car.LibraryScript](ctx, kind, opts, func(ctx context.Context, p searchPage) (*http.Response, error) {
		return c.CAR.SearchLibraryScripts(ctx, car.LibraryScriptSearch{Filter: p.filter, IncludeScriptContent: p.content, PageNumber: &p.number, PageSize: &p.size})
	})
}

// Scripts iterates over the account's scripts (POST /sm/v1/scripts/search).
// Options: WithFilter (e.g. "language:PowerShell-Script", "type:Custom
// Script"), WithSort, WithPageSize.
func (c *Client) Scripts(ctx context.Context, opts ...SearchOption) iter.Seq2[car.Script, error] {
	kind := searchKind{op: "POST /sm/v1/scripts/search", sort: true}
	return searchCAR[car.Script](ctx, kind, opts, func(ctx context.Context, p searchPage) (*http.Response, error) {
		return c.CAR.SearchScripts(ctx, car.ScriptSearch{Filter: p.filter, Sort: p.sort, PageNumber: &p.number, PageSize: &p.size})
	})
}

// Jobs iterates over jobs, one per execution of a script
// (POST /sm/v1/jobs/search). Options: WithFilter (e.g. "scriptId:32533"),
// WithSort, WithTimeWindow, WithPageSize.
func (c *Client) Jobs(ctx context.Context, opts ...SearchOption) iter.Seq2[car.Job, error] {
	kind := searchKind{op: "POST /sm/v1/jobs/search", sort: true, window: true}
	return searchCAR[car.Job](ctx, kind, opts, func(ctx context.Context, p searchPage) (*http.Response, error) {
		return c.CAR.SearchJobs(ctx, car.JobSearch{Filter: p.filter, Sort: p.sort, StartAt: p.startAt, EndAt: p.endAt, PageNumber: &p.number, PageSize: &p.size})
	})
}

// AssetJobs iterates over asset jobs, the run of a job on one asset
// (POST /sm/v1/assetjobs/search). Options: WithFilter (e.g.
// "job.id:29429"), WithSort, WithTimeWindow, WithScriptResult,
// WithPageSize.
func (c *Client) AssetJobs(ctx context.Context, opts ...SearchOption) iter.Seq2[car.AssetJob, error] {
	kind := searchKind{op: "POST /sm/v1/assetjobs/search", sort: true, window: true, result: true}
	return searchCAR[car.AssetJob](ctx, kind, opts, func(ctx context.Context, p searchPage) (*http.Response, error) {
		return c.CAR.SearchAssetJobs(ctx, car.AssetJobSearch{Filter: p.filter, Sort: p.sort, StartAt: p.startAt, EndAt: p.endAt,
			IncludeScriptResult: p.result, PageNumber: &p.number, PageSize: &p.size})
	})
}

// Schedules iterates over script schedules (POST /sm/v1/scheduler/search).
// Options: WithFilter, WithSort (e.g. "created.dateTime"), WithTimeWindow,
// WithPageSize. Qualys publishes only the schedule id of each record; the
// other fields are in the record's AdditionalProperties.
func (c *Client) Schedules(ctx context.Context, opts ...SearchOption) iter.Seq2[car.Schedule, error] {
	kind := searchKind{op: "POST /sm/v1/scheduler/search", sort: true, window: true}
	return searchCAR[car.Schedule](ctx, kind, opts, func(ctx context.Context, p searchPage) (*http.Response, error) {
		return c.CAR.SearchSchedules(ctx, car.ScheduleSearch{Filter: p.filter, Sort: p.sort, StartAt: p.startAt, EndAt: p.endAt, PageNumber: &p.number, PageSize: &p.size})
	})
}

// AssetTags iterates over the asset tags CAR is enabled on
// (POST /sm/v1/assettags/search); with the lab-tag filter, the lab tags
// whose ids and UUIDs test-mode executions take. Options: WithFilter,
// WithPageSize.
func (c *Client) AssetTags(ctx context.Context, opts ...SearchOption) iter.Seq2[car.AssetTag, error] {
	kind := searchKind{op: "POST /sm/v1/assettags/search"}
	return searchCAR[car.AssetTag](ctx, kind, opts, func(ctx context.Context, p searchPage) (*http.Response, error) {
		return c.CAR.SearchAssetTags(ctx, car.AssetTagSearch{Filter: p.filter, PageNumber: &p.number, PageSize: &p.size})
	})
}
