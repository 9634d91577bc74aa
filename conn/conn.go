// Package conn is dynamap's connection to DynamoDB: configuration (region,
// profile, endpoint, credentials), the SDK retryer, a hard cap on requests in
// flight, and per-call measurements.
//
// Every DynamoDB call dynamap makes goes through [Conn.API], an instrumented
// [API]. Each call takes one path: Options.Tracer's TraceRequestStart, a
// wait for a concurrency slot, the underlying client's method, the slot's
// release, and then, outside the slot, TraceRequestEnd, Options.OnRequest
// (with a [Measurement]) and Options.OnError, so a slow hook never holds
// back other calls. Retrying transient errors (throttling, 5xx, connection
// resets) is the job of the SDK's standard retryer configured by [New];
// this package never retries on its own.
//
// Errors returned by New start with "dynamap: " and wrap [ErrConfig].
// Errors returned by calls through Conn.API are the underlying client's (or
// the context's) errors, unchanged apart from secret redaction, so that
// dynamap adds its "dynamap: " prefix exactly once when it wraps them.
//
// Credentials never appear in an error string, a [Measurement] or the
// formatted form of [Options].
package conn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Environment variables consulted by [New] when the matching [Options] field
// is zero. The SDK's own AWS_* variables (AWS_REGION, AWS_PROFILE,
// AWS_ACCESS_KEY_ID, AWS_MAX_ATTEMPTS, ...) are honoured by
// config.LoadDefaultConfig as usual.
const (
	// EnvEndpoint is DYNAMODB_ENDPOINT, the fallback for Options.Endpoint.
	EnvEndpoint = "DYNAMODB_ENDPOINT"
	// EnvMaxRetries is DYNAMODB_MAX_RETRIES, the fallback for Options.MaxRetries.
	// It must be an integer >= 0; 0 disables retries.
	EnvMaxRetries = "DYNAMODB_MAX_RETRIES"
	// EnvMaxClients is DYNAMODB_MAX_CLIENTS, the fallback for
	// Options.MaxConcurrency. It must be an integer >= 1.
	EnvMaxClients = "DYNAMODB_MAX_CLIENTS"
)

// DefaultMaxConcurrency is the in-flight request cap used when neither
// Options.MaxConcurrency nor DYNAMODB_MAX_CLIENTS is set.
const DefaultMaxConcurrency = 100

// LocalRegion is the region [New] uses when Options.Endpoint (or
// DYNAMODB_ENDPOINT) is set and no region is configured anywhere, so that
// DynamoDB Local works on a machine with no AWS configuration.
const LocalRegion = "us-east-1"

// localCredential is the access key ID and secret used for a non-AWS endpoint
// when no credentials are configured at all. DynamoDB Local accepts any.
const localCredential = "dynamap"

const redacted = "***"

// ErrConfig is wrapped by every error [New] returns: an invalid option or
// environment variable, static credentials given by halves, no region, or
// the SDK failing to load its configuration (whose error is wrapped too).
var ErrConfig = errors.New("dynamap: bad connection configuration")

