package qualystest

import (
	"log/slog"
	"time"
)

// Option configures a Server.
type Option func(*config)

// config is everything the options set; defaults come from defaultConfig.
type config struct {
	addr     string
	username string
	password string
	tokenTTL time.Duration
	logger   *slog.Logger
	latency  time.Duration

	rateLimit  int
	rateWindow time.Duration

	validatedRecords int

	gen genConfig
}

// Defaults. The demo credentials are deliberately obvious: the simulator
// must never be mistaken for a real account.
const (
	DefaultUsername = "demo"
	DefaultPassword = "demo-password"
	// DefaultTokenTTL is the JWT lifetime Qualys documents.
	DefaultTokenTTL = 4 * time.Hour
	// DefaultValidatedRecords is how many posture records of each
	// postureInfo response are checked against the spec (see
	// WithValidatedRecords).
	DefaultValidatedRecords = 25
)

func defaultConfig() config {
	return config{
		addr:             "127.0.0.1:0",
		username:         DefaultUsername,
		password:         DefaultPassword,
		tokenTTL:         DefaultTokenTTL,
		validatedRecords: DefaultValidatedRecords,
		gen:              defaultGenConfig(),
	}
}

// WithAddr sets the listen address, e.g. "127.0.0.1:8443" for a simulator
// other programs connect to. The default picks a free loopback port.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithCredentials sets the only username and password /auth accepts.
func WithCredentials(username, password string) Option {
	return func(c *config) { c.username, c.password = username, password }
}

// WithTokenTTL sets the lifetime of the JWTs /auth issues (default 4 h, as
// Qualys documents). A short TTL lets a test see a token expire for real;
// ExpireTokens does it without waiting.
func WithTokenTTL(d time.Duration) Option { return func(c *config) { c.tokenTTL = d } }

// WithLogger logs one line per request (method, path, operation, status,
// duration, fault). Credentials, tokens and bodies are never logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithLatency delays every request by d before it is handled, to make
// benchmarks against the simulator look like a remote gateway. SetLatency
// changes it later.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// WithRateLimit limits each API to n requests per window, counted
// separately for CAR (all /sm paths) and for each of the three PCRS APIs
// (policy list, hostids, postureInfo), as the gateway does. Every response
// of a limited API carries X-RateLimit-Limit, X-RateLimit-Window-Sec,
// X-RateLimit-Remaining and X-RateLimit-ToWait-Sec; a request over the
// limit gets 429 with X-RateLimit-Remaining 0 and the seconds left in the
// window in X-RateLimit-ToWait-Sec. /auth is never limited. Without this
// option nothing is limited and no rate-limit header is sent (Qualys does
// not promise the headers either). Qualys' default for PCRS is 25 per
// 60 seconds.
func WithRateLimit(n int, window time.Duration) Option {
	return func(c *config) { c.rateLimit, c.rateWindow = n, window }
}

// WithValidatedRecords sets how many records of each postureInfo response
// are validated against the spec (default DefaultValidatedRecords). The
// rest of a stream is produced by the same code, and validating every
// record of a response of tens of megabytes would make the simulator, not
// the client, the bottleneck of a benchmark. 0 validates every record.
func WithValidatedRecords(n int) Option { return func(c *config) { c.validatedRecords = n } }

// WithSeed seeds the generated data set: the same seed and sizes always
// give the same data (default 1).
func WithSeed(seed int64) Option { return func(c *config) { c.gen.seed = seed } }

// WithHosts sets the number of hosts (default 40).
func WithHosts(n int) Option { return func(c *config) { c.gen.hosts = n } }

// WithPolicies sets the number of compliance policies (default 4).
func WithPolicies(n int) Option { return func(c *config) { c.gen.policies = n } }

// WithControlsPerPolicy sets the number of controls of each policy
// (default 12).
func WithControlsPerPolicy(n int) Option { return func(c *config) { c.gen.controlsPerPolicy = n } }

// WithScripts sets the number of CAR scripts in the account (default 25);
// jobs, asset jobs and schedules scale with it.
func WithScripts(n int) Option { return func(c *config) { c.gen.scripts = n } }
