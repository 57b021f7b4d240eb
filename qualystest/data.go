package qualystest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/qualyskit/qualys-go/internal/jsonappend"
)

// Data is the subscription the simulator serves: PCRS policies, controls
// and hosts, and the CAR account (scripts, jobs, schedules, blocked
// commands...). Posture records are not stored: each one is derived from
// its policy, control and host (see Postures), so a data set of any size
// costs little memory and every read of it gives the same records.
//
// Generate builds one from a seed; Server.Data returns a copy of the one a
// server holds.
type Data struct {
	Seed           int64
	Now            time.Time // the data's "as of" time; every date is before it
	SubscriptionID int64
	CustomerUUID   string

	Technologies []Technology
	Tags         []Tag
	Controls     []Control
	Policies     []Policy
	Hosts        []Host

	CAR CARData

	// Evolved holds the postures that Evolve changed or created; every
	// other posture is derived from its ids. PostureIDStride, once Evolve
	// has run, keeps the derived record ids stable as hosts are added.
	Evolved         map[PostureKey]Posture
	PostureIDStride int
	// Vanished holds the postures Qualys no longer reports although the
	// host is still in the policy (the control left the policy, or its
	// instance went away on the host), with when they vanished. hostids
	// 3.0 lists their hosts as changed since a date up to then.
	Vanished map[PostureKey]time.Time
	// VanishedUnchanged makes hostids 3.0 leave out a host whose only
	// change is a vanished posture. Qualys does not say which it does;
	// by default the simulator lists such a host.
	VanishedUnchanged bool
}

// Technology is an OS (or application) controls are evaluated for.
type Technology struct {
	ID       int64
	Name     string
	OS       string
	CPE      string // "" sends null
	Platform string // CAR platform: WINDOWS, LINUX, UNIX, MAC
}

// Tag is an asset tag. PCRS policies scope hosts with tags; CAR lists the
// tags on which it is enabled, and lab tags for test-mode runs.
type Tag struct {
	ID              int64
	UUID            string
	Name            string
	BackgroundColor string // "" leaves the field out
	Lab             bool
}

// Control is a compliance control.
type Control struct {
	ID          int64
	Statement   string
	Rationale   string
	Remediation string
	Category    string
	SubCategory string
	Criticality int    // 0 UNDEFINED ... 5 URGENT
	Custom      bool   // only custom controls can be in status Error
	Expected    string // evidence: expected values
}

// Policy is a compliance policy.
type Policy struct {
	ID               int64
	Title            string
	CreatedBy        string
	ModifiedBy       string
	Created          time.Time
	Modified         time.Time
	LastEvaluated    time.Time
	Status           string // active or inactive
	Locked           bool
	ControlIDs       []int64
	HostIDs          []int64
	IncludeTagIDs    []int64
	ExcludeTagIDs    []int64
	IncludeTagsScope string // ALL or ANY
	ExcludeTagsScope string
}

// Host is an asset evaluated by policies and targeted by CAR scripts.
type Host struct {
	ID             int64
	AssetID        int64
	IP             string
	DNS            string
	NetBIOS        string // "" sends null
	TechnologyID   int64
	TrackingMethod string
	QGHostID       string // agent host GUID
	AgentUUID      string
	LastScan       time.Time
	NetworkID      int64
	NetworkName    string
	TagIDs         []int64
	Cloud          *Cloud // nil for on-premises hosts
}

// Cloud is the cloud context of a host.
type Cloud struct {
	Provider     string
	Service      string
	ResourceID   string
	ResourceType string
	AccountID    string
	ImageID      string // "" sends null
	Metadata     string
}

// Posture statuses and criticality labels, as Qualys spells them.
const (
	StatusPassed = "Passed"
	StatusFailed = "Failed"
	StatusError  = "Error"
)

// CriticalityLabels maps a criticality value (the index) to its label.
var criticalityLabels = [...]string{"UNDEFINED", "MINIMAL", "MEDIUM", "SERIOUS", "CRITICAL", "URGENT"}

