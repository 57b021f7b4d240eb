package qualys

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// FuzzLookupPlatformForms: every way a user writes a known platform (its
// name in any letter case, any of its three URLs with or without scheme,
// port, trailing dot, path or slash) finds that platform and no other;
// the name alone with anything glued to it does not.
func FuzzLookupPlatformForms(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint16(0), "", "us1")
	f.Add(uint8(4), uint8(3), uint16(443), "api/2.0/fo/", "Eu1")
	f.Add(uint8(12), uint8(5), uint16(8443), "%2e%2e/x?y#z", "KSA1x")
	f.Add(uint8(13), uint8(7), uint16(1), "\x00", " gov1 ")
	f.Fuzz(func(t *testing.T, idx, form uint8, port uint16, tail, name string) {
		all := Platforms()
		want := all[int(idx)%len(all)]
		u := []string{want.UIURL, want.APIURL, want.GatewayURL}[int(form)%3]
		host := strings.TrimPrefix(u, "https://")
		if form&4 != 0 {
			host = strings.ToUpper(host)
		}
		in := host
		if form&8 == 0 {
			in = "https://" + host
		}
		if port != 0 {
			in += fmt.Sprintf(":%d", port)
		}
		in += "/" + url.PathEscape(tail)
		got, err := LookupPlatform(in)
		if err != nil || got != want {
			t.Fatalf("%q: got %+v, %v; want %s", in, got, err, want.Name)
		}

		// By name: only a platform name, in any case and with surrounding
		// space, matches; unknown names fail with ErrUnknownPlatform.
		p, err := LookupPlatform(name)
		trimmed := strings.TrimSpace(name)
		known := false
		for _, q := range all {
			if strings.EqualFold(trimmed, q.Name) {
				known = true
				if err != nil || p != q {
					t.Fatalf("%q: got %+v, %v; want %s", name, p, err, q.Name)
				}
			}
		}
		if known {
			return
		}
		if err == nil {
			// Not a name: then it must have been a URL of the platform.
			if h := hostOf(trimmed); h == "" || (h != hostOf(p.UIURL) && h != hostOf(p.APIURL) && h != hostOf(p.GatewayURL)) {
				t.Fatalf("%q found %s by neither name nor host", name, p.Name)
			}
			return
		}
		if !errors.Is(err, ErrUnknownPlatform) {
			t.Fatalf("%q: %v does not wrap ErrUnknownPlatform", name, err)
		}
		if msg := err.Error(); strings.ContainsFunc(msg, unicode.IsControl) {
			t.Fatalf("%q: raw control characters in %q", name, msg)
		}
	})
}
