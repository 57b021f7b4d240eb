package qualystest_test

import (
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/internal/syncbuf"
	"github.com/qualyskit/qualys-go/qualystest"
)

func TestCertificate(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Errorf("URL %s", s.URL)
	}
	block, _ := pem.Decode(s.CACertPEM())
	if block == nil {
		t.Fatal("CACertPEM is not PEM")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("not a CA certificate: %v", err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := s.WriteCAFile(path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(s.CACertPEM()) {
		t.Error("WriteCAFile wrote something else")
	}
	// An ordinary client without the CA refuses the server.
	if resp, err := http.Get(s.URL + "/auth"); err == nil {
		resp.Body.Close()
		t.Error("a client without the CA trusted the simulator")
	}
	// "localhost" is in the certificate too.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "https://"))
	resp, err := s.Client().Get("https://localhost:" + port + "/pcrs/1.0/posture/policy/list")
	readAll(t, resp, err)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("via localhost: %d, want 401 (no token)", resp.StatusCode)
	}
}

func TestWithAddr(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := qualystest.NewServer(t, qualystest.WithAddr(addr))
	if s.URL != "https://"+addr {
		t.Errorf("URL %s, want https://%s", s.URL, addr)
	}
	if _, err := qualystest.Start(qualystest.WithAddr(addr)); err == nil {
		t.Error("a second server on the same address started")
	}
	login(t, s)
}

func TestStartRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]qualystest.Option{
		"empty credentials": qualystest.WithCredentials("", ""),
		"zero TTL":          qualystest.WithTokenTTL(0),
		"tiny window":       qualystest.WithRateLimit(1, time.Millisecond),
		"negative hosts":    qualystest.WithHosts(-1),
	} {
		if s, err := qualystest.Start(opt); err == nil {
			s.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLoggerNeverLogsSecrets(t *testing.T) {
	t.Parallel()
	var buf syncbuf.Buffer
	s := qualystest.NewServer(t, qualystest.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))),
		qualystest.WithCredentials("acme_ab12", "pa55-w0rd"))
	token := login(t, s)
	s.Fail("listPoliciesV2", qualystest.Status(503, ""))
	get(t, s, policyList)
	get(t, s, policyList)
	s.Close()
	out := buf.String()
	for _, want := range []string{"operation=createPcrsToken", "status=201", "operation=listPoliciesV2", "fault=Status(503)", "status=200"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"pa55-w0rd", token, strings.Split(token, ".")[2]} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains a secret:\n%s", out)
		}
	}
}
