package qualys

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlatformsTable(t *testing.T) {
	want := []Platform{
		{"US1", "https://qualysguard.qualys.com", "https://qualysapi.qualys.com", "https://gateway.qg1.apps.qualys.com"},
		{"US2", "https://qualysguard.qg2.apps.qualys.com", "https://qualysapi.qg2.apps.qualys.com", "https://gateway.qg2.apps.qualys.com"},
		{"US3", "https://qualysguard.qg3.apps.qualys.com", "https://qualysapi.qg3.apps.qualys.com", "https://gateway.qg3.apps.qualys.com"},
		{"US4", "https://qualysguard.qg4.apps.qualys.com", "https://qualysapi.qg4.apps.qualys.com", "https://gateway.qg4.apps.qualys.com"},
		{"EU1", "https://qualysguard.qualys.eu", "https://qualysapi.qualys.eu", "https://gateway.qg1.apps.qualys.eu"},
		{"EU2", "https://qualysguard.qg2.apps.qualys.eu", "https://qualysapi.qg2.apps.qualys.eu", "https://gateway.qg2.apps.qualys.eu"},
		{"EU3", "https://qualysguard.qg3.apps.qualys.it", "https://qualysapi.qg3.apps.qualys.it", "https://gateway.qg3.apps.qualys.it"},
		{"IN1", "https://qualysguard.qg1.apps.qualys.in", "https://qualysapi.qg1.apps.qualys.in", "https://gateway.qg1.apps.qualys.in"},
		{"CA1", "https://qualysguard.qg1.apps.qualys.ca", "https://qualysapi.qg1.apps.qualys.ca", "https://gateway.qg1.apps.qualys.ca"},
		{"AE1", "https://qualysguard.qg1.apps.qualys.ae", "https://qualysapi.qg1.apps.qualys.ae", "https://gateway.qg1.apps.qualys.ae"},
		{"UK1", "https://qualysguard.qg1.apps.qualys.co.uk", "https://qualysapi.qg1.apps.qualys.co.uk", "https://gateway.qg1.apps.qualys.co.uk"},
		{"AU1", "https://qualysguard.qg1.apps.qualys.com.au", "https://qualysapi.qg1.apps.qualys.com.au", "https://gateway.qg1.apps.qualys.com.au"},
		{"KSA1", "https://qualysguard.qg1.apps.qualysksa.com", "https://qualysapi.qg1.apps.qualysksa.com", "https://gateway.qg1.apps.qualysksa.com"},
		{"GOV1", "https://qualysguard.gov1.qualys.us", "https://qualysapi.gov1.qualys.us", "https://gateway.gov1.qualys.us"},
	}
	if diff := cmp.Diff(want, Platforms()); diff != "" {
		t.Fatalf("Platforms() mismatch (-want +got):\n%s", diff)
	}
}

func TestPlatformsReturnsCopy(t *testing.T) {
	p := Platforms()
	p[0].GatewayURL = "https://evil.example"
	if got := Platforms()[0].GatewayURL; got != "https://gateway.qg1.apps.qualys.com" {
		t.Fatalf("modifying the result changed the table: %s", got)
	}
}

func TestGatewayIsNotDerivedFromAPIServer(t *testing.T) {
	// Only US1 and EU1 break the qualysapi.X -> gateway.X rule.
	for _, p := range Platforms() {
		derived := strings.Replace(p.APIURL, "qualysapi.", "gateway.", 1)
		exception := p.Name == "US1" || p.Name == "EU1"
		if (derived != p.GatewayURL) != exception {
			t.Errorf("%s: gateway %s, derived %s, exception %v", p.Name, p.GatewayURL, derived, exception)
		}
	}
}

func TestLookupPlatform(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"US1", "US1"},
		{"us1", "US1"},
		{" ksa1 ", "KSA1"},
		{"Gov1", "GOV1"},
		{"https://gateway.qg1.apps.qualys.com", "US1"},
		{"gateway.qg1.apps.qualys.com", "US1"},
		{"https://qualysapi.qualys.com/", "US1"},
		{"https://qualysguard.qualys.com/fo/login.php", "US1"},
		{"qualysapi.qualys.eu", "EU1"},
		{"https://gateway.qg1.apps.qualys.eu/auth", "EU1"},
		{"HTTPS://GATEWAY.QG3.APPS.QUALYS.IT/", "EU3"},
		{"gateway.qg1.apps.qualys.ae", "AE1"},
		{"https://gateway.qg1.apps.qualysksa.com:443/pcrs/1.0", "KSA1"},
		{"qualysguard.qg1.apps.qualys.com.au", "AU1"},
		{"https://gateway.qg1.apps.qualys.co.uk.", "UK1"},
	}
	for _, tc := range cases {
		p, err := LookupPlatform(tc.in)
		if err != nil {
			t.Errorf("LookupPlatform(%q): %v", tc.in, err)
			continue
		}
		if p.Name != tc.want {
			t.Errorf("LookupPlatform(%q) = %s, want %s", tc.in, p.Name, tc.want)
		}
	}
}

func TestLookupPlatformUnknown(t *testing.T) {
	for _, in := range []string{"", "US5", "qualysapi.qualys.de", "https://gateway.example.com", "://"} {
		_, err := LookupPlatform(in)
		if !errors.Is(err, ErrUnknownPlatform) {
			t.Errorf("LookupPlatform(%q) error = %v, want ErrUnknownPlatform", in, err)
			continue
		}
		for _, name := range []string{"US1", "EU3", "KSA1", "GOV1"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not list %s", err, name)
			}
		}
	}
}

func TestCustomPlatform(t *testing.T) {
	p, err := customPlatform("https://gateway.private.example.net/")
	if err != nil {
		t.Fatal(err)
	}
	want := Platform{Name: "gateway.private.example.net", GatewayURL: "https://gateway.private.example.net"}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Fatalf("mismatch (-want +got):\n%s", diff)
	}

	bad := []struct {
		in       string
		insecure bool
	}{
		{"http://gateway.private.example.net", true},
		{"http://127.0.0.1:8080", true}, // loopback needs the transport option, not customPlatform
		{"ftp://gateway.private.example.net", true},
		{"gateway.private.example.net", false},
		{"https://", false},
		{"https://user:secret@gateway.private.example.net", false},
		{"https://gateway.private.example.net/?x=1", false},
	}
	for _, tc := range bad {
		_, err := customPlatform(tc.in)
		if err == nil {
			t.Errorf("customPlatform(%q) accepted", tc.in)
			continue
		}
		if errors.Is(err, ErrInsecureTransport) != tc.insecure {
			t.Errorf("customPlatform(%q) = %v; wraps ErrInsecureTransport: want %v", tc.in, err, tc.insecure)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("customPlatform error echoes user information: %v", err)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true,
		"10.0.0.1": false, "example.com": false, "localhost.example.com": false, "": false, "0.0.0.0": false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
