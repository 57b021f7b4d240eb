package posturegen

import (
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/qualyskit/qualys-go/internal/jsonappend"
)

// Seed is the generator's fixed seed: the same size gives the same bytes.
const Seed = 1031

// Reader streams a generated posture array of at least a given size,
// producing one record at a time, so a body of any size costs no memory.
type Reader struct {
	rng      *rand.Rand
	minSize  int64
	produced int64
	records  int
	buf      []byte
	off      int
	done     bool
}

// NewReader returns a reader of a JSON array of posture records: records
// are added until the array holds at least minSize bytes.
func NewReader(minSize int64) *Reader {
	return &Reader{
		rng:     rand.New(rand.NewPCG(Seed, uint64(minSize))),
		minSize: minSize,
		buf:     make([]byte, 0, 16<<10),
	}
}

// Records returns how many records the reader has produced so far; once
// Read has returned io.EOF it is the length of the array.
func (r *Reader) Records() int { return r.records }

func (r *Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if r.off == len(r.buf) {
			if r.done {
				break
			}
			r.fill()
		}
		c := copy(p[n:], r.buf[r.off:])
		r.off += c
		n += c
	}
	if n == 0 && r.done && r.off == len(r.buf) {
		return 0, io.EOF
	}
	return n, nil
}

// fill replaces the buffer with the next piece of the array.
func (r *Reader) fill() {
	r.buf, r.off = r.buf[:0], 0
	switch {
	case r.records == 0:
		r.buf = append(r.buf, "[ "...)
		r.buf = appendRecord(r.buf, r.rng, r.records)
		r.records++
	case r.produced < r.minSize:
		r.buf = append(r.buf, ", "...)
		r.buf = appendRecord(r.buf, r.rng, r.records)
		r.records++
	default:
		r.buf = append(r.buf, "\n]\n"...)
		r.done = true
	}
	r.produced += int64(len(r.buf))
}

// Generate returns a generated array of at least minSize bytes and its
// number of records.
func Generate(minSize int64) ([]byte, int) {
	r := NewReader(minSize)
	data := make([]byte, 0, minSize+64<<10)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, r.Records()
		}
	}
}

