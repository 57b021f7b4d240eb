package main

import (
	"errors"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"
)

// secretStore keeps passwords in the operating system's keyring: the
// macOS Keychain, the Windows Credential Manager, or a Secret Service
// (GNOME Keyring, KWallet) over D-Bus.
type secretStore interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
}

// keyringService names this tool's entries in the keyring.
const keyringService = "qualys-go"

// keyringUser is the entry of a profile's user: one password per profile
// and user name.
func keyringUser(profile, username string) string { return profile + "/" + username }

// osKeyring is the operating system's keyring. On Linux it needs a D-Bus
// session; without one (servers, containers, CI) there is no keyring and
// nothing is tried, so no D-Bus daemon is ever launched.
type osKeyring struct{}

func systemKeyring(getenv func(string) string) secretStore {
	if runtime.GOOS != "darwin" && runtime.GOOS != "windows" && getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return nil
	}
	return osKeyring{}
}

// keyringTimeout bounds a keyring call: a locked or hung keyring daemon
// must not hang the command.
const keyringTimeout = 5 * time.Second

var errKeyringTimeout = errors.New("the keyring did not answer")

func (osKeyring) Get(service, user string) (string, error) {
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := keyring.Get(service, user)
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-time.After(keyringTimeout):
		return "", errKeyringTimeout
	}
}

func (osKeyring) Set(service, user, password string) error {
	ch := make(chan error, 1)
	go func() { ch <- keyring.Set(service, user, password) }()
	select {
	case err := <-ch:
		return err
	case <-time.After(keyringTimeout):
		return errKeyringTimeout
	}
}
