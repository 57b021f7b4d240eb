package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"crypto/tls"
	"crypto/x509"
)

// TestSimulate starts the simulator command, reads its address and CA
// file from stdout, checks that it answers over TLS with that CA, and
// stops it by cancelling the context, as Ctrl-C does.
func TestSimulate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	done := make(chan int, 1)
	go func() {
		e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard, getenv: func(string) string { return "" }}
		done <- run(ctx, e, []string{"simulate", "--addr", "127.0.0.1:0", "--hosts", "5", "--ca-file", caFile})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v", err)
	}
	go io.Copy(io.Discard, pr)
	var info struct{ GatewayURL, CAFile string }
	if err := json.Unmarshal([]byte(line), &info); err != nil || info.CAFile != caFile {
		t.Fatalf("printed %q: %v", line, err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("the CA file holds no certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(info.GatewayURL + "/pcrs/2.0/posture/policy/list")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unauthenticated request: %d, want 401", resp.StatusCode)
	}
	hc.CloseIdleConnections()
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d", code)
	}
}