// Options configures a [Conn]. The zero value is usable: every zero field
// falls back to an environment variable or the SDK's default, as documented
// per field.
type Options struct {
	// Region is the AWS region. Default: AWS_REGION / AWS_DEFAULT_REGION /
	// the shared config profile's region; if still empty and Endpoint is
	// set, LocalRegion ("us-east-1"). New fails if no region can be found.
	Region string

	// Profile is the shared config/credentials profile. Default: AWS_PROFILE,
	// else "default".
	Profile string

	// Endpoint is the base URL of DynamoDB, e.g. "http://127.0.0.1:8000" for
	// DynamoDB Local. Default: DYNAMODB_ENDPOINT; empty means AWS's own
	// endpoint for Region. It must be an absolute http or https URL.
	Endpoint string

	// AccessKeyID, SecretAccessKey and SessionToken are static credentials.
	// When AccessKeyID is empty the SDK's default credential chain is used
	// (AWS_ACCESS_KEY_ID, shared files, SSO, web identity, container, IMDS).
	// When both are set they take precedence over everything else;
	// SessionToken is optional. SecretAccessKey and SessionToken are
	// redacted whenever Options is formatted.
	//
	// If Endpoint points at a host that is not AWS (not *.amazonaws.com,
	// *.amazonaws.com.cn or *.api.aws) and no credential source is
	// configured at all (no static keys here, no keys, role, SSO, process or
	// web identity in the environment or shared config), New uses the dummy
	// static credentials "dynamap"/"dynamap", which DynamoDB Local accepts.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string

	// MaxRetries is the number of retries after the first attempt made by
	// the SDK's standard retryer (MaxAttempts = MaxRetries+1). Default (0):
	// DYNAMODB_MAX_RETRIES, else the SDK's default (AWS_MAX_ATTEMPTS or the
	// profile's max_attempts, else 3 attempts, i.e. 2 retries). A negative
	// value disables retries (a single attempt). How often a batch re-sends
	// what DynamoDB left unprocessed is dynamap.MaxResends, not this.
	MaxRetries int

	// RetryMaxBackoff caps the delay between retries. Default (0): the SDK's
	// 20s. Tests set it to a millisecond or so.
	RetryMaxBackoff time.Duration

	// MaxConcurrency is the hard cap on requests in flight through
	// [Conn.API]; further callers wait (honouring their context) for a free
	// slot. Default (0): DYNAMODB_MAX_CLIENTS, else DefaultMaxConcurrency
	// (100). When New builds the HTTP client it also keeps this many idle
	// connections per host.
	MaxConcurrency int

	// HTTPClient sends the requests (an *http.Client satisfies it).
	// Default: the SDK's buildable client with MaxIdleConnsPerHost raised to
	// MaxConcurrency. When AWS_CA_BUNDLE is set, the SDK needs a client it
	// can add root CAs to: pass an awshttp.BuildableClient (from
	// github.com/aws/aws-sdk-go-v2/aws/transport/http), not an *http.Client.
	HTTPClient aws.HTTPClient

	// ReturnConsumedCapacity, when set (e.g. types.ReturnConsumedCapacityTotal),
	// is added to every item, query, scan, batch and transaction input that
	// does not set its own, so Measurement.ConsumedCapacity is filled in.
	// Default: empty, inputs are sent as given.
	ReturnConsumedCapacity types.ReturnConsumedCapacity

	// OnRequest, if non-nil, is called once per call made through
	// [Conn.API], after it returns (successful or not) and its concurrency
	// slot is released, from the caller's goroutine (so a slow OnRequest
	// delays only its own caller). Default: nil.
	OnRequest func(Measurement)

	// OnError, if non-nil, is called exactly once for each call through
	// [Conn.API] that returns an error, after the SDK's retries are
	// exhausted, after the concurrency slot is released, and after
	// OnRequest. op is the operation name, e.g. "PutItem". Default: nil.
	OnError func(op string, err error)

	// Tracer, if non-nil, is told when each call through [Conn.API] starts
	// (before it waits for a concurrency slot; the context it returns is
	// the one the call then uses) and ends (after the slot is released,
	// before OnRequest), e.g. to open and end a span per call. Default:
	// nil.
	Tracer Tracer
}

// optionsView has Options' fields and none of its methods, so it can be
// printed by fmt without recursing into Options.Format.
type optionsView Options

func (o Options) redacted() optionsView {
	v := optionsView(o)
	if v.SecretAccessKey != "" {
		v.SecretAccessKey = redacted
	}
	if v.SessionToken != "" {
		v.SessionToken = redacted
	}
	return v
}

// String returns Options as "{Region:... }" with SecretAccessKey and
// SessionToken replaced by "***".
func (o Options) String() string { return fmt.Sprintf("%+v", o.redacted()) }

// GoString is like String, for the %#v verb.
func (o Options) GoString() string { return fmt.Sprintf("%#v", o.redacted()) }

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %s, ...)
// prints Options with SecretAccessKey and SessionToken replaced by "***".
func (o Options) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), o.redacted())
}

// Conn is a connection to DynamoDB: an [API] plus the concurrency cap and
// instrumentation configured by [Options]. It is safe for concurrent use.
// Build one with [New] or [FromClient].
type Conn struct {
	raw     API
	api     *instrumented
	opts    Options
	sem     chan struct{}
	secrets []string
	// counting is true when raw's own middleware counts attempts (clients
	// built by New or rebuilt by FromClient), so calls need no extra option.
	counting bool
	// observed is true when a hook reads Measurement.Table, so that calls
	// without one do not work it out.
	observed bool
}

