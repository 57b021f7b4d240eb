package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

func newCARCmd(f *factory) *cobra.Command {
	c := group("car", "Custom Assessment and Remediation: scripts, jobs, schedules, blocked commands",
		newScriptsCmd(f), newLibraryCmd(f), newJobsCmd(f), newAssetJobsCmd(f), newSchedulesCmd(f),
		newBlockedCommandsCmd(f), newTagsCmd(f), newAssetsCmd(f), newLabAssetsCmd(f))
	c.Long = `Custom Assessment and Remediation (CAR, /sm/...): run scripts on assets and
read their output, manage scripts, the script library, jobs, schedules,
blocked commands, blocked assets and tags, and lab assets.`
	return c
}

// listFlags are the flags of every list command.
type listFlags struct {
	filter   string
	pageSize int
	limit    int
}

func (l *listFlags) register(fs *pflag.FlagSet, filterExample string) {
	fs.StringVar(&l.filter, "filter", "", "Qualys query, e.g. "+filterExample)
	fs.IntVar(&l.pageSize, "page-size", defaultPageSize, "records per request (every page is read)")
	fs.IntVar(&l.limit, "limit", 0, "stop after this many records (0: all)")
}

func (l *listFlags) check() error {
	switch {
	case l.pageSize <= 0 || l.pageSize > 1000:
		return usagef("--page-size %d: want 1 to 1000", l.pageSize)
	case l.limit < 0:
		return usagef("--limit %d: must not be negative", l.limit)
	}
	return nil
}

// defaultPageSize keeps requests few without making one answer large.
const defaultPageSize = 100

// searchOptions are the page size and filter as the options of one
// search (ScriptsOption, JobsOption...), which every search takes.
func searchOptions[O any](l *listFlags) []O {
	size := l.pageSize
	if l.limit > 0 && l.limit < size {
		size = l.limit // one small request when fewer records are wanted
	}
	opts := []O{any(qualys.WithPageSize(int32(size))).(O)}
	if l.filter != "" {
		opts = append(opts, any(qualys.WithFilter(l.filter)).(O))
	}
	return opts
}

// printAll prints the records of a search, up to limit, then flushes.
func printAll[T any](p *printer, seq iter.Seq2[T, error], limit int, each func(T) (any, error)) error {
	n := 0
	for rec, err := range seq {
		if err != nil {
			p.flush() // what was read is still shown
			return err
		}
		var v any = rec
		if each != nil {
			if v, err = each(rec); err != nil {
				return err
			}
		}
		if err := p.record(v); err != nil {
			return err
		}
		if n++; limit > 0 && n >= limit {
			break
		}
	}
	return p.flush()
}

// maxResponse bounds the responses of the calls made through the
// generated client directly.
const maxResponse = 16 << 20

// carEnvelope is a CAR answer: errorCode, message and body (shape E), or
// body alone (shape B), or a bare text.
type carEnvelope struct {
	ErrorCode any             `json:"errorCode"`
	Message   *string         `json:"message"`
	Body      json.RawMessage `json:"body"`
}

// carCall sends one request through the generated CAR client and returns
// the body of its envelope, with errors in the status or in the body.
func carCall(op string, send func() (*http.Response, error)) (json.RawMessage, error) {
	resp, err := send()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", op, err)
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("%s: the answer is larger than %d MiB", op, maxResponse>>20)
	}
	var env carEnvelope
	jsonErr := json.Unmarshal(body, &env)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, httpError(op, resp, body)
	}
	if err := jsonErr; err != nil {
		if t := bytes.TrimSpace(body); len(t) > 0 && t[0] != '{' {
			b, _ := json.Marshal(string(t))
			return b, nil // a plain success text
		}
		return nil, fmt.Errorf("%s: the answer is not JSON: %w", op, err)
	}
	if code := errorCodeText(env.ErrorCode); code != "" && code != "0" {
		msg := ""
		if env.Message != nil {
			msg = *env.Message
		}
		return nil, &qualys.APIError{StatusCode: resp.StatusCode, Code: code, Message: msg, Operation: op}
	}
	if len(env.Body) == 0 || string(env.Body) == "null" {
		if env.Message != nil {
			b, _ := json.Marshal(map[string]string{"message": *env.Message})
			return b, nil
		}
		return json.RawMessage(`{}`), nil
	}
	return env.Body, nil
}

// errorCodeText is a CAR errorCode, which comes as text, a number or null.
func errorCodeText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// httpError describes a failed answer as the SDK's *APIError, so that
// errors.Is finds ErrUnauthorized, ErrNotFound and the rest: the status,
// and the message of a CAR or gateway error body. Error bodies carry no
// secrets; other bodies are described, not echoed.
func httpError(op string, resp *http.Response, body []byte) error {
	e := &qualys.APIError{StatusCode: resp.StatusCode, Operation: op, ContentType: resp.Header.Get("Content-Type")}
	var b struct {
		ErrorCode any    `json:"errorCode"`
		Error     string `json:"error"`
		Message   string `json:"message"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Code, e.Message = errorCodeText(b.ErrorCode), b.Message
		if e.Code == "" {
			e.Code = b.Error
		}
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("%d bytes of %s", len(body), firstNonEmpty(e.ContentType, "untyped data"))
	}
	if len(e.Message) > 300 {
		e.Message = e.Message[:300] + "…"
	}
	return e
}

// printBody prints the body of a CAR answer: each element of a list, or
// the object itself.
func printBody(p *printer, body json.RawMessage) error {
	var list struct {
		List *[]json.RawMessage `json:"list"`
	}
	if json.Unmarshal(body, &list) == nil && list.List != nil {
		for _, r := range *list.List {
			if err := p.record(r); err != nil {
				return err
			}
		}
		return p.flush()
	}
	var arr []json.RawMessage
	if json.Unmarshal(body, &arr) == nil {
		for _, r := range arr {
			if err := p.record(r); err != nil {
				return err
			}
		}
		return p.flush()
	}
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		if err := p.record(obj); err != nil {
			return err
		}
		return p.flush()
	}
	var text string
	if json.Unmarshal(body, &text) == nil {
		if err := p.record(map[string]string{"message": text}); err != nil {
			return err
		}
		return p.flush()
	}
	if err := p.record(body); err != nil {
		return err
	}
	return p.flush()
}

// readBodyFile reads a request body from a JSON or YAML file ("-" is
// stdin), checks it against the operation's schema and decodes it into
// dst, refusing unknown fields: every mistake exits 2 before the request.
func readBodyFile(f *factory, file, operationID string, dst any) error {
	if file == "" {
		return usagef("--file is required: a JSON or YAML file with the request body (- for stdin)")
	}
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(io.LimitReader(f.stdin, maxResponse))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return usagef("--file: %s", clean(err.Error()))
	}
	var generic any
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		err = json.Unmarshal(data, &generic)
	} else {
		err = yaml.Unmarshal(data, &generic)
	}
	if err != nil {
		return usagef("%s is neither JSON nor YAML: %s", file, oneLine(clean(err.Error())))
	}
	if generic == nil {
		return usagef("%s is empty", file)
	}
	js, err := json.Marshal(generic)
	if err != nil {
		return usagef("%s: %s", file, clean(err.Error())) // YAML maps with non-string keys
	}
	var check any
	json.Unmarshal(js, &check)
	if err := checkRequestBody(file, operationID, check); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return usagef("%s: %s", file, clean(err.Error()))
	}
	return nil
}

// idList renders ids for messages.
func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ",")
}