// CriticalityLabel returns the label of a criticality value (0 to 5).
func CriticalityLabel(value int) string {
	if value < 0 || value >= len(criticalityLabels) {
		return ""
	}
	return criticalityLabels[value]
}

// genConfig sizes the generated data set.
type genConfig struct {
	seed              int64
	hosts             int
	policies          int
	controlsPerPolicy int
	scripts           int
}

func defaultGenConfig() genConfig {
	return genConfig{seed: 1, hosts: 40, policies: 4, controlsPerPolicy: 12, scripts: 25}
}

func (c *config) generatorOptions() []Option {
	g := c.gen
	return []Option{WithSeed(g.seed), WithHosts(g.hosts), WithPolicies(g.policies),
		WithControlsPerPolicy(g.controlsPerPolicy), WithScripts(g.scripts)}
}

// Generate builds the data set a Server started with the same options
// would serve; options that do not size or seed the data are ignored.
// The same options always give the same data.
func Generate(opts ...Option) (*Data, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	g := cfg.gen
	if g.hosts < 0 || g.policies < 0 || g.controlsPerPolicy < 0 || g.scripts < 0 {
		return nil, errors.New("data set sizes must not be negative")
	}
	if g.hosts > 1_000_000 || g.policies > 10_000 || g.controlsPerPolicy > 10_000 {
		return nil, errors.New("data set too large")
	}
	// One generator per part, each seeded from the seed and the part's
	// name, so that growing one part leaves the others unchanged.
	part := func(name string) *rand.Rand {
		var h uint64 = 14695981039346656037
		for i := 0; i < len(name); i++ {
			h = (h ^ uint64(name[i])) * 1099511628211
		}
		return rand.New(rand.NewPCG(uint64(g.seed), h))
	}
	d := &Data{
		Seed:           g.seed,
		Now:            time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		SubscriptionID: 1337821,
	}
	d.CustomerUUID = uuidFrom(part("customer"))
	d.Technologies = append([]Technology(nil), technologies...)
	d.Tags = genTags(part("tags"))
	d.Controls = genControls(part("controls"), g)
	d.Hosts = genHosts(part("hosts"), d, g.hosts)
	d.Policies = genPolicies(part("policies"), d, g)
	d.CAR = genCAR(part("car"), d, g.scripts)
	return d, nil
}

var technologies = []Technology{
	{ID: 346, Name: "Debian GNU/Linux 11.x", OS: "Debian Linux 11.1", Platform: "LINUX"},
	{ID: 391, Name: "Red Hat Enterprise Linux 8.x", OS: "Red Hat Enterprise Linux 8.9", CPE: "cpe:/o:redhat:enterprise_linux:8.9", Platform: "LINUX"},
	{ID: 407, Name: "Windows Server 2019", OS: "Windows Server 2019 Datacenter 64 bit Edition Version 1809", CPE: "cpe:/o:microsoft:windows_server_2019:-:*:*:*:*:*:x64:*", Platform: "WINDOWS"},
	{ID: 421, Name: "Windows Server 2022", OS: "Windows Server 2022 Standard 64 bit Edition Version 21H2", CPE: "cpe:/o:microsoft:windows_server_2022:-:*:*:*:*:*:x64:*", Platform: "WINDOWS"},
	{ID: 460, Name: "Ubuntu 22.04 LTS", OS: "Ubuntu 22.04.4 LTS", CPE: "cpe:/o:canonical:ubuntu_linux:22.04", Platform: "LINUX"},
	{ID: 512, Name: "macOS 14", OS: "macOS Sonoma 14.4", Platform: "MAC"},
}

func genTags(rng *rand.Rand) []Tag {
	names := []struct {
		name, color string
		lab         bool
	}{
		{"Cloud Agent", "#1e88e5", false},
		{"Linux Servers", "", false},
		{"Windows Servers", "#43a047", false},
		{"Production", "#e53935", false},
		{"Decommissioned", "", false},
		{"PCI Scope", "#fb8c00", false},
		{"CAR Lab", "#8e24aa", true},
		{"CAR Lab Windows", "", true},
	}
	tags := make([]Tag, len(names))
	for i, n := range names {
		tags[i] = Tag{ID: 11562841 + int64(i), UUID: uuidFrom(rng), Name: n.name, BackgroundColor: n.color, Lab: n.lab}
	}
	return tags
}

