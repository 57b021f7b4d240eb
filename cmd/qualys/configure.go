package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"
)

const (
	envProfile     = "QUALYS_PROFILE"
	defaultProfile = "default"
	profileFile    = "profiles.json"
)

// profile is what a profile holds: where to connect and as whom. Never a
// password.
type profile struct {
	Platform   string `json:"platform,omitempty"`
	GatewayURL string `json:"gatewayUrl,omitempty"`
	Username   string `json:"username,omitempty"`
}

type profileSet struct {
	Profiles map[string]profile `json:"profiles"`
}

// profilePath is <user config dir>/qualys/profiles.json.
func profilePath(e *env) (string, error) {
	dir := e.configDir
	if dir == "" {
		d, err := os.UserConfigDir()
		if err != nil {
			return "", usagef("no configuration directory: %s", clean(err.Error()))
		}
		dir = d
	}
	return filepath.Join(dir, "qualys", profileFile), nil
}

func readProfiles(e *env) (profileSet, string, error) {
	path, err := profilePath(e)
	if err != nil {
		return profileSet{}, "", err
	}
	set := profileSet{Profiles: map[string]profile{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return set, path, nil
	case err != nil:
		return set, path, usagef("reading the profiles: %s", clean(err.Error()))
	case len(b) > 1<<20:
		return set, path, usagef("%s is larger than 1 MiB; it is not a profile file", path)
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return set, path, usagef("%s is not a profile file: %s", path, clean(err.Error()))
	}
	if set.Profiles == nil {
		set.Profiles = map[string]profile{}
	}
	return set, path, nil
}

func loadProfile(e *env, name string) (profile, bool, error) {
	set, _, err := readProfiles(e)
	if err != nil {
		return profile{}, false, err
	}
	p, ok := set.Profiles[name]
	return p, ok, nil
}

// configureOptions are the flags of 'qualys configure'.
type configureOptions struct {
	f *factory
	// list prints the profiles instead of writing one.
	list bool
}

var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func newConfigureCmd(f *factory, runF func(*configureOptions) error) *cobra.Command {
	opts := &configureOptions{f: f}
	cmd := &cobra.Command{
		Use:   "configure",
		Short: "Save the platform or gateway and user name in a profile",
		Long: `Save where to connect (--platform or --gateway-url) and as whom (--username) in
a profile, in your configuration directory with mode 0600. Pick a profile with
--profile or QUALYS_PROFILE; "default" is used otherwise. Flags and the
QUALYS_* environment variables override the profile.

The password is never saved in the profile file. Set QUALYS_PASSWORD, use
--password-stdin with each command, or, where a keyring service runs (macOS
Keychain, Windows Credential Manager, a Secret Service on Linux), pipe it to
'qualys configure --password-stdin' once to keep it in the keyring.`,
		Example: `  qualys configure --platform US2 --username acme_ab12
  pass show qualys | qualys configure --platform US2 --username acme_ab12 --password-stdin
  qualys configure --profile lab --gateway-url https://gateway.private.example.com --username lab_user
  qualys configure --list`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return configureRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.list, "list", false, "print the saved profiles")
	return cmd
}

func configureRun(opts *configureOptions) error {
	f := opts.f
	set, path, err := readProfiles(f.env)
	if err != nil {
		return err
	}
	if opts.list {
		f.ran = true
		p, err := f.printer(columns{{"PROFILE", "name"}, {"PLATFORM", "platform"}, {"GATEWAY", "gatewayUrl"}, {"USERNAME", "username"}})
		if err != nil {
			return err
		}
		for name, pr := range set.Profiles {
			if err := p.record(map[string]string{"name": name, "platform": pr.Platform, "gatewayUrl": pr.GatewayURL, "username": pr.Username}); err != nil {
				return err
			}
		}
		return p.flush()
	}
	name := firstNonEmpty(f.globals.profile, f.getenv(envProfile), defaultProfile)
	if !profileName.MatchString(name) {
		return usagef("profile name %q: use letters, digits, '.', '_' or '-' (at most 64)", name)
	}
	if f.passwordStdin && f.keyring == nil {
		return usagef("no keyring service runs here, and the password is never saved in the profile file; set QUALYS_PASSWORD or use --password-stdin with each command")
	}
	p := set.Profiles[name]
	if f.gatewayURL != "" || f.globals.platform != "" {
		p.GatewayURL, p.Platform = f.gatewayURL, f.globals.platform
	}
	if f.username != "" {
		p.Username = f.username
	}
	if p.GatewayURL == "" && p.Platform == "" {
		return usagef("configure needs --platform (e.g. US2) or --gateway-url")
	}
	if p.Username == "" {
		return usagef("configure needs --username")
	}
	if _, err := (settings{platform: p.Platform, gatewayURL: p.GatewayURL}).target(); err != nil {
		return err
	}
	var password string
	if f.passwordStdin {
		var err error
		if password, err = f.password(settings{}); err != nil {
			return err
		}
	}
	f.ran = true
	if password != "" {
		if err := f.keyring.Set(keyringService, keyringUser(name, p.Username), password); err != nil {
			return fmt.Errorf("saving the password in the keyring: %s", clean(err.Error()))
		}
		fmt.Fprintf(f.stderr, "Saved the password of %s in the keyring.\n", p.Username)
	}
	set.Profiles[name] = p
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	// Write beside, then rename: a crash never leaves half a file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".profiles-*.json")
	if err != nil {
		return fmt.Errorf("saving the profile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the profile: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the profile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving the profile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving the profile: %w", err)
	}
	fmt.Fprintf(f.stderr, "Saved profile %q in %s. Set QUALYS_PASSWORD (or use --password-stdin) to connect.\n", name, path)
	return nil
}
