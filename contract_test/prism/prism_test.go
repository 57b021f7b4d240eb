//go:build prism

package prism

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/qualyskit/qualys-go/internal/closedschema"
	"github.com/qualyskit/qualys-go/spec"
)

// prismBin is Prism as lint/package.json pins it, started directly: an npx
// wrapper killed at the end would leave the server running.
const prismBin = "../../lint/node_modules/.bin/prism"

// startTimeout bounds how long Prism may take to load a document and
// listen; it takes about 5 s on a busy 2-core machine.
const startTimeout = 90 * time.Second

// carMock and pcrsMock serve examples; carProxy and pcrsProxy validate
// traffic to fixtureUpstream, which answers with documented responses.
var carMock, pcrsMock, carProxy, pcrsProxy *mock

var upstream = &fixtureUpstream{answers: map[string]answer{}}

func TestMain(m *testing.M) {
	os.Exit(runWithMocks(m))
}

func runWithMocks(m *testing.M) int {
	if _, err := os.Stat(prismBin); err != nil {
		fmt.Fprintf(os.Stderr, "Prism is not installed (%v): run (cd lint && npm ci) first\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "qualys-prism-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	carSpec, err := closedCopy(dir, "car.json", spec.CAR())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pcrsSpec, err := closedCopy(dir, "pcrs.json", spec.PCRS())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	up := httptest.NewServer(upstream)
	defer up.Close()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	wg.Add(4)
	go func() { defer wg.Done(); carMock, errs[0] = startPrism(carSpec, "mock") }()
	go func() { defer wg.Done(); pcrsMock, errs[1] = startPrism(pcrsSpec, "mock") }()
	go func() { defer wg.Done(); carProxy, errs[2] = startPrism(carSpec, "proxy", up.URL) }()
	go func() { defer wg.Done(); pcrsProxy, errs[3] = startPrism(pcrsSpec, "proxy", up.URL) }()
	wg.Wait()
	for _, m := range []*mock{carMock, pcrsMock, carProxy, pcrsProxy} {
		defer m.stop()
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// closedCopy writes a copy of a document with every object schema closed
// (additionalProperties: false), as the contract tests check samples: a
// member our code sends that the document does not declare is then a
// violation Prism reports. The published documents stay open because
// Qualys adds fields within a version.
func closedCopy(dir, name string, data []byte) (string, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return "", err
	}
	closedschema.Document(doc)
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, out, 0o600)
}

// mock is one running prism server (mock or proxy) on loopback.
type mock struct {
	url string
	cmd *exec.Cmd
	out *tail
}

var listening = regexp.MustCompile(`Prism is listening on (http://127\.0\.0\.1:\d+)`)

// startPrism starts prism mock (or prism proxy, with the upstream URL as
// last argument) on a free loopback port and waits, at most
// startTimeout, until it says where it listens.
func startPrism(spec, mode string, upstream ...string) (*mock, error) {
	abs, err := filepath.Abs(spec)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(prismBin, append([]string{mode, "--host", "127.0.0.1", "--port", "0", abs}, upstream...)...)
	// Its own process group, so that stop ends whatever it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	m := &mock{cmd: cmd, out: &tail{}}
	cmd.Stderr = m.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting prism for %s: %w", spec, err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			m.out.Write(append(sc.Bytes(), '\n'))
			if match := listening.FindSubmatch(sc.Bytes()); match != nil && !sent {
				found <- string(match[1])
				sent = true
			}
		}
		// Prism's log must keep draining or it blocks writing.
		io.Copy(io.Discard, stdout)
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			m.stop()
			return nil, fmt.Errorf("prism for %s exited before listening:\n%s", spec, m.out)
		}
		m.url = u
		return m, nil
	case <-time.After(startTimeout):
		m.stop()
		return nil, fmt.Errorf("prism for %s did not listen within %s:\n%s", spec, startTimeout, m.out)
	}
}

// stop ends the server's process group: SIGTERM, then SIGKILL after 10 s.
func (m *mock) stop() {
	if m == nil || m.cmd.Process == nil {
		return
	}
	pgid := m.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { m.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
}

// answer is a response fixtureUpstream gives.
type answer struct {
	status      int
	contentType string
	body        []byte
}

// fixtureUpstream answers each request with the answer registered under
// its X-Fixture header, for Prism's proxy mode to validate.
type fixtureUpstream struct {
	mu      sync.Mutex
	answers map[string]answer
}

func (u *fixtureUpstream) set(id string, a answer) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.answers[id] = a
}

func (u *fixtureUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	u.mu.Lock()
	a, ok := u.answers[r.Header.Get("X-Fixture")]
	u.mu.Unlock()
	if !ok {
		http.Error(w, "no answer registered", http.StatusTeapot)
		return
	}
	if a.contentType != "" {
		w.Header().Set("Content-Type", a.contentType)
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// tail keeps the last 8 KB of Prism's output, for failure messages.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 8<<10 {
		t.b = t.b[len(t.b)-8<<10:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// withTimeout is the context of one exchange with Prism.
func withTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
