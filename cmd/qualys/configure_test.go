package main

import (
	"errors"
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

// memoryKeyring stands in for the OS keyring.
type memoryKeyring map[string]string

func (m memoryKeyring) Get(service, user string) (string, error) {
	if p, ok := m[service+"|"+user]; ok {
		return p, nil
	}
	return "", errors.New("not found")
}

func (m memoryKeyring) Set(service, user, password string) error {
	m[service+"|"+user] = password
	return nil
}

func TestPasswordInTheKeyring(t *testing.T) {
	h := newHarness(t)
	gateway := h.env["QUALYS_GATEWAY_URL"]
	for _, k := range []string{"QUALYS_GATEWAY_URL", "QUALYS_USERNAME", "QUALYS_PASSWORD"} {
		h.env[k] = ""
	}
	// Where no keyring service runs, saving the password is refused.
	code, _, errOut := h.run(h.sim.Password()+"\n", "configure", "--gateway-url", gateway, "--username", h.sim.Username(), "--password-stdin")
	if code != exitUsage || !strings.Contains(errOut, "no keyring service") {
		t.Fatalf("without a keyring: exit %d, %q", code, errOut)
	}
	h.keyring = memoryKeyring{}
	code, _, errOut = h.run(h.sim.Password()+"\n", "configure", "--gateway-url", gateway, "--username", h.sim.Username(), "--password-stdin")
	if code != exitOK || h.keyring.(memoryKeyring)["qualys-go|default/"+h.sim.Username()] != h.sim.Password() {
		t.Fatalf("configure --password-stdin: exit %d, %q, keyring %v", code, errOut, h.keyring)
	}
	b, _ := os.ReadFile(filepath.Join(h.configDir, "qualys", "profiles.json"))
	if strings.Contains(string(b), h.sim.Password()) {
		t.Error("the password is in the profile file")
	}
	if recs := lines(t, h.mustRun("car", "jobs", "list", "--limit", "1")); len(recs) != 1 {
		t.Errorf("with the keyring's password: %v", recs)
	}
	// The environment wins over the keyring.
	h.env["QUALYS_PASSWORD"] = "wrong-one"
	if code, _, _ := h.run("", "car", "jobs", "list"); code != exitError {
		t.Errorf("QUALYS_PASSWORD did not win: exit %d", code)
	}
}
