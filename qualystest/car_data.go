package qualystest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// CARData is the CAR account of the subscription. Ids are numbers here;
// the wire types (string in some records, number in others) follow the
// spec of each operation.
type CARData struct {
	ScriptTypes      []IDName
	Languages        []Language
	Categories       []IDName
	CommandLanguages []CommandLanguage // platform+language ids of blocked commands

	Scripts         []Script
	Library         []LibraryScript
	Jobs            []Job
	AssetJobs       []AssetJob
	Schedules       []Schedule
	BlockedCommands []BlockedCommand
	BlockedAssetIDs []int64
	BlockedTagIDs   []int64
	LabAssetIDs     []int64
}

// IDName is a numbered name: a script type or a category.
type IDName struct {
	ID   int64
	Name string
}

// Language is a script language.
type Language struct {
	ID       int64
	Name     string
	Platform string
}

// CommandLanguage is a platform and language combination blocked commands
// are recorded for (Qualys' sample: 201 = PowerShell-Command on WINDOWS).
type CommandLanguage struct {
	ID       int64
	Language string
	Platform string
}

// Script is a script of the account.
type Script struct {
	ID            int64
	Title         string
	Description   string
	TypeID        int64
	SubType       string // Detection or Response
	LanguageID    int64
	CategoryID    int64
	Platform      string
	Severity      int
	Threshold     int
	ThresholdUnit string // SECONDS, MINUTES, HOURS
	Status        string // APPROVED, PENDING_APPROVAL...
	Content       []byte // sent base64
	HasParameters bool
	CreatedBy     string
	Created       time.Time
	UpdatedBy     string
	Updated       time.Time
	LastExecuted  time.Time // zero: never
	LibraryID     int64     // library script it was imported from, 0 if none
	GitHubURL     string    // set when created from GitHub
	Version       int       // bumped by each update
	APIVersion    int       // create API version that made it, 0 for generated ones
}

// LibraryScript is a script of the Qualys script library.
type LibraryScript struct {
	ID            int64
	Title         string
	Description   string
	TypeID        int64
	LanguageID    int64
	CategoryID    int64
	Platform      string
	Severity      int
	Threshold     int
	ModuleCode    string // AUTOR
	BenchmarkType string // CIS
	ControlID     string
	Tech          []string
	Policies      []string
	Content       []byte
	Created       time.Time
	Updated       time.Time
	Path          string // versions[].path
}

// Job is one execution of a script (a parent job; AssetJobs hold the
// per-asset runs).
type Job struct {
	ID              int64
	ScriptID        int64
	ScriptTitle     string // as the script was when it ran
	LanguageID      int64
	TypeID          int64
	CategoryID      int64
	Severity        int
	Threshold       int
	Platform        string
	Test            bool
	ExecutionType   string // Manual, Scheduled
	CorrelationUUID string
	Created         time.Time
	Updated         time.Time
}

// AssetJob is the run of a job on one asset.
type AssetJob struct {
	ID         int64
	JobID      int64
	HostID     int64
	Status     string // EXECUTION PASSED, EXECUTION FAILED, TIMED OUT...
	OutputCode int
	OutputText string // SUCCESS, FAILURE...
	Result     []byte // the script's output, sent base64
	Created    time.Time
	Started    time.Time
	Ended      time.Time
	ManifestID string
}

// Schedule is a one-time or recurring script execution.
type Schedule struct {
	ID               string // UUID
	Title            string
	Description      string
	Active           bool
	ScheduleType     string // ONE_TIME, RECURRING
	Frequency        string // HOURLY, DAILY, WEEKLY, MONTHLY for RECURRING
	Start            time.Time
	End              time.Time
	ScriptIDs        []int64
	AssetIDs         []int64 // host ids
	TagIDs           []int64
	ExcludedAssetIDs []int64
	CreatedBy        string
	Created          time.Time
	Updated          time.Time
}

// BlockedCommand is the list of commands blocked for one platform and
// language.
type BlockedCommand struct {
	CommandID  int64
	LanguageID int64 // a CommandLanguage id
	Commands   []string
}

var scriptTypes = []IDName{{1, "Custom Script"}, {2, "Custom QID"}, {3, "Control ID Remediation"}}