var controlThemes = []struct {
	statement, rationale, remediation, category, subCategory, expected string
}{
	{"Status of the 'Trivial File Transfer Protocol (TFTP)' service",
		"TFTP sends data in clear text without credentials; a user on the network can capture or replay it.",
		"Remove or comment out any tftp lines in /etc/inetd.conf.",
		"Services", "Guidelines/Procedures (Services)", "\nDisabled (0)\n------------ OR ------------\nFile not found"},
	{"Status of the 'telnet' service (Unix/Linux)",
		"Telnet transmits credentials in clear text, so sessions can be intercepted or hijacked.",
		"Disable the telnet entry in /etc/inetd.conf according to the organization's policy.",
		"OS Security Settings", "Performance Monitoring (All OSI Layers)", "\nDisabled (0)\n------------ OR ------------\nSetting not found"},
	{"Status of the 'Minimum password length' setting",
		"Short passwords are easier to guess or brute-force.",
		"Set 'Minimum password length' to 14 or more characters.",
		"Access Control Requirements", "Password Policy", "\ngreater than or equal to 14"},
	{"Status of the permissions set on the '/etc/ssh/sshd_config' file",
		"An unauthorized user who can modify sshd_config can weaken the SSH daemon.",
		"# chown root:root /etc/ssh/sshd_config\n# chmod og-rwx /etc/ssh/sshd_config",
		"File Security", "Permissions (Files)", "\nmatches regular expression list\n-rw-------"},
	{"Status of the 'Fax' service",
		"The Fax service can send system documents to unauthorized recipients.",
		"Remove or disable the Fax (fax) service.",
		"OS Security Settings", "Services", "\nDisabled (4)\n------------ OR ------------\nKey not found"},
	{"Status of the 'Audit logon events' setting",
		"Without logon auditing, attacks against accounts go unnoticed.",
		"Set 'Audit logon events' to 'Success and Failure'.",
		"Logging and Monitoring", "Audit Policy", "\nSuccess and Failure (3)"},
	{"Status of the 'PermitRootLogin' setting in sshd_config",
		"Direct root logins cannot be attributed to a person.",
		"Set 'PermitRootLogin no' in /etc/ssh/sshd_config.",
		"Access Control Requirements", "Remote Access", "\nno"},
	{"Status of the 'Windows Firewall: Domain: Firewall state' setting",
		"A disabled host firewall exposes every listening service.",
		"Set the domain profile firewall state to 'On (recommended)'.",
		"Network Security", "Host Firewall", "\nOn (1)"},
}

var currentValueSamples = []string{"Key not found", "File not found", "Disabled (4)", "Setting not found",
	"8", "-rw-r--r--", "root:root", "Enabled (1)", "Permission denied", "Success (1)", "yes"}

func genControls(rng *rand.Rand, g genConfig) []Control {
	// Policies share controls, as real benchmarks do: the catalog holds
	// fewer controls than policies times controls per policy.
	n := g.controlsPerPolicy
	if g.policies > 1 {
		n = g.controlsPerPolicy * (g.policies + 1) / 2
	}
	controls := make([]Control, n)
	for i := range controls {
		t := controlThemes[i%len(controlThemes)]
		c := Control{
			ID:          1000 + int64(i)*7,
			Statement:   t.statement,
			Rationale:   t.rationale,
			Remediation: t.remediation,
			Category:    t.category,
			SubCategory: t.subCategory,
			Criticality: i % len(criticalityLabels),
			Custom:      i%5 == 4,
			Expected:    t.expected,
		}
		if i >= len(controlThemes) {
			c.Statement += fmt.Sprintf(" (variant %d)", i/len(controlThemes))
		}
		controls[i] = c
	}
	rng.Shuffle(len(controls), func(i, j int) {
		controls[i].Criticality, controls[j].Criticality = controls[j].Criticality, controls[i].Criticality
	})
	return controls
}

