package specproxy_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/qualystest"
)

// TestSecretsStayOutOfReportAndLogs sends passwords, user names and tokens
// through the proxy in every place they travel (the /auth form, its JWT
// answer, Authorization headers), with requests and answers that give
// findings right where the secrets are, and checks that none reaches the
// report or the log.
func TestSecretsStayOutOfReportAndLogs(t *testing.T) {
	const (
		user     = "acme_secretuser7"
		password = "S3cret-Pa55word!"
	)
	h, sim := simHarness(t, true, qualystest.WithCredentials(user, password))
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

	// A good /auth: its answer is the JWT.
	status, jwt := h.do(t, "POST", "/auth", form, url.Values{"username": {user}, "password": {password}, "token": {"true"}}.Encode())
	if status != http.StatusCreated || len(jwt) < 20 {
		t.Fatalf("/auth through the proxy: %d %q", status, jwt)
	}
	// A bad one: token is not "true" but the password.
	h.do(t, "POST", "/auth", form, url.Values{"username": {user}, "password": {password}, "token": {password}}.Encode())
	// A wrong password: the gateway's 401.
	h.do(t, "POST", "/auth", form, url.Values{"username": {user}, "password": {password + "x"}, "token": {"true"}}.Encode())
	// Tokens in headers, with findings in the request and in the answer.
	token := string(jwt)
	h.do(t, "POST", "/pcrs/5.0/posture/postureInfo?evidenceRequired="+url.QueryEscape(password), bearer(token), `[]`)
	sim.Drift("searchJobs", qualystest.WrongType("/body/totalCount", password))
	h.do(t, "POST", "/sm/v1/jobs/search", bearer(token), `{}`)
	h.do(t, "POST", "/sm/v1/jobs/search", bearer(token), `{"filter":"title:x", "x":`+quote(token)+`}`)
	h.do(t, "GET", "/sm/v1/unknown/"+"path", bearer(token), "")

	report, logs := h.report.String(), h.logs.String()
	findings := h.findings(t)
	var authFindings int
	for _, f := range findings {
		if f.Operation == "createCarToken" {
			authFindings++
		}
	}
	// Proof that the checks below look at findings made where the
	// secrets were: /auth (token pattern), the posture flag, the drifted
	// answer (one or more findings, as the count's schema has branches),
	// the job search body and the unknown path.
	if authFindings != 1 || len(findings) < 5 {
		t.Fatalf("only %d findings (%d on /auth): the secrets were not put where findings are made:\n%s", len(findings), authFindings, report)
	}
	if !strings.Contains(logs, "createCarToken") || !strings.Contains(logs, "searchJobs") {
		t.Fatalf("the log has no exchange lines:\n%s", logs)
	}
	for name, secret := range map[string]string{"password": password, "user name": user, "token": token, "token signature": token[strings.LastIndexByte(token, '.')+1:]} {
		for where, text := range map[string]string{"report": report, "log": logs} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s reaches the %s", name, where)
			}
		}
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
