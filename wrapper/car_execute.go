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
// and/or asset tags; test runs (Test true) name lab assets or lab tags,
// with the ids and UUIDs AssetTags lists.
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
		TestAssets:       e.TestAssets,
		TestTags:         e.TestTags,
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

// LabTarget builds the reference a test run takes for a lab asset or lab
// tag: its id and its agent or tag UUID.
func LabTarget(id wire.ID, uuid string) car.TargetRef {
	return car.TargetRef{ID: id.AsString(), UUID: uuid}
}
