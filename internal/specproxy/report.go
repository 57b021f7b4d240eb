package specproxy

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Finding is one line of the report: something in a request or a response
// that its OpenAPI document does not allow.
type Finding struct {
	Time time.Time `json:"time"`
	// Operation is the operationId, or "METHOD /path" when no operation
	// matches.
	Operation string `json:"operation"`
	// Direction is "request" or "response".
	Direction string `json:"direction"`
	// Status is the status the upstream answered (502 when it could not
	// be reached).
	Status int `json:"status"`
	// Pointer is the RFC 6901 pointer into the body, or the name of the
	// parameter at fault; "" for the whole message.
	Pointer string `json:"pointer"`
	// Rule names what was broken (see the Rule constants).
	Rule string `json:"rule"`
	// Message says what was wrong, never with the value found: values can
	// be secrets.
	Message string `json:"message"`
}

// Rules of findings that are not JSON Schema keywords. Schema violations
// use the keyword that failed ("type", "enum", "required", "format",
// "pattern", "maximum", "oneOf", ...), except undeclared members, which are
// RuleUndeclaredField.
const (
	RuleUnknownOperation = "unknown-operation" // no operation has this method and path
	RuleUndeclaredField  = "undeclared-field"  // a member the schema does not declare (Strict)
	RuleUndeclaredStatus = "undeclared-status" // a status the operation does not declare
	RuleContentType      = "content-type"      // a media type the operation does not declare
	RuleInvalidJSON      = "invalid-json"      // the body is not JSON
	RuleParameter        = "parameter"         // a parameter missing or not parseable
	RuleBodyTooLarge     = "body-too-large"    // over the size the proxy checks; forwarded unchecked
	RuleIncompleteBody   = "incomplete-body"   // the upstream body ended early or broke
	RuleTooManyFindings  = "too-many-findings" // the rest of this message's findings are left out
)

// reporter appends findings to the report as JSON lines, one write per
// line so that concurrent exchanges never interleave.
type reporter struct {
	mu  sync.Mutex
	w   io.Writer
	err error // the first write error; later findings are dropped
}

func (r *reporter) write(f Finding) {
	line, err := json.Marshal(f)
	if err != nil {
		return // a Finding is plain data: cannot happen
	}
	line = append(line, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		_, r.err = r.w.Write(line)
	}
}