var (
	policies = []struct {
		id    int64
		title string
	}{
		{1438626, "CPS -Test"},
		{1455059, "WINDOWS_IP_TRACKED_IPV4_POLICY_AG"},
		{4427355, "CIS Benchmark for Debian Linux 11, v1.0.0 [Scored, Level 1]"},
		{4677689, "Politique de sécurité — serveurs Windows 2019 (Paris)"},
		{5772988, "PCI DSS 4.0 Baseline for RHEL 8"},
	}
	controls = []struct {
		id          int64
		statement   string
		rationale   string
		remediation string
		category    string
		subCategory string
		expected    string
		extended    string
	}{
		{
			1131, "Status of the 'Trivial File Transfer Protocol (TFTP)' service",
			"The 'TFTP' service is both a command and TCP protocol that is normally used only for booting diskless workstations, getting or saving network component configuration files, or as a 'kickstart' type host configuration from a network-based template. The connection initiation and data transfer is all done in clear text without requiring credentials of any kind. As a malicious user with a 'sniffer' running on the network, could easily capture the data and/or reproduce the same operation, simply by knowing the name of the file(s) and the source address(es), this process should be disabled/restricted according to the needs of the business.",
			"Review \"/etc/inetd.conf\" file to check whether tftp service's configuration in line with business needs and organization's security policies.\n\nExample: To disable the tftp service,\n\nRemove or comment out any tftp lines in /etc/inetd.conf: \n# tftp stream tcp nowait root internal",
			"Services", "Guidelines/Procedures (Services)",
			"\nDisabled (0)\n------------ OR ------------\nEnabled (1)\n------------ OR ------------\nSetting not found\n------------ OR ------------\nFile not found",
			"Row 1:\n",
		},
		{
			1130, "Status of the 'telnet' service (Unix/Linux)",
			"'Telnet' is both a user command and a TCP/IP protocol, most commonly used for accessing remote computers via a command line interface (CLI) on tcp port 23. Telnet streams are transmitted in clear text including any uid/password input, so if a telnet session is used for privileged communication(s)/host configuration purposes, the entire session is susceptible to interception by eavesdroppers on the network. As this can lead to the session being hijacked or replayed by malicious users, this process should be disabled/restricted according to the needs of the business.",
			"Edit the file '/etc/inetd.conf' and add or comment the 'telnet' entry according to the business needs or organization's security policies.",
			"OS Security Settings", "Performance Monitoring (All OSI Layers)",
			"\nDisabled (0)\n------------ OR ------------\nSetting not found",
			"Row 1:service,state\nRow 2:telnet,disabled\n",
		},
		{
			1161, "Status of the 'Fax' service",
			"The Microsoft 'Fax' service provides a software-based facsimile service that can take system documents and send these out to a fax-recipient via a hardware modem and analog phone line. (One reported public exploit uses the Windows Picture and Fax Viewer (SHIMGVW.DLL) to execute code arbitrarily.) As this transfer capability can potentially compromise sensitive system documents, by transmitting information to unauthorized recipients and can be activated remotely, this capability should be restricted/set according to the needs of the business.",
			"Remove or disable the Fax (fax) service.",
			"OS Security Settings", "Performance Monitoring (All OSI Layers)",
			"\nAutomatic (2)\n------------ OR ------------\nAutomatic (Delayed Start) (21)\n------------ OR ------------\nManual (3)\n------------ OR ------------\nKey not found\n------------ OR ------------\nDisabled (4)",
			"Row 1:Service Name,Registry Key,Start Value,Delayed Start\nRow 2:Fax,HKLM\\SYSTEM\\CurrentControlSet\\Services\\Fax,,\n",
		},
		{
			2641, "Status of the 'Minimum password length' setting",
			"Short passwords are easier to guess or brute-force. The 'Minimum password length' setting determines the least number of characters that make up a password for a user account; setting it to 14 or more characters greatly increases the effort required for an attacker to guess a password, whether the attack is online or against a stolen hash database.",
			"Set 'Minimum password length' to 14 or more characters:\n\nComputer Configuration\\Policies\\Windows Settings\\Security Settings\\Account Policies\\Password Policy\\Minimum password length",
			"Access Control Requirements", "Password Policy",
			"\ngreater than or equal to 14",
			"Row 1:Setting,Value,Source\nRow 2:MinimumPasswordLength,8,Local Security Policy\nRow 3:MinimumPasswordLength,8,Domain Group Policy (Default Domain Policy)\n",
		},
		{
			3876, "Status of the permissions set on the '/etc/ssh/sshd_config' file",
			"The '/etc/ssh/sshd_config' file contains configuration specifications for sshd. If an unauthorized user could modify it, they could weaken the settings of the SSH daemon, for example by allowing root login or empty passwords, and gain access to the host.",
			"Run the following commands to set ownership and permissions on /etc/ssh/sshd_config:\n\n# chown root:root /etc/ssh/sshd_config\n# chmod og-rwx /etc/ssh/sshd_config",
			"File Security", "Permissions (Files)",
			"\nmatches regular expression list\n-rw-------\n------------ OR ------------\n-r--------",
			"Row 1:path,owner,group,mode\nRow 2:/etc/ssh/sshd_config,root,root,-rw-r--r--\n",
		},
	}
	technologies = []struct {
		id   int64
		name string
		os   string
		cpe  string
	}{
		{346, "Debian GNU/Linux 11.x", "Debian Linux 11.1", ""},
		{21, "Windows 2008 Server", "", "cpe:/o:microsoft:windows_server_2008:r2::enterprise_x64:"},
		{407, "Windows Server 2019", "Windows Server 2019 Datacenter 64 bit Edition Version 1809", "cpe:/o:microsoft:windows_server_2019:-:*:*:*:*:*:x64:*"},
		{391, "Red Hat Enterprise Linux 8.x", "Red Hat Enterprise Linux 8.9", "cpe:/o:redhat:enterprise_linux:8.9"},
	}
	criticalities = []string{"UNDEFINED", "MINIMAL", "MEDIUM", "SERIOUS", "CRITICAL", "URGENT"}
	statuses      = []string{"Passed", "Passed", "Passed", "Failed", "Failed", "Error"}
	trackings     = []string{"AGENT", "IP", "DNS", "NETBIOS", "INSTANCE_ID"}
	clouds        = []struct{ provider, service, kind string }{
		{"GCP", "Compute Engine", "Instance"},
		{"AWS", "EC2", "Instance"},
		{"AZURE", "Virtual Machine", "VM"},
	}
	evidenceLines = []string{
		"Key not found", "File not found", "Disabled (4)", "Setting not found", "8", "-rw-r--r--",
		"root:root", "Enabled (1)", "C:\\Windows\\System32\\drivers\\etc\\hosts", "Permission denied",
	}
	epoch = time.Date(2024, 10, 4, 9, 47, 33, 0, time.UTC)
)

