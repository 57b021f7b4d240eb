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
// DefaultPageSize). It changes the number of requests, not the results.
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
	op                      string
	window, content, result bool
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

// LibraryScripts iterates over the Qualys script library
// (POST /sm/v1/script-library/search), page by page. Options: WithFilter
// (e.g. "moduleCode:AUTOR"), WithScriptContent, WithPageSize.
func (c *Client) LibraryScripts(ctx context.Context, opts ...SearchOption) iter.Seq2[car.LibraryScript, error] {
	kind := searchKind{op: "POST /sm/v1/script-library/search", content: true}
	cfg, err := newSearchConfig(kind, opts)
	if err != nil {
		return failed[car.LibraryScript](err)
	}
	return Paginate(ctx, cfg.pageSize, func(ctx context.Context, page, size int32) (Page[car.LibraryScript], error) {
		req := car.LibraryScriptSearch{Filter: cfg.filterPtr(), IncludeScriptContent: flag(cfg.content), PageNumber: &page, PageSize: &size}
		resp, err := call(ctx, kind.op, func(ctx context.Context) (*http.Response, error) {
			return c.CAR.SearchLibraryScripts(ctx, req)
		}, car.ParseSearchLibraryScriptsResponse)
		if err != nil {
			return Page[car.LibraryScript]{}, err
		}
		res, err := decoded(kind.op, resp.HTTPResponse, resp.Body, resp.JSON200)
		if err != nil || res.Body == nil {
			return Page[car.LibraryScript]{}, orMissingBody(kind.op, resp.HTTPResponse, resp.Body, err)
		}
		return Page[car.LibraryScript]{Items: res.Body.List, TotalCount: res.Body.TotalCount}, nil
	})
}

// Scripts iterates over the account's scripts (POST /sm/v1/scripts/search).
// Options: WithFilter (e.g. "language:PowerShell-Script", "type:Custom
// Script"), WithSort, WithPageSize.
func (c *Client) Scripts(ctx context.Context, opts ...SearchOption) iter.Seq2[car.Script, error] {
	kind := searchKind{op: "POST /sm/v1/scripts/search"}
	cfg, err := newSearchConfig(kind, opts)
	if err != nil {
		return failed[car.Script](err)
	}
	return Paginate(ctx, cfg.pageSize, func(ctx context.Context, page, size int32) (Page[car.Script], error) {
		req := car.ScriptSearch{Filter: cfg.filterPtr(), Sort: cfg.sortPtr(), PageNumber: &page, PageSize: &size}
		resp, err := call(ctx, kind.op, func(ctx context.Context) (*http.Response, error) {
			return c.CAR.SearchScripts(ctx, req)
		}, car.ParseSearchScriptsResponse)
		if err != nil {
			return Page[car.Script]{}, err
		}
		res, err := decoded(kind.op, resp.HTTPResponse, resp.Body, resp.JSON200)
		if err != nil || res.Body == nil {
			return Page[car.Script]{}, orMissingBody(kind.op, resp.HTTPResponse, resp.Body, err)
		}
		return Page[car.Script]{Items: res.Body.List, TotalCount: res.Body.TotalCount}, nil
	})
}

// Jobs iterates over jobs, one per execution of a script
// (POST /sm/v1/jobs/search). Options: WithFilter (e.g. "scriptId:32533"),
// WithSort, WithTimeWindow, WithPageSize.
func (c *Client) Jobs(ctx context.Context, opts ...SearchOption) iter.Seq2[car.Job, error] {
	kind := searchKind{op: "POST /sm/v1/jobs/search", window: true}
	cfg, err := newSearchConfig(kind, opts)
	if err != nil {
		return failed[car.Job](err)
	}
	return Paginate(ctx, cfg.pageSize, func(ctx context.Context, page, size int32) (Page[car.Job], error) {
		req := car.JobSearch{Filter: cfg.filterPtr(), Sort: cfg.sortPtr(), StartAt: carTime(cfg.start), EndAt: carTime(cfg.end), PageNumber: &page, PageSize: &size}
		resp, err := call(ctx, kind.op, func(ctx context.Context) (*http.Response, error) {
			return c.CAR.SearchJobs(ctx, req)
		}, car.ParseSearchJobsResponse)
		if err != nil {
			return Page[car.Job]{}, err
		}
		res, err := decoded(kind.op, resp.HTTPResponse, resp.Body, resp.JSON200)
		if err == nil {
			err = CARBodyError(kind.op, res.ErrorCode, res.Message)
		}
		if err != nil || res.Body == nil {
			return Page[car.Job]{}, orMissingBody(kind.op, resp.HTTPResponse, resp.Body, err)
		}
		return Page[car.Job]{Items: res.Body.List, TotalCount: res.Body.TotalCount}, nil
	})
}

// AssetJobs iterates over asset jobs, the run of a job on one asset
// (POST /sm/v1/assetjobs/search). Options: WithFilter (e.g.
// "job.id:29429"), WithSort, WithTimeWindow, WithScriptResult,
// WithPageSize.
func (c *Client) AssetJobs(ctx context.Context, opts ...SearchOption) iter.Seq2[car.AssetJob, error] {
	kind := searchKind{op: "POST /sm/v1/assetjobs/search", window: true, result: true}
	cfg, err := newSearchConfig(kind, opts)
	if err != nil {
		return failed[car.AssetJob](err)
	}
	return Paginate(ctx, cfg.pageSize, func(ctx context.Context, page, size int32) (Page[car.AssetJob], error) {
		req := car.AssetJobSearch{Filter: cfg.filterPtr(), Sort: cfg.sortPtr(), StartAt: carTime(cfg.start), EndAt: carTime(cfg.end),
			IncludeScriptResult: flag(cfg.result), PageNumber: &page, PageSize: &size}
		resp, err := call(ctx, kind.op, func(ctx context.Context) (*http.Response, error) {
			return c.CAR.SearchAssetJobs(ctx, req)
		}, car.ParseSearchAssetJobsResponse)
		if err != nil {
			return Page[car.AssetJob]{}, err
		}
		res, err := decoded(kind.op, resp.HTTPResponse, resp.Body, resp.JSON200)
		if err == nil {
			err = CARBodyError(kind.op, res.ErrorCode, res.Message)
		}
		if err != nil || res.Body == nil {
			return Page[car.AssetJob]{}, orMissingBody(kind.op, resp.HTTPResponse, resp.Body, err)
		}
		return Page[car.AssetJob]{Items: res.Body.List, TotalCount: res.Body.TotalCount}, nil
	})
}

// orMissingBody returns err, or, when there is none, an error saying the
// envelope had no body: a 200 without records must not look like an empty
// search.
func orMissingBody(op string, resp *http.Response, body []byte, err error) error {
	if err != nil {
		return err
	}
	return unexpectedBody(op, resp, body, fmt.Errorf("the response has no body field"))
}