// Only PowerShell-Script (4) and Shell (6) have published ids; the others
// are the simulator's.
var scriptLanguages = []Language{
	{1, "VBScript", "WINDOWS"},
	{2, "Python", "LINUX"},
	{3, "PowerShell-Command", "WINDOWS"},
	{4, "PowerShell-Script", "WINDOWS"},
	{5, "Perl", "LINUX"},
	{6, "Shell", "LINUX"},
	{7, "Lua", "LINUX"},
}

var categories = []IDName{{1, "Data Backup"}, {6, "Software Management"}, {7, "Remediation"}, {211, "Policy Audit Fix"}}

var commandLanguages = []CommandLanguage{
	{201, "PowerShell-Command", "WINDOWS"},
	{202, "PowerShell-Script", "WINDOWS"},
	{203, "VBScript", "WINDOWS"},
	{301, "Shell", "LINUX"},
	{302, "Python", "LINUX"},
	{303, "Perl", "LINUX"},
	{401, "Shell", "MAC"},
}

var scriptSubjects = []string{
	"Collect event logs", "Restart print spooler", "Disable SMBv1", "Clear temp files", "Inventory installed packages",
	"Rotate local admin password", "Enable audit logging", "Check disk space", "Patch OpenSSL", "Set password policy",
}

func genCAR(rng *rand.Rand, d *Data, n int) CARData {
	c := CARData{
		ScriptTypes:      append([]IDName(nil), scriptTypes...),
		Languages:        append([]Language(nil), scriptLanguages...),
		Categories:       append([]IDName(nil), categories...),
		CommandLanguages: append([]CommandLanguage(nil), commandLanguages...),
	}
	day := 24 * time.Hour
	for i := 0; i < n; i++ {
		lang := c.Languages[rng.IntN(len(c.Languages))]
		created := d.Now.Add(-time.Duration(30+rng.IntN(500)) * day).Add(time.Duration(rng.IntN(86400)) * time.Second)
		s := Script{
			ID:            32533 + int64(i)*11,
			Title:         fmt.Sprintf("%s (%s) %d", scriptSubjects[i%len(scriptSubjects)], lang.Name, i+1),
			Description:   "Generated by the simulator: " + strings.ToLower(scriptSubjects[i%len(scriptSubjects)]) + ".",
			TypeID:        c.ScriptTypes[[]int{0, 0, 0, 1, 2}[rng.IntN(5)]].ID,
			LanguageID:    lang.ID,
			CategoryID:    c.Categories[rng.IntN(len(c.Categories))].ID,
			Platform:      lang.Platform,
			Severity:      1 + rng.IntN(5),
			Threshold:     []int{60, 120, 300, 600}[rng.IntN(4)],
			ThresholdUnit: "SECONDS",
			Status:        []string{"APPROVED", "APPROVED", "APPROVED", "PENDING_APPROVAL"}[rng.IntN(4)],
			Content:       scriptContent(lang.Name, i),
			CreatedBy:     userNames[rng.IntN(len(userNames))],
			Created:       created,
			Version:       1,
		}
		s.SubType = "Detection"
		if s.TypeID == 3 || (s.TypeID == 1 && rng.IntN(2) == 0) {
			s.SubType = "Response"
		}
		s.UpdatedBy, s.Updated = s.CreatedBy, created.Add(time.Duration(rng.IntN(20))*day)
		c.Scripts = append(c.Scripts, s)
	}
	for i := 0; i < 15; i++ {
		lang := c.Languages[[]int{3, 5, 1}[i%3]]
		ext := map[string]string{"PowerShell-Script": "ps1", "Shell": "sh", "Python": "py"}[lang.Name]
		cid := fmt.Sprint(1000 + i*7)
		c.Library = append(c.Library, LibraryScript{
			ID:            1039 + int64(i),
			Title:         fmt.Sprintf("CIS control %s remediation (%s)", cid, lang.Name),
			Description:   "Remediates CIS control " + cid + ".",
			TypeID:        []int64{1, 3}[i%2],
			LanguageID:    lang.ID,
			CategoryID:    []int64{7, 211}[i%2],
			Platform:      lang.Platform,
			Severity:      i % 6,
			Threshold:     300,
			ModuleCode:    "AUTOR",
			BenchmarkType: "CIS",
			ControlID:     cid,
			Tech:          []string{[]string{"Windows Server 2019", "Ubuntu 22.04", "Red Hat Enterprise Linux 8.x"}[i%3]},
			Policies:      []string{"CIS Benchmark"},
			Content:       scriptContent(lang.Name, 100+i),
			Created:       d.Now.Add(-time.Duration(400+i) * day),
			Updated:       d.Now.Add(-time.Duration(100+i) * day),
			Path:          fmt.Sprintf("AUTOR/Remediation/Custom Script/%s/%s/v1/CIS/%s.%s", lang.Platform, lang.Name, cid, ext),
		})
	}
	// Jobs: one per script run, newest last; a few runs on several hosts.
	for i := 0; i < n+n/2 && len(c.Scripts) > 0; i++ {
		s := c.Scripts[rng.IntN(len(c.Scripts))]
		created := d.Now.Add(-time.Duration(rng.IntN(60*86400)) * time.Second)
		j := Job{
			ID:              29429 + int64(i),
			ScriptID:        s.ID,
			ScriptTitle:     s.Title,
			LanguageID:      s.LanguageID,
			TypeID:          s.TypeID,
			CategoryID:      s.CategoryID,
			Severity:        s.Severity,
			Threshold:       s.Threshold,
			Platform:        s.Platform,
			Test:            rng.IntN(6) == 0,
			ExecutionType:   []string{"Manual", "Manual", "Scheduled"}[rng.IntN(3)],
			CorrelationUUID: uuidFrom(rng),
			Created:         created,
			Updated:         created.Add(time.Duration(1+rng.IntN(30)) * time.Minute),
		}
		c.Jobs = append(c.Jobs, j)
		for k := 0; k < 1+rng.IntN(4) && len(d.Hosts) > 0; k++ {
			h := d.Hosts[rng.IntN(len(d.Hosts))]
			c.AssetJobs = append(c.AssetJobs, newAssetJob(rng, d, int64(94779+len(c.AssetJobs)), j, h, rng.IntN(5) != 0))
		}
	}
	for i := 0; i < n/3; i++ {
		start := d.Now.Add(time.Duration(rng.IntN(30)-10) * day)
		sc := Schedule{
			ID:           uuidFrom(rng),
			Title:        fmt.Sprintf("Nightly run %d", i+1),
			Description:  "Generated schedule",
			Active:       rng.IntN(3) != 0,
			ScheduleType: []string{"ONE_TIME", "RECURRING", "RECURRING"}[rng.IntN(3)],
			Start:        start,
			End:          start.Add(time.Duration(30+rng.IntN(300)) * day),
			CreatedBy:    userNames[rng.IntN(len(userNames))],
			Created:      start.Add(-time.Duration(1+rng.IntN(30)) * day),
		}
		if sc.ScheduleType == "RECURRING" {
			sc.Frequency = []string{"HOURLY", "DAILY", "WEEKLY", "MONTHLY"}[rng.IntN(4)]
		}
		sc.Updated = sc.Created
		if len(c.Scripts) > 0 {
			sc.ScriptIDs = []int64{c.Scripts[rng.IntN(len(c.Scripts))].ID}
		}
		if len(d.Hosts) > 0 {
			sc.AssetIDs = []int64{d.Hosts[rng.IntN(len(d.Hosts))].ID}
		}
		sc.TagIDs = []int64{d.Tags[rng.IntN(4)].ID}
		c.Schedules = append(c.Schedules, sc)
	}
	blocked := [][]string{
		{"Remove-Item", "Format-Volume", "Stop-Computer"},
		{"Invoke-Expression", "Set-ExecutionPolicy"},
		{"rm -rf /", "mkfs", "shutdown"},
		{"dd if=/dev/zero", "chmod -R 777 /"},
	}
	for i, cmds := range blocked {
		c.BlockedCommands = append(c.BlockedCommands, BlockedCommand{
			CommandID:  501 + int64(i),
			LanguageID: []int64{201, 202, 301, 401}[i],
			Commands:   append([]string(nil), cmds...),
		})
	}
	for _, h := range d.Hosts {
		for _, t := range h.TagIDs {
			if ti := tagIndex(d, t); ti >= 0 && d.Tags[ti].Lab {
				c.LabAssetIDs = append(c.LabAssetIDs, h.ID)
				break
			}
		}
	}
	if len(d.Hosts) > 2 {
		c.BlockedAssetIDs = []int64{d.Hosts[len(d.Hosts)-1].ID}
	}
	c.BlockedTagIDs = []int64{d.Tags[4].ID} // Decommissioned
	return c
}

