package qualys

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
)

// Execution says where to run a script now. Production runs name assets
// and/or asset tags; test runs (Test true) name lab assets or lab tags by
// id and UUID, e.g. car.TargetRef{ID: wire.NewID(7512812), UUID: agentUUID},
// with the ids and UUIDs AssetTags lists for lab tags.
type Execution struct {
	AssetIDs         []wire.ID
	AssetTagIDs      []wire.ID
	ExcludedAssetIDs []wire.ID
	Test             bool
	TestAssets       []car.TargetRef // lab asset id and agent UUID
	TestTags         []car.TargetRef // lab tag id and tag UUID
	Description      string
	// PollInterval and MaxPollInterval are how RunScript follows the run:
	// the first wait between two polls (default 2s), doubled while nothing
	// changes up to the longest (default 30s). ExecuteScript ignores them.
	PollInterval, MaxPollInterval time.Duration
	// Progress, when set, is called after each poll of RunScript and
	// RunScriptResults with how far the run has come; ExecuteScript
	// ignores it. It runs on the goroutine that called RunScript (or
	// ranges over RunScriptResults), one call at a time and never after
	// that call returns, so it needs no locking; the next poll waits for
	// it to return.
	Progress func(RunProgress)
}

// ExecuteScript runs a script on demand (POST /sm/v1/scripts/{id}/execute)
// and returns the execution's correlation UUID. The run is asynchronous:
// follow it with Jobs (WithFilter("scriptId:<id>")) and AssetJobs.
// Execution is never re-sent after a lost response, since it may already
// have started.
func (c *Client) ExecuteScript(ctx context.Context, scriptID wire.ID, e Execution) (string, error) {
	op := fmt.Sprintf("POST /sm/v1/scripts/%s/execute", scriptID)
	switch {
	case scriptID.IsZero():
		return "", fmt.Errorf("qualys: %s: a script id is required: %w", op, ErrInvalidRequest)
	case e.Test && len(e.TestAssets) == 0 && len(e.TestTags) == 0:
		return "", fmt.Errorf("qualys: %s: a test run needs lab assets or lab tags: %w", op, ErrInvalidRequest)
	case !e.Test && len(e.AssetIDs) == 0 && len(e.AssetTagIDs) == 0:
		return "", fmt.Errorf("qualys: %s: name assets or asset tags to run on: %w", op, ErrInvalidRequest)
	}
	req := car.ScriptExecution{
		AssetIDs:         idList(e.AssetIDs),
		AssetTagIDs:      idList(e.AssetTagIDs),
		ExcludedAssetIDs: idList(e.ExcludedAssetIDs),
		TestAssets:       quotedTargets(e.TestAssets),
		TestTags:         quotedTargets(e.TestTags),
		TestMode:         wire.FlagOf(e.Test),
		Description:      e.Description,
	}
	resp, err := call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.CAR.ExecuteScript(ctx, scriptID, req)
	}, car.ParseExecuteScriptResponse)
	if err != nil {
		return "", err
	}
	res, err := decoded(op, resp.HTTPResponse, resp.Body, resp.JSON200)
	if err != nil {
		return "", err
	}
	if res.Body.CorrelationUUID == "" {
		return "", orMissingBody(op, resp.HTTPResponse, resp.Body, nil)
	}
	return res.Body.CorrelationUUID, nil
}

// idList joins ids the way execute takes them: one comma-separated string.
func idList(ids []wire.ID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.String()
	}
	return strings.Join(parts, ",")
}

// quotedTargets copies lab targets with their ids as JSON strings, the
// form Qualys' execute sample sends ("7512812"), however the caller
// built them.
func quotedTargets(refs []car.TargetRef) []car.TargetRef {
	out := make([]car.TargetRef, len(refs))
	for i, r := range refs {
		r.ID = r.ID.AsString()
		out[i] = r
	}
	return out
}
