package posturestore

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
)

// reportStore is a store after a full sync and one round of change.
func reportStore(t *testing.T, location string) (*Store, *qualystest.Server, qualystest.Round) {
	t.Helper()
	ctx := context.Background()
	sim := qualystest.NewServer(t, qualystest.WithHosts(40), qualystest.WithPolicies(3), qualystest.WithControlsPerPolicy(6))
	client := newClient(t, sim)
	st := openStore(t, location)
	start := sim.Data().Now.Add(time.Hour)
	if _, err := st.Sync(ctx, client, WithClock(fixedClock(start))); err != nil {
		t.Fatal(err)
	}
	round, err := sim.Evolve(qualystest.Evolution{At: start.Add(2 * time.Hour), ChangedHosts: 6, NewHosts: 2, RemovedHosts: 1,
		VanishedControls: 2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sync(ctx, client, WithClock(fixedClock(start.Add(24*time.Hour)))); err != nil {
		t.Fatal(err)
	}
	return st, sim, round
}

func TestReportMatchesTheSimulator(t *testing.T) {
	for dialect, location := range backends(t) {
		t.Run(string(dialect), func(t *testing.T) { testReport(t, location) })
	}
}

func testReport(t *testing.T, location string) {
	st, sim, round := reportStore(t, location)
	r, err := st.Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var passed, failed, other int64
	byPolicy := map[int64][3]int64{}
	for _, p := range sim.Data().AllPostures() {
		c := byPolicy[p.PolicyID]
		switch p.Status {
		case qualystest.StatusPassed:
			passed++
			c[0]++
		case qualystest.StatusFailed:
			failed++
			c[1]++
		default:
			other++
			c[2]++
		}
		byPolicy[p.PolicyID] = c
	}
	if r.Total.Passed != passed || r.Total.Failed != failed || r.Total.Error != other {
		t.Errorf("total %+v, want %d passed, %d failed, %d error", r.Total, passed, failed, other)
	}
	if len(r.Policies) != len(byPolicy) {
		t.Fatalf("%d policies, want %d", len(r.Policies), len(byPolicy))
	}
	for _, p := range r.Policies {
		if c := byPolicy[p.PolicyID]; p.Passed != c[0] || p.Failed != c[1] || p.Error != c[2] || p.Title == "" {
			t.Errorf("policy %d: %+v, want %v", p.PolicyID, p.PassRate, c)
		}
	}
	var toPassed, toFailed int64
	for _, f := range round.Flipped {
		if f.Status == qualystest.StatusPassed {
			toPassed++
		} else {
			toFailed++
		}
	}
	if r.ChangeCount.ToPassed != toPassed || r.ChangeCount.ToFailed != toFailed || r.ChangeCount.ToError != 0 ||
		r.ChangeCount.Disappeared != int64(len(round.Vanished)) || len(r.Changes) != len(round.Flipped)+len(round.Vanished) {
		t.Errorf("changes %+v (%d listed), want %d to Passed, %d to Failed, none to Error, %d no longer reported", r.ChangeCount,
			len(r.Changes), toPassed, toFailed, len(round.Vanished))
	}
	if r.Hosts.Appeared != int64(len(round.Added)) || r.Hosts.Disappeared != int64(len(round.Removed)) {
		t.Errorf("hosts %+v, want %d appeared and %d disappeared", r.Hosts, len(round.Added), len(round.Removed))
	}
	if r.LastSync == nil || r.PreviousSync == nil || !r.LastSync.StartedAt.After(r.PreviousSync.StartedAt) {
		t.Errorf("syncs: last %+v, previous %+v", r.LastSync, r.PreviousSync)
	}
	for i := 1; i < len(r.Controls); i++ {
		if r.Controls[i].Rate < r.Controls[i-1].Rate {
			t.Fatalf("controls are not worst first at %d", i)
		}
	}
	var sum int64
	for _, c := range r.Criticality {
		sum += c.Total
	}
	if sum != r.Total.Total {
		t.Errorf("criticality rows cover %d postures, want %d", sum, r.Total.Total)
	}
	if b, err := json.Marshal(r); err != nil || !bytes.Contains(b, []byte(`"passRate"`)) {
		t.Errorf("JSON: %v %s", err, b)
	}
}

func TestReportOfAnEmptyStore(t *testing.T) {
	st := openStore(t, sqliteLocation(t))
	r, err := st.Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.LastSync != nil || r.Total.Total != 0 || r.Total.Rate != 0 {
		t.Errorf("empty store: %+v", r)
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil || !strings.Contains(b.String(), "none") {
		t.Errorf("HTML of an empty store: %v", err)
	}
}

// TestHTMLReportIsSelfContained: one page, no script, nothing fetched.
func TestHTMLReportIsSelfContained(t *testing.T) {
	st, _, _ := reportStore(t, sqliteLocation(t))
	r, err := st.Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	// The SVG namespace is a name, not a fetch.
	page := strings.ReplaceAll(b.String(), `xmlns="http://www.w3.org/2000/svg"`, "")
	if n := strings.Count(page, "<svg"); n < 3 {
		t.Errorf("%d charts, want 3", n)
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script`), regexp.MustCompile(`(?i)\b(src|href)\s*=`),
		regexp.MustCompile(`(?i)url\(`), regexp.MustCompile(`(?i)@import`),
		regexp.MustCompile(`(?i)(https?|ftp|file)://`),
	} {
		if loc := bad.FindStringIndex(page); loc != nil {
			t.Errorf("the page is not self-contained: %q", page[loc[0]:min(len(page), loc[1]+40)])
		}
	}
}

// chromiumFlags run a headless Chromium that touches nothing outside the
// page it is given.
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"}

// TestHTMLReportRendersInChromium renders the page in headless Chromium
// (Debian's package) and checks that the screenshot shows the charts: not
// blank, with the pass and fail colours of the bars.
func TestHTMLReportRendersInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed: CI must render the HTML report (.ci/run installs Debian's chromium)")
		}
		t.Skip("chromium is not installed; the HTML report is not rendered")
	}
	st, _, _ := reportStore(t, sqliteLocation(t))
	r, err := st.Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	fh, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(fh); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append(append([]string(nil), chromiumFlags...), "--user-data-dir="+filepath.Join(dir, "profile"),
		"--window-size=1000,1400", "--screenshot="+shot, "file://"+page)
	cmd := exec.CommandContext(ctx, browser, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out[:min(len(out), 2000)])
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	nonWhite, green, red := pixelStats(img)
	total := img.Bounds().Dx() * img.Bounds().Dy()
	t.Logf("screenshot %dx%d: %.1f%% not white, %d green and %d red pixels", img.Bounds().Dx(), img.Bounds().Dy(),
		100*float64(nonWhite)/float64(total), green, red)
	if nonWhite < total/50 {
		t.Errorf("the screenshot is blank: %d of %d pixels are not white", nonWhite, total)
	}
	if green < 2000 || red < 2000 {
		t.Errorf("the bars do not show: %d green and %d red pixels", green, red)
	}
}

// pixelStats counts pixels that are not white, and those of the pass
// (#2e7d32) and fail (#c62828) colours, within a small tolerance.
func pixelStats(img image.Image) (nonWhite, green, red int) {
	near := func(r, g, b uint32, cr, cg, cb uint32) bool {
		d := func(a, c uint32) uint32 {
			if a > c {
				return a - c
			}
			return c - a
		}
		return d(r, cr) < 12 && d(g, cg) < 12 && d(b, cb) < 12
	}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			r, g, b = r>>8, g>>8, b>>8
			if r < 245 || g < 245 || b < 245 {
				nonWhite++
			}
			switch {
			case near(r, g, b, 0x2e, 0x7d, 0x32):
				green++
			case near(r, g, b, 0xc6, 0x28, 0x28):
				red++
			}
		}
	}
	return nonWhite, green, red
}