// New builds a Conn on config.LoadDefaultConfig and dynamodb.NewFromConfig,
// applying optFns to a zero Options and then the fallbacks documented on each
// field. It makes no network calls. It fails with an error naming the
// variable if DYNAMODB_ENDPOINT, DYNAMODB_MAX_RETRIES or
// DYNAMODB_MAX_CLIENTS holds an invalid value, and if no region can be found.
// Errors from the SDK's config loading are wrapped with %w.
func New(ctx context.Context, optFns ...func(*Options)) (*Conn, error) {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if err := resolveEnv(&o); err != nil {
		return nil, err
	}

	var loadOpts []func(*config.LoadOptions) error
	if o.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(o.Profile))
	}
	static := o.AccessKeyID != "" || o.SecretAccessKey != "" || o.SessionToken != ""
	if static {
		if o.AccessKeyID == "" || o.SecretAccessKey == "" {
			return nil, fmt.Errorf("%w: static credentials need both Options.AccessKeyID and Options.SecretAccessKey", ErrConfig)
		}
		loadOpts = append(loadOpts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)))
	}
	hc := o.HTTPClient
	if hc == nil {
		n := o.MaxConcurrency
		hc = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = n
			if t.MaxIdleConns < n {
				t.MaxIdleConns = n
			}
		})
	}
	loadOpts = append(loadOpts, config.WithHTTPClient(hc))

	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("%w: loading AWS config: %w", ErrConfig, err)
	}
	if cfg.Region == "" && o.Endpoint != "" {
		cfg.Region = LocalRegion
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("%w: no AWS region: set Options.Region, AWS_REGION, or region in the shared config profile", ErrConfig)
	}
	o.Region = cfg.Region
	if !static && o.Endpoint != "" && !isAWSEndpoint(o.Endpoint) && !hasCredentialSource(cfg) {
		cfg.Credentials = aws.NewCredentialsCache(
			credentials.NewStaticCredentialsProvider(localCredential, localCredential, ""))
	}

	client := dynamodb.NewFromConfig(cfg, fillMissingCRC32, countAttempts, func(d *dynamodb.Options) {
		if o.Endpoint != "" {
			d.BaseEndpoint = aws.String(o.Endpoint)
		}
		if o.RetryMaxBackoff > 0 {
			d.Retryer = retry.AddWithMaxBackoffDelay(d.Retryer, o.RetryMaxBackoff)
		}
		switch {
		case o.MaxRetries > 0:
			d.RetryMaxAttempts = o.MaxRetries + 1
		case o.MaxRetries < 0:
			d.RetryMaxAttempts = 1
		}
	})
	c := newConn(client, o)
	c.counting = true
	return c, nil
}

// FromClient wraps any API implementation (a *dynamodb.Client, a fake, a
// fault injector) in a Conn. Of the Options, only MaxConcurrency (default
// DefaultMaxConcurrency; values <= 0 mean the default, and no environment
// variable is consulted), ReturnConsumedCapacity, OnRequest, OnError and
// Tracer apply; Region, Profile, Endpoint, credentials, retries and HTTPClient are
// ignored, since api is already configured. A *dynamodb.Client is used
// through a copy made with dynamodb.New from its Options plus dynamap's
// attempt-counting middleware, added once rather than on every call; the
// copy shares the original's HTTP client, retryer, credentials and endpoint.
func FromClient(api API, optFns ...func(*Options)) *Conn {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	counting := false
	if cl, ok := api.(*dynamodb.Client); ok && cl != nil {
		// Add the attempt counter to the client once, rather than to every
		// call: a copy of the client that shares its options (HTTP client,
		// retryer, credentials, endpoint).
		api, counting = dynamodb.New(cl.Options(), countAttempts), true
	}
	c := newConn(api, o)
	c.counting = counting
	return c
}

