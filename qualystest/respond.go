package qualystest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// replyJSON validates v as the response of the call and sends it.
func (s *Server) replyJSON(w http.ResponseWriter, r *http.Request, c *call, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a simulator bug can get here: every value is plain data.
		s.recordResponseError(err)
		http.Error(w, "qualystest: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.replyBody(w, r, c, status, "application/json", body)
}

// replyBody validates a complete response body and sends it.
func (s *Server) replyBody(w http.ResponseWriter, r *http.Request, c *call, status int, contentType string, body []byte) {
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	var ds []Drift
	if status < 300 && strings.Contains(contentType, "json") {
		ds, _ = s.drifts.pop(c.opID, r.URL.Path)
	}
	if ds != nil {
		drifted, err := applyDrifts(body, ds)
		if err != nil {
			s.recordResponseError(fmt.Errorf("%s: %w", c.opID, err))
		} else {
			body = drifted
		}
	} else {
		s.validateResponse(r, c, status, h, body)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// fail sends the error body of the call's API for a status and message:
//   - CAR: {"errorCode": "<status>", "message": ...}
//   - PCRS and gateway: {"status": <status>, "error": <reason>, "message": ...}
//   - /auth: {"authentication_exceptions": [[message]]}
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *call, status int, message string) {
	switch c.api {
	case apiCAR:
		s.replyJSON(w, r, c, status, carError{ErrorCode: strconv.Itoa(status), Message: message})
	case apiAuth:
		s.replyJSON(w, r, c, status, authError{Exceptions: [][]string{{message}}})
	default:
		s.replyJSON(w, r, c, status, gatewayError{Status: status, Error: http.StatusText(status), Message: message})
	}
}

// carError is the CAR error envelope.
type carError struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

// gatewayError is the body of gateway-level errors (401 on every API) and
// of PCRS errors.
type gatewayError struct {
	Status  int    `json:"status"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

// authError is the body of a 401 from /auth.
type authError struct {
	Exceptions [][]string `json:"authentication_exceptions"`
}

// classicError is one element of the array PCRS hostids answers 400 with:
// a classic Qualys API error passed through.
type classicError struct {
	Response classicResponse `json:"response"`
}

type classicResponse struct {
	Datetime string `json:"datetime"`
	Code     int    `json:"code"`
	Text     string `json:"text"`
}

// notFound answers a path no operation declares (404) or a declared path
// with another method (405), with the gateway's error body.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, c *call) {
	status := http.StatusNotFound
	if c.methodNotAllowed {
		status = http.StatusMethodNotAllowed
	}
	msg := "No route for " + r.Method + " " + r.URL.Path
	if c.api == apiCAR {
		s.replyJSON(w, r, c, status, carError{ErrorCode: strconv.Itoa(status), Message: msg})
		return
	}
	s.replyJSON(w, r, c, status, gatewayError{Status: status, Error: http.StatusText(status), Message: msg})
}

// rejectRequest answers a request its operation's schema rejects with the
// error the API documents for it:
//   - PCRS hostids: 400 with a classic error list, code 1905, naming the
//     classic parameter (policy_ids), as Qualys passes it through;
//   - PCRS postureInfo: 404 {"message": "Invalid input Parameter."} when a
//     0/1 flag has another value, else 400 with the gateway body;
//   - PCRS policy list: 400 with the gateway body;
//   - CAR: 400 {"errorCode": "400", "message": ...}.
func (s *Server) rejectRequest(w http.ResponseWriter, r *http.Request, c *call, ps []problem) {
	msg := describe(ps)
	switch c.api {
	case apiPCRS:
		switch {
		case strings.Contains(r.URL.Path, "/hostids"):
			name := "policy_ids"
			if len(ps) > 0 && ps[0].param != "" && ps[0].param != "policyId" {
				name = classicName(ps[0].param)
			}
			s.classicFail(w, r, c, name)
			return
		case strings.HasSuffix(r.URL.Path, "/postureInfo"):
			for _, p := range ps {
				if postureFlags[p.param] {
					s.replyJSON(w, r, c, http.StatusNotFound, map[string]string{"message": "Invalid input Parameter."})
					return
				}
			}
		}
	}
	s.fail(w, r, c, http.StatusBadRequest, msg)
}

// classicFail sends hostids' 400: a classic 1905 parameter error.
func (s *Server) classicFail(w http.ResponseWriter, r *http.Request, c *call, param string) {
	s.replyJSON(w, r, c, http.StatusBadRequest, []classicError{{Response: classicResponse{
		Datetime: time.Now().UTC().Format(time.RFC3339),
		Code:     1905,
		Text:     "Parameter " + param + " has an invalid value.",
	}}})
}

// postureFlags are postureInfo's 0/1 parameters; PCRS answers 404 to any
// other value (documented for evidenceRequired and compressionRequired,
// assumed for the others).
var postureFlags = map[string]bool{
	"evidenceRequired": true, "compressionRequired": true, "cloudMetaDataRequired": true,
	"extendedEvidenceRequired": true, "qdScoreRequired": true,
}

// classicName converts a PCRS parameter name to the classic API spelling
// PCRS errors use (policyId -> policy_id).
func classicName(param string) string {
	var b strings.Builder
	for i, r := range param {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