func tagIndex(d *Data, id int64) int {
	for i, t := range d.Tags {
		if t.ID == id {
			return i
		}
	}
	return -1
}

// newAssetJob is the run of job j on host h, finished after a few seconds.
func newAssetJob(rng *rand.Rand, d *Data, id int64, j Job, h Host, passed bool) AssetJob {
	started := j.Created.Add(time.Duration(5+rng.IntN(120)) * time.Second)
	aj := AssetJob{
		ID:         id,
		JobID:      j.ID,
		HostID:     h.ID,
		Status:     "EXECUTION PASSED",
		OutputText: "SUCCESS",
		Result:     []byte(fmt.Sprintf("Script Output printed!! host %d job %d\n", h.ID, j.ID)),
		Created:    j.Created,
		Started:    started,
		Ended:      started.Add(time.Duration(200+rng.IntN(20000)) * time.Millisecond),
		ManifestID: uuidFrom(rng),
	}
	if !passed {
		aj.Status, aj.OutputCode, aj.OutputText = "EXECUTION FAILED", 1, "FAILURE"
		aj.Result = []byte("Error: access denied\n")
	}
	return aj
}

// scriptContent is a small script body in the given language.
func scriptContent(lang string, i int) []byte {
	switch lang {
	case "PowerShell-Script", "PowerShell-Command":
		return []byte(fmt.Sprintf("# generated script %d\r\nWrite-Output \"Script Output printed!!\"\r\nexit 0\r\n", i))
	case "VBScript":
		return []byte(fmt.Sprintf("' generated script %d\r\nWScript.Echo \"Script Output printed!!\"\r\n", i))
	case "Python":
		return []byte(fmt.Sprintf("# generated script %d\nprint(\"Script Output printed!!\")\n", i))
	default:
		return []byte(fmt.Sprintf("#!/bin/sh\n# generated script %d\necho \"Script Output printed!!\"\n", i))
	}
}