// appendRecord appends record i, as one JSON object, one member per line
// as in the Qualys samples.
func appendRecord(b []byte, rng *rand.Rand, i int) []byte {
	pol := policies[rng.IntN(len(policies))]
	ctl := controls[rng.IntN(len(controls))]
	tech := technologies[rng.IntN(len(technologies))]
	status := statuses[rng.IntN(len(statuses))]
	hostID := 4980343 + int64(i/40)
	crit := rng.IntN(len(criticalities))
	evaluated := epoch.Add(time.Duration(rng.IntN(90*24*3600)) * time.Second)

	b = append(b, "{\n"...)
	b = member(b, "id", true)
	b = strconv.AppendInt(b, 19029070+int64(i), 10)
	b = member(b, "instance", false)
	b = jsonappend.String(b, "os")
	b = member(b, "policyId", false)
	b = strconv.AppendInt(b, pol.id, 10)
	b = member(b, "policyTitle", false)
	b = jsonappend.String(b, pol.title)
	b = member(b, "netBios", false)
	if rng.IntN(5) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, `"INSTANCE-`...)
		b = strconv.AppendInt(b, hostID, 10)
		b = append(b, '"')
	}
	b = member(b, "controlId", false)
	b = strconv.AppendInt(b, ctl.id, 10)
	b = member(b, "controlStatement", false)
	b = jsonappend.String(b, ctl.statement)
	b = member(b, "rationale", false)
	b = jsonappend.String(b, ctl.rationale)
	b = member(b, "remediation", false)
	b = jsonappend.String(b, ctl.remediation)
	b = member(b, "category", false)
	b = jsonappend.String(b, ctl.category)
	b = member(b, "subCategory", false)
	b = jsonappend.String(b, ctl.subCategory)
	b = member(b, "controlReference", false)
	if rng.IntN(4) == 0 {
		b = jsonappend.String(b, "CIS 5.2.1; NIST SP 800-53 AC-3")
	} else {
		b = append(b, "null"...)
	}
	b = member(b, "technologyId", false)
	b = strconv.AppendInt(b, tech.id, 10)
	b = member(b, "status", false)
	b = jsonappend.String(b, status)
	b = member(b, "previousStatus", false)
	b = jsonappend.String(b, statuses[rng.IntN(len(statuses))])
	if status == "Passed" {
		b = member(b, "firstFailDate", false)
		b = jsonappend.String(b, "")
		b = member(b, "lastFailDate", false)
		b = jsonappend.String(b, "")
		b = member(b, "firstPassDate", false)
		b = appendDate(b, evaluated.Add(-72*time.Hour))
		b = member(b, "lastPassDate", false)
		b = appendDate(b, evaluated)
	} else {
		b = member(b, "firstFailDate", false)
		b = appendDate(b, evaluated.Add(-240*time.Hour))
		b = member(b, "lastFailDate", false)
		b = appendDate(b, evaluated)
		b = member(b, "firstPassDate", false)
		b = append(b, "null"...)
		b = member(b, "lastPassDate", false)
		b = jsonappend.String(b, "")
	}
	b = member(b, "postureModifiedDate", false)
	b = appendDate(b, evaluated.Add(-time.Hour))
	b = member(b, "lastEvaluatedDate", false)
	b = appendDate(b, evaluated)
	b = member(b, "created", false)
	b = appendDate(b, evaluated.Add(39*24*time.Hour))
	b = member(b, "hostId", false)
	b = strconv.AppendInt(b, hostID, 10)
	b = member(b, "ip", false)
	b = appendIP(b, rng)
	b = member(b, "trackingMethod", false)
	b = jsonappend.String(b, trackings[rng.IntN(len(trackings))])
	b = member(b, "os", false)
	b = appendNullable(b, tech.os)
	b = member(b, "osCpe", false)
	b = appendNullable(b, tech.cpe)
	host := strconv.AppendInt([]byte("host-"), hostID, 10)
	host = append(host, ".corp.example.com"...)
	b = member(b, "domainName", false)
	b = jsonappend.String(b, string(host))
	b = member(b, "dns", false)
	b = jsonappend.String(b, string(host))
	b = member(b, "qgHostid", false)
	if rng.IntN(6) == 0 {
		b = append(b, "null"...)
	} else {
		b = appendUUID(b, rng)
	}
	b = member(b, "networkId", false)
	b = append(b, '0')
	b = member(b, "networkName", false)
	b = jsonappend.String(b, "Global Default Network")
	b = member(b, "complianceLastScanDate", false)
	b = appendDate(b, evaluated.Add(-8*time.Minute))
	b = member(b, "customerUuid", false)
	b = jsonappend.String(b, "93f7ad53-1590-e3ac-83cd-322b91180e13")
	b = member(b, "customerId", false)
	b = jsonappend.String(b, "1337821")
	b = member(b, "assetId", false)
	b = strconv.AppendInt(b, 42078290+hostID%997, 10)

	b = member(b, "technology", false)
	b = append(b, "{\n\"id\": "...)
	b = strconv.AppendInt(b, tech.id, 10)
	b = member(b, "name", false)
	b = jsonappend.String(b, tech.name)
	b = append(b, "\n}"...)

	b = member(b, "criticality", false)
	b = append(b, "{\n\"label\": "...)
	b = jsonappend.String(b, criticalities[crit])
	b = member(b, "value", false)
	b = strconv.AppendInt(b, int64(crit), 10)
	b = append(b, "\n}"...)

	b = member(b, "evidence", false)
	b = append(b, "{\n\"expectedValues\": "...)
	b = jsonappend.String(b, ctl.expected)
	b = member(b, "currentValues", false)
	b = append(b, "[\n"...)
	for j, n := 0, 1+rng.IntN(4); j < n; j++ {
		if j > 0 {
			b = append(b, ",\n"...)
		}
		b = jsonappend.String(b, evidenceLines[rng.IntN(len(evidenceLines))])
	}
	b = append(b, "\n]"...)
	b = member(b, "actualValues", false)
	b = append(b, "null"...)
	b = member(b, "directoryFimUdc", false)
	b = append(b, "null"...)
	b = member(b, "lastUpdated", false)
	b = appendDate(b, evaluated.Add(-8*time.Minute))
	b = member(b, "extendedEvidence", false)
	b = appendExtended(b, rng, ctl.extended)
	b = append(b, "\n}"...)

	b = member(b, "causeOfFailure", false)
	if status == "Failed" {
		b = append(b, "{\n\"missing\": ["...)
		b = jsonappend.String(b, evidenceLines[rng.IntN(len(evidenceLines))])
		b = append(b, "],\n\"unexpected\": ["...)
		b = jsonappend.String(b, evidenceLines[rng.IntN(len(evidenceLines))])
		b = append(b, "]\n}"...)
	} else {
		b = append(b, "null"...)
	}
	b = member(b, "userDefinedAttributesList", false)
	if rng.IntN(10) == 0 {
		b = append(b, `[{"key":"owner","value":"it-ops"},{"key":"site","value":"Zürich"}]`...)
	} else {
		b = append(b, "null"...)
	}
	b = member(b, "currentDataSizeKB", false)
	b = appendSize(b, 1+rng.IntN(900))
	b = member(b, "totalDataSizeKB", false)
	b = appendSize(b, 1000+rng.IntN(90000))
	b = member(b, "currentBatch", false)
	b = strconv.AppendInt(b, int64(1+i/1000), 10)
	b = member(b, "totalBatches", false)
	b = append(b, "42"...)

	cloud := rng.IntN(3) == 0
	resourceID := strconv.AppendUint(nil, rng.Uint64()>>1, 10)
	b = member(b, "cloudMetaData", false)
	if cloud {
		c := clouds[rng.IntN(len(clouds))]
		b = append(b, "{\n\"cloudProvider\": "...)
		b = jsonappend.String(b, c.provider)
		b = member(b, "cloudService", false)
		b = jsonappend.String(b, c.service)
		b = member(b, "cloudResourceId", false)
		b = jsonappend.String(b, string(resourceID))
		b = member(b, "cloudResourceType", false)
		b = jsonappend.String(b, c.kind)
		b = member(b, "cloudAccountId", false)
		b = jsonappend.String(b, "175127636344")
		b = member(b, "cloudImageId", false)
		b = append(b, "null"...)
		b = member(b, "cloudResourceMetadata", false)
		b = jsonappend.String(b, "{'Public IP Address':'35.224.87.179', 'Private IP Address':'10.128.0.27', 'Machine Type':'e2-medium', 'Zone':'null', 'ProjectId':'qlys-devqa-qweb', 'State':'RUNNING', 'Network':'N/A', 'MAC Address':'null'}")
		b = append(b, "\n}"...)
	} else {
		b = append(b, "null"...)
	}
	b = member(b, "CLOUD_RESOURCE_ID", false)
	if cloud {
		b = jsonappend.String(b, string(resourceID))
	} else {
		b = append(b, "null"...)
	}
	return append(b, "\n}"...)
}