func newConn(api API, o Options) *Conn {
	c := &Conn{raw: api, opts: o, sem: make(chan struct{}, o.MaxConcurrency)}
	for _, s := range []string{o.SecretAccessKey, o.SessionToken} {
		if s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
	c.observed = o.OnRequest != nil || o.Tracer != nil
	c.api = &instrumented{c: c}
	return c
}

// API returns the instrumented API every dynamap call goes through: each
// method calls Options.Tracer's TraceRequestStart, waits for a concurrency
// slot (or for ctx to be done), calls the underlying client, releases the
// slot, and then reports to the Tracer, Options.OnRequest and
// Options.OnError.
func (c *Conn) API() API { return c.api }

// Raw returns the underlying, uninstrumented API (the *dynamodb.Client
// built by New, or the value given to FromClient, or for a
// *dynamodb.Client given to FromClient its copy). Calls made on it bypass
// the concurrency cap, the measurements and the hooks.
func (c *Conn) Raw() API { return c.raw }

// Options returns a copy of the effective options: fallbacks applied
// (resolved Region, Endpoint, MaxConcurrency, ...), with SecretAccessKey and
// SessionToken replaced by "***" when set.
func (c *Conn) Options() Options {
	o := c.opts
	if o.SecretAccessKey != "" {
		o.SecretAccessKey = redacted
	}
	if o.SessionToken != "" {
		o.SessionToken = redacted
	}
	return o
}

// resolveEnv validates o and applies the DYNAMODB_* fallbacks.
func resolveEnv(o *Options) error {
	if o.Endpoint != "" {
		if err := checkEndpoint(o.Endpoint); err != nil {
			return fmt.Errorf("%w: Options.Endpoint %q: %w", ErrConfig, o.Endpoint, err)
		}
	} else if v := strings.TrimSpace(os.Getenv(EnvEndpoint)); v != "" {
		if err := checkEndpoint(v); err != nil {
			return fmt.Errorf("%w: environment variable %s=%q: %w", ErrConfig, EnvEndpoint, v, err)
		}
		o.Endpoint = v
	}

	if o.MaxRetries == 0 {
		if v, ok := os.LookupEnv(EnvMaxRetries); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return fmt.Errorf("%w: environment variable %s=%q: want an integer >= 0", ErrConfig, EnvMaxRetries, v)
			}
			if n == 0 {
				n = -1 // explicit zero: no retries
			}
			o.MaxRetries = n
		}
	}

	switch {
	case o.MaxConcurrency < 0:
		return fmt.Errorf("%w: Options.MaxConcurrency = %d: want >= 0 (0 means default)", ErrConfig, o.MaxConcurrency)
	case o.MaxConcurrency == 0:
		o.MaxConcurrency = DefaultMaxConcurrency
		if v, ok := os.LookupEnv(EnvMaxClients); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return fmt.Errorf("%w: environment variable %s=%q: want an integer >= 1", ErrConfig, EnvMaxClients, v)
			}
			o.MaxConcurrency = n
		}
	}

	if o.RetryMaxBackoff < 0 {
		return fmt.Errorf("%w: Options.RetryMaxBackoff = %v: want >= 0 (0 means SDK default)", ErrConfig, o.RetryMaxBackoff)
	}
	return nil
}

func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("want an http:// or https:// URL")
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}

// isAWSEndpoint reports whether endpoint's host belongs to AWS.
func isAWSEndpoint(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws"} {
		if strings.HasSuffix(h, suffix) {
			return true
		}
	}
	return false
}

// hasCredentialSource reports whether the loaded config names any source of
// credentials in the environment or the shared config profile. Instance and
// container metadata are not probed (that would mean network calls).
func hasCredentialSource(cfg aws.Config) bool {
	for _, src := range cfg.ConfigSources {
		switch s := src.(type) {
		case config.EnvConfig:
			if envHasCreds(&s) {
				return true
			}
		case *config.EnvConfig:
			if envHasCreds(s) {
				return true
			}
		case config.SharedConfig:
			if sharedHasCreds(&s) {
				return true
			}
		case *config.SharedConfig:
			if sharedHasCreds(s) {
				return true
			}
		}
	}
	return false
}

func envHasCreds(e *config.EnvConfig) bool {
	return e.Credentials.AccessKeyID != "" || e.WebIdentityTokenFilePath != "" ||
		e.ContainerCredentialsEndpoint != "" || e.ContainerCredentialsRelativePath != ""
}

func sharedHasCreds(s *config.SharedConfig) bool {
	return s.Credentials.AccessKeyID != "" || s.RoleARN != "" || s.SourceProfileName != "" ||
		s.CredentialSource != "" || s.CredentialProcess != "" || s.SSOSessionName != "" ||
		s.SSOStartURL != "" || s.SSOAccountID != "" || s.LoginSession != ""
}