func (c CARData) clone() CARData {
	out := c
	out.ScriptTypes = append([]IDName(nil), c.ScriptTypes...)
	out.Languages = append([]Language(nil), c.Languages...)
	out.Categories = append([]IDName(nil), c.Categories...)
	out.CommandLanguages = append([]CommandLanguage(nil), c.CommandLanguages...)
	out.Scripts = make([]Script, len(c.Scripts))
	for i, s := range c.Scripts {
		s.Content = append([]byte(nil), s.Content...)
		out.Scripts[i] = s
	}
	out.Library = make([]LibraryScript, len(c.Library))
	for i, l := range c.Library {
		l.Tech = append([]string(nil), l.Tech...)
		l.Policies = append([]string(nil), l.Policies...)
		l.Content = append([]byte(nil), l.Content...)
		out.Library[i] = l
	}
	out.Jobs = append([]Job(nil), c.Jobs...)
	out.AssetJobs = make([]AssetJob, len(c.AssetJobs))
	for i, a := range c.AssetJobs {
		a.Result = append([]byte(nil), a.Result...)
		out.AssetJobs[i] = a
	}
	out.Schedules = make([]Schedule, len(c.Schedules))
	for i, s := range c.Schedules {
		s.ScriptIDs = cloneInts(s.ScriptIDs)
		s.AssetIDs = cloneInts(s.AssetIDs)
		s.TagIDs = cloneInts(s.TagIDs)
		s.ExcludedAssetIDs = cloneInts(s.ExcludedAssetIDs)
		out.Schedules[i] = s
	}
	out.BlockedCommands = make([]BlockedCommand, len(c.BlockedCommands))
	for i, b := range c.BlockedCommands {
		b.Commands = append([]string(nil), b.Commands...)
		out.BlockedCommands[i] = b
	}
	out.BlockedAssetIDs = cloneInts(c.BlockedAssetIDs)
	out.BlockedTagIDs = cloneInts(c.BlockedTagIDs)
	out.LabAssetIDs = cloneInts(c.LabAssetIDs)
	return out
}