// member appends the separator and name of the next object member.
func member(b []byte, name string, first bool) []byte {
	if !first {
		b = append(b, ',', '\n')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, `": `...)
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return jsonappend.String(b, s)
}

func appendDate(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

func appendIP(b []byte, rng *rand.Rand) []byte {
	b = append(b, `"10.`...)
	b = strconv.AppendInt(b, int64(rng.IntN(256)), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(rng.IntN(256)), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(1+rng.IntN(254)), 10)
	return append(b, '"')
}

func appendUUID(b []byte, rng *rand.Rand) []byte {
	b = append(b, '"')
	b = jsonappend.UUID(b, rng)
	return append(b, '"')
}

// appendSize appends a size in KB with two decimals, quoted as Qualys does.
func appendSize(b []byte, hundredths int) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(hundredths/100), 10)
	b = append(b, '.', byte('0'+hundredths/10%10), byte('0'+hundredths%10))
	return append(b, '"')
}

// appendExtended appends the extended evidence: the control's rows, and on
// some records a long table of rows as file-permission controls produce.
func appendExtended(b []byte, rng *rand.Rand, rows string) []byte {
	if rng.IntN(3) != 0 {
		return jsonappend.String(b, rows)
	}
	text := []byte(rows)
	for r, n := 0, 4+rng.IntN(24); r < n; r++ {
		text = append(text, "Row "...)
		text = strconv.AppendInt(text, int64(r+3), 10)
		text = append(text, ":/etc/security/limits.d/"...)
		text = strconv.AppendInt(text, int64(rng.IntN(100)), 10)
		text = append(text, "-custom.conf,root,root,-rw-r--r--,\"hard core 0\"\n"...)
	}
	return jsonappend.String(b, string(text))
}
