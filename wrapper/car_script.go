package qualys

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
)

// ErrNoContent is wrapped when a record carries no base64 field to decode,
// e.g. a library search made without WithScriptContent.
var ErrNoContent = errors.New("qualys: no content in the record")

// decodeField decodes one base64 field of a record. The error names the
// record and the field, and wraps wire.ErrInvalidBase64 or ErrNoContent.
func decodeField(record, field string, b wire.Base64) ([]byte, error) {
	if b.IsZero() {
		return nil, fmt.Errorf("qualys: %s: %s: %w", record, field, ErrNoContent)
	}
	out, err := b.Decode()
	if err != nil {
		return nil, fmt.Errorf("qualys: %s: %s: %w", record, field, err)
	}
	return out, nil
}

// idText renders an id for messages, "?" when it is unset.
func idText(id wire.ID) string {
	if id.IsZero() {
		return "?"
	}
	return id.String()
}

// ScriptContent decodes the base64 scriptContent of a library search
// record (present only with WithScriptContent).
func ScriptContent(s car.LibraryScript) ([]byte, error) {
	return decodeField("library script "+idText(s.ID), "scriptContent", s.ScriptContent)
}

// ScriptResult decodes the base64 output of an asset job (present only
// with WithScriptResult).
func ScriptResult(j car.AssetJob) ([]byte, error) {
	return decodeField("asset job "+idText(j.ID), "scriptResult", j.ScriptResult)
}

// LibraryScript fetches one script of the Qualys script library
// (GET /sm/v1/script-library/{id}). Its content is decoded by
// LibraryScriptContent.
func (c *Client) LibraryScript(ctx context.Context, id wire.ID) (car.LibraryScriptDetail, error) {
	op := fmt.Sprintf("GET /sm/v1/script-library/%s", id)
	if id.IsZero() {
		return car.LibraryScriptDetail{}, fmt.Errorf("qualys: %s: a library script id is required: %w", op, ErrInvalidRequest)
	}
	resp, err := call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.CAR.GetLibraryScript(ctx, id)
	}, car.ParseGetLibraryScriptResponse)
	if err != nil {
		return car.LibraryScriptDetail{}, err
	}
	res, err := decoded(op, resp.HTTPResponse, resp.Body, resp.JSON200)
	if err != nil {
		return car.LibraryScriptDetail{}, err
	}
	// A 200 without the record (or without its id) must not look like a script.
	if res.Body.ID.IsZero() {
		return car.LibraryScriptDetail{}, orMissingBody(op, resp.HTTPResponse, resp.Body, nil)
	}
	return res.Body, nil
}

// LibraryScriptContent decodes the base64 content of a library script.
func LibraryScriptContent(s car.LibraryScriptDetail) ([]byte, error) {
	return decodeField("library script "+idText(s.ID), "content", s.Content)
}

// Import describes a library script to copy into the account.
type Import struct {
	LibraryID  wire.ID // id of the library script
	Title      string  // title of the new account script
	CategoryID int64   // category of the new script, e.g. 7 (Remediation)
	Approved   bool    // create it already approved
}

// ImportLibraryScript copies a library script into the account
// (POST /sm/v1/script-library/import) and returns the id of the new
// account script, which is not the library id. A failure Qualys reports
// inside a 200 (errorCode other than "0") is an *APIError matching
// ErrInBody.
func (c *Client) ImportLibraryScript(ctx context.Context, in Import) (wire.ID, error) {
	const op = "POST /sm/v1/script-library/import"
	if strings.TrimSpace(in.Title) == "" || in.LibraryID.IsZero() {
		return wire.ID{}, fmt.Errorf("qualys: %s: a title and a library id are required: %w", op, ErrInvalidRequest)
	}
	req := car.LibraryScriptImport{
		ID:         in.LibraryID,
		Title:      in.Title,
		CategoryID: wire.IDFromInt(in.CategoryID),
		Approved:   in.Approved,
	}
	resp, err := call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.CAR.ImportLibraryScriptV1(ctx, req)
	}, car.ParseImportLibraryScriptV1Response)
	if err != nil {
		return wire.ID{}, err
	}
	res, err := decoded(op, resp.HTTPResponse, resp.Body, resp.JSON200)
	if err != nil {
		return wire.ID{}, err
	}
	if err := carBodyError(op, res.ErrorCode, res.Message); err != nil {
		return wire.ID{}, err
	}
	if res.Body.ID.IsZero() {
		return wire.ID{}, unexpectedBody(op, resp.HTTPResponse, resp.Body, errors.New("the response has no body.id"))
	}
	return res.Body.ID, nil
}

// orMissingBody returns err, or, when there is none, an error saying the
// envelope had no body: a 200 without its record must not look like
// success.
func orMissingBody(op string, resp *http.Response, body []byte, err error) error {
	if err != nil {
		return err
	}
	return unexpectedBody(op, resp, body, errors.New("the response has no body field"))
}