func genHosts(rng *rand.Rand, d *Data, n int) []Host {
	trackings := []string{"AGENT", "IP", "DNS", "NETBIOS", "INSTANCE_ID"}
	clouds := []Cloud{
		{Provider: "GCP", Service: "Compute Engine", ResourceType: "Instance", AccountID: "175127636344"},
		{Provider: "AWS", Service: "EC2", ResourceType: "Instance", AccountID: "615298432177", ImageID: "ami-0abcdef1234567890"},
		{Provider: "AZURE", Service: "Virtual Machine", ResourceType: "VM", AccountID: "3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"},
	}
	hosts := make([]Host, n)
	for i := range hosts {
		id := 4980343 + int64(i)*3
		tech := d.Technologies[rng.IntN(len(d.Technologies))]
		h := Host{
			ID:             id,
			AssetID:        42078290 + int64(i),
			IP:             fmt.Sprintf("10.%d.%d.%d", i/65024, i/254%256, i%254+1),
			DNS:            fmt.Sprintf("host-%d.corp.example.com", id),
			TechnologyID:   tech.ID,
			TrackingMethod: trackings[rng.IntN(len(trackings))],
			QGHostID:       uuidFrom(rng),
			AgentUUID:      uuidFrom(rng),
			LastScan:       d.Now.Add(-time.Duration(3600+rng.IntN(60*24*3600)) * time.Second),
			NetworkName:    "Global Default Network",
		}
		if rng.IntN(5) != 0 {
			h.NetBIOS = fmt.Sprintf("HOST-%d", id)
		}
		// Tags: Cloud Agent on agent hosts, the platform's server tag,
		// and now and then Production, Decommissioned, PCI Scope or a lab tag.
		if h.TrackingMethod == "AGENT" {
			h.TagIDs = append(h.TagIDs, d.Tags[0].ID)
		}
		if tech.Platform == "WINDOWS" {
			h.TagIDs = append(h.TagIDs, d.Tags[2].ID)
		} else {
			h.TagIDs = append(h.TagIDs, d.Tags[1].ID)
		}
		for _, t := range []int{3, 4, 5, 6, 7} {
			if rng.IntN(5) == 0 {
				h.TagIDs = append(h.TagIDs, d.Tags[t].ID)
			}
		}
		if rng.IntN(3) == 0 {
			c := clouds[rng.IntN(len(clouds))]
			c.ResourceID = strconv.FormatUint(rng.Uint64()>>1, 10)
			c.Metadata = fmt.Sprintf("{'Private IP Address':'%s', 'State':'RUNNING'}", h.IP)
			h.Cloud = &c
		}
		hosts[i] = h
	}
	return hosts
}

var policyTitles = []string{
	"CIS Benchmark for Debian Linux 11, v1.0.0 [Scored, Level 1]",
	"CIS Benchmark for Microsoft Windows Server 2019, v2.0.0",
	"PCI DSS 4.0 Baseline for RHEL 8",
	"Politique de sécurité — serveurs Windows 2022 (Paris)",
	"NIST SP 800-53 Rev. 5 Moderate Baseline",
	"Custom Hardening Standard – Ubuntu 22.04",
}

var userNames = []string{"acme_ab12", "acme_cd34", "acme_ef56"}

