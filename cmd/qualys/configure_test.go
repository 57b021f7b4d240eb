package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigureProfiles(t *testing.T) {
	h := newHarness(t)
	gateway := h.env["QUALYS_GATEWAY_URL"]
	h.env["QUALYS_GATEWAY_URL"] = ""
	h.env["QUALYS_USERNAME"] = ""
	code, _, errOut := h.run("", "configure", "--gateway-url", gateway, "--username", h.sim.Username())
	if code != exitOK || !strings.Contains(errOut, `Saved profile "default"`) {
		t.Fatalf("configure: exit %d, %q", code, errOut)
	}
	path := filepath.Join(h.configDir, "qualys", "profiles.json")
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("profile file %v, %v; want mode 0600", st, err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), h.sim.Password()) || !strings.Contains(string(b), h.sim.Username()) {
		t.Errorf("profile file: %s", b)
	}
	// The default profile is used; the password still comes from the
	// environment.
	if recs := lines(t, h.mustRun("car", "jobs", "list", "--limit", "1")); len(recs) != 1 {
		t.Errorf("with the default profile: %v", recs)
	}
	// A named profile, picked by flag or by QUALYS_PROFILE.
	h.mustRun("configure", "--profile", "eu", "--platform", "EU1", "--username", "someone")
	code, _, errOut = h.run("", "configure", "--list", "-o", "csv")
	if code != exitOK {
		t.Fatalf("configure --list: %d %s", code, errOut)
	}
	before := h.requests()
	h.env["QUALYS_PROFILE"] = "eu"
	// EU1 is unreachable from a test: the point is that the profile was
	// read, so the client was built for EU1 (stop at the password).
	h.env["QUALYS_PASSWORD"] = ""
	code, _, errOut = h.run("", "car", "jobs", "list")
	if code != exitUsage || !strings.Contains(errOut, "QUALYS_PASSWORD") {
		t.Errorf("profile from QUALYS_PROFILE: exit %d, %q", code, errOut)
	}
	if h.requests() != before {
		t.Error("requests sent")
	}
	for name, args := range map[string][]string{
		"password":     {"configure", "--password-stdin", "--platform", "US2", "--username", "x"},
		"bad platform": {"configure", "--platform", "US9", "--username", "x"},
		"no target":    {"configure", "--profile", "new", "--username", "x"},
		"bad name":     {"configure", "--profile", "../etc", "--platform", "US2", "--username", "x"},
	} {
		if code, _, errOut := h.run("", args...); code != exitUsage {
			t.Errorf("%s: exit %d, %q", name, code, errOut)
		}
	}
	if err := os.WriteFile(path, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := h.run("", "car", "jobs", "list"); code != exitUsage || !strings.Contains(errOut, "not a profile file") {
		t.Errorf("corrupt profile file: exit %d, %q", code, errOut)
	}
}