func genPolicies(rng *rand.Rand, d *Data, g genConfig) []Policy {
	policies := make([]Policy, g.policies)
	for i := range policies {
		created := d.Now.Add(-time.Duration(400+rng.IntN(600)) * 24 * time.Hour)
		modified := created.Add(time.Duration(rng.IntN(300)) * 24 * time.Hour)
		p := Policy{
			ID:               1438626 + int64(i)*1013,
			Title:            policyTitles[i%len(policyTitles)],
			CreatedBy:        userNames[rng.IntN(len(userNames))],
			ModifiedBy:       userNames[rng.IntN(len(userNames))],
			Created:          created.Truncate(time.Second),
			Modified:         modified.Truncate(time.Second),
			LastEvaluated:    d.Now.Add(-time.Duration(rng.IntN(120*24*3600)) * time.Second),
			Status:           "active",
			Locked:           rng.IntN(4) == 0,
			IncludeTagsScope: []string{"ALL", "ANY"}[rng.IntN(2)],
			ExcludeTagsScope: []string{"ALL", "ANY"}[rng.IntN(2)],
		}
		if i >= len(policyTitles) {
			p.Title += fmt.Sprintf(" #%d", i/len(policyTitles)+1)
		}
		if g.policies >= 3 && i == g.policies-1 {
			p.Status = "inactive"
		}
		// Consecutive policies overlap in controls.
		for j := 0; j < g.controlsPerPolicy && len(d.Controls) > 0; j++ {
			p.ControlIDs = append(p.ControlIDs, d.Controls[(i*g.controlsPerPolicy/2+j)%len(d.Controls)].ID)
		}
		for _, h := range d.Hosts {
			if rng.IntN(5) != 0 {
				p.HostIDs = append(p.HostIDs, h.ID)
			}
		}
		if len(p.HostIDs) == 0 && len(d.Hosts) > 0 {
			p.HostIDs = []int64{d.Hosts[i%len(d.Hosts)].ID}
		}
		p.IncludeTagIDs = []int64{d.Tags[i%3].ID}
		if i%2 == 0 {
			p.IncludeTagIDs = append(p.IncludeTagIDs, d.Tags[5].ID)
		}
		p.ExcludeTagIDs = []int64{d.Tags[4].ID}
		policies[i] = p
	}
	return policies
}

func uuidFrom(rng *rand.Rand) string { return string(jsonappend.UUID(nil, rng)) }

// Clone returns a deep copy.
func (d *Data) Clone() *Data {
	c := *d
	c.Technologies = append([]Technology(nil), d.Technologies...)
	c.Tags = append([]Tag(nil), d.Tags...)
	c.Controls = append([]Control(nil), d.Controls...)
	c.Policies = make([]Policy, len(d.Policies))
	for i, p := range d.Policies {
		p.ControlIDs = cloneInts(p.ControlIDs)
		p.HostIDs = cloneInts(p.HostIDs)
		p.IncludeTagIDs = cloneInts(p.IncludeTagIDs)
		p.ExcludeTagIDs = cloneInts(p.ExcludeTagIDs)
		c.Policies[i] = p
	}
	c.Hosts = make([]Host, len(d.Hosts))
	for i, h := range d.Hosts {
		h.TagIDs = cloneInts(h.TagIDs)
		if h.Cloud != nil {
			cl := *h.Cloud
			h.Cloud = &cl
		}
		c.Hosts[i] = h
	}
	c.CAR = d.CAR.clone()
	if d.Evolved != nil {
		c.Evolved = make(map[PostureKey]Posture, len(d.Evolved))
		for k, v := range d.Evolved {
			c.Evolved[k] = v // slices inside are never written after creation
		}
	}
	if d.Vanished != nil {
		c.Vanished = make(map[PostureKey]time.Time, len(d.Vanished))
		for k, v := range d.Vanished {
			c.Vanished[k] = v
		}
	}
	return &c
}

func cloneInts(s []int64) []int64 {
	if s == nil {
		return nil
	}
	return append([]int64(nil), s...)
}

// Policy returns the policy with the given id.
func (d *Data) Policy(id int64) (Policy, bool) {
	for _, p := range d.Policies {
		if p.ID == id {
			return p, true
		}
	}
	return Policy{}, false
}

// Host returns the host with the given id.
func (d *Data) Host(id int64) (Host, bool) {
	for _, h := range d.Hosts {
		if h.ID == id {
			return h, true
		}
	}
	return Host{}, false
}

// Technology returns the technology with the given id.
func (d *Data) Technology(id int64) (Technology, bool) {
	for _, t := range d.Technologies {
		if t.ID == id {
			return t, true
		}
	}
	return Technology{}, false
}
