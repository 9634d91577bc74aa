package conn_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

const (
	testKeyID  = "AKIDTESTKEY"
	testSecret = "SUPERSECRET123"
	testToken  = "TOKENSECRET456"

	throttleBody = `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate of requests exceeds the allowed throughput."}`
)

// isolateEnv makes the test independent of the machine's AWS setup: no
// shared config files, no AWS_* or DYNAMODB_* variables, no IMDS.
func isolateEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_MAX_ATTEMPTS",
		"AWS_RETRY_MODE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		conn.EnvEndpoint, conn.EnvMaxRetries, conn.EnvMaxClients,
	} {
		t.Setenv(k, "") // registers restoration
		os.Unsetenv(k)
	}
}

// ddbHandler answers one DynamoDB JSON 1.0 request: op is the X-Amz-Target
// operation, n the 1-based request count. It returns status and JSON body.
type ddbHandler func(op string, n int64, r *http.Request) (int, string)

// fakeServer is an httptest server speaking DynamoDB's JSON 1.0 protocol.
type fakeServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newFakeServer(t *testing.T, h ddbHandler) *fakeServer {
	t.Helper()
	fs := &fakeServer{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := fs.hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		target := r.Header.Get("X-Amz-Target")
		op, ok := strings.CutPrefix(target, "DynamoDB_20120810.")
		if r.Method != http.MethodPost || !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`)
			return
		}
		status, body := h(op, n, r)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("req-%d", n))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(fs.Close)
	return fs
}

// recorder collects Measurements and OnError calls.
type recorder struct {
	mu     sync.Mutex
	ms     []conn.Measurement
	errOps []string
	errs   []error
}

func (r *recorder) onRequest(m conn.Measurement) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ms = append(r.ms, m)
}

func (r *recorder) onError(op string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errOps = append(r.errOps, op)
	r.errs = append(r.errs, err)
}

// newTestConn builds a Conn with New against url, static credentials, fast
// retries and rec's hooks.
func newTestConn(t *testing.T, url string, rec *recorder, more ...func(*conn.Options)) *conn.Conn {
	t.Helper()
	fns := append([]func(*conn.Options){func(o *conn.Options) {
		o.Endpoint = url
		o.AccessKeyID = testKeyID
		o.SecretAccessKey = testSecret
		o.SessionToken = testToken
		o.RetryMaxBackoff = time.Millisecond
		if rec != nil {
			o.OnRequest = rec.onRequest
			o.OnError = rec.onError
		}
	}}, more...)
	c, err := conn.New(context.Background(), fns...)
	require.NoError(t, err)
	return c
}

func getItem(ctx context.Context, c *conn.Conn, table string) (*dynamodb.GetItemOutput, error) {
	return c.API().GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "1"}},
	})
}

func TestThrottledTwiceThenSuccess(t *testing.T) {
	isolateEnv(t)
	srv := newFakeServer(t, func(op string, n int64, r *http.Request) (int, string) {
		if n <= 2 {
			return http.StatusBadRequest, throttleBody
		}
		return http.StatusOK, `{"Item":{"id":{"S":"1"},"name":{"S":"x"}}}`
	})
	rec := &recorder{}
	c := newTestConn(t, srv.URL, rec)

	start := time.Now()
	out, err := getItem(context.Background(), c, "Widgets")
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 2*time.Second, "retries must be fast in tests")
	require.Contains(t, out.Item, "name")
	assert.Equal(t, int64(3), srv.hits.Load())

	require.Len(t, rec.ms, 1)
	m := rec.ms[0]
	assert.Equal(t, "GetItem", m.Op)
	assert.Equal(t, "Widgets", m.Table)
	assert.Equal(t, 3, m.Attempts)
	assert.NoError(t, m.Err)
	assert.Equal(t, "req-3", m.RequestID)
	assert.Positive(t, m.Duration)
	assert.Empty(t, rec.errs, "OnError must not be called on success")
}

func TestThrottledForever(t *testing.T) {
	isolateEnv(t)
	srv := newFakeServer(t, func(string, int64, *http.Request) (int, string) {
		return http.StatusBadRequest, throttleBody
	})
	rec := &recorder{}
	c := newTestConn(t, srv.URL, rec, func(o *conn.Options) { o.MaxRetries = 4 })

	_, err := c.API().PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String("Widgets"),
		Item:      map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "1"}},
	})
	require.Error(t, err)

	var pte *types.ProvisionedThroughputExceededException
	require.ErrorAs(t, err, &pte)
	var oe *smithy.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "PutItem", oe.Operation())
	var mae *retry.MaxAttemptsError
	require.ErrorAs(t, err, &mae)

	assert.Equal(t, int64(5), srv.hits.Load(), "MaxRetries 4 means 5 attempts")
	require.Len(t, rec.errs, 1, "OnError exactly once")
	assert.Equal(t, "PutItem", rec.errOps[0])
	assert.Same(t, err, rec.errs[0])

	require.Len(t, rec.ms, 1)
	m := rec.ms[0]
	assert.Equal(t, 5, m.Attempts)
	assert.Same(t, err, m.Err)
	assert.Equal(t, "Widgets", m.Table)
}

func TestNegativeMaxRetriesDisablesRetries(t *testing.T) {
	isolateEnv(t)
	srv := newFakeServer(t, func(string, int64, *http.Request) (int, string) {
		return http.StatusBadRequest, throttleBody
	})
	rec := &recorder{}
	c := newTestConn(t, srv.URL, rec, func(o *conn.Options) { o.MaxRetries = -1 })
	_, err := getItem(context.Background(), c, "T")
	require.Error(t, err)
	assert.Equal(t, int64(1), srv.hits.Load())
	require.Len(t, rec.ms, 1)
	assert.Equal(t, 1, rec.ms[0].Attempts)
}

func TestConcurrencyCap(t *testing.T) {
	isolateEnv(t)
	const limit = 8
	var inFlight, maxInFlight atomic.Int64
	srv := newFakeServer(t, func(string, int64, *http.Request) (int, string) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		return http.StatusOK, `{}`
	})
	rec := &recorder{}
	c := newTestConn(t, srv.URL, rec, func(o *conn.Options) { o.MaxConcurrency = limit })
	assert.Equal(t, limit, c.Options().MaxConcurrency)

	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.API().PutItem(context.Background(), &dynamodb.PutItemInput{
				TableName: aws.String("Widgets"),
				Item:      map[string]types.AttributeValue{"id": &types.AttributeValueMemberN{Value: fmt.Sprint(i)}},
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int64(200), srv.hits.Load())
	assert.LessOrEqual(t, maxInFlight.Load(), int64(limit), "cap exceeded")
	assert.Greater(t, maxInFlight.Load(), int64(1), "no concurrency happened")
	assert.Len(t, rec.ms, 200)
	t.Logf("max in flight: %d (cap %d)", maxInFlight.Load(), limit)
}

func TestWaitForSlotHonoursContext(t *testing.T) {
	isolateEnv(t)
	release := make(chan struct{})
	srv := newFakeServer(t, func(string, int64, *http.Request) (int, string) {
		<-release
		return http.StatusOK, `{}`
	})
	rec := &recorder{}
	c := newTestConn(t, srv.URL, rec, func(o *conn.Options) { o.MaxConcurrency = 1 })

	done := make(chan error, 1)
	go func() {
		_, err := getItem(context.Background(), c, "A")
		done <- err
	}()
	// Wait until the first call holds the only slot (it reached the server).
	require.Eventually(t, func() bool { return srv.hits.Load() == 1 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := getItem(ctx, c, "B")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, int64(1), srv.hits.Load(), "second call must not reach the server")

	close(release)
	require.NoError(t, <-done)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.ms, 2)
	var waited conn.Measurement
	for _, m := range rec.ms {
		if m.Table == "B" {
			waited = m
		}
	}
	assert.Equal(t, 0, waited.Attempts)
	assert.ErrorIs(t, waited.Err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, waited.Wait, 15*time.Millisecond)
	require.Len(t, rec.errOps, 1)
	assert.Equal(t, "GetItem", rec.errOps[0])
}

func TestSecretsNeverLeak(t *testing.T) {
	isolateEnv(t)
	var sawKeyID atomic.Bool
	srv := newFakeServer(t, func(op string, n int64, r *http.Request) (int, string) {
		if strings.Contains(r.Header.Get("Authorization"), "Credential="+testKeyID+"/") {
			sawKeyID.Store(true)
		}
		switch op {
		case "GetItem":
			return http.StatusBadRequest, throttleBody
		case "PutItem":
			return http.StatusInternalServerError, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"boom"}`
		default:
			return http.StatusBadRequest, `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`
		}
	})
	rec := &recorder{}
	c := newTestConn(t, srv.URL, rec, func(o *conn.Options) { o.MaxRetries = 1 })
	ctx := context.Background()

	var errs []error
	_, err := getItem(ctx, c, "T")
	errs = append(errs, err)
	_, err = c.API().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("T"), Item: map[string]types.AttributeValue{}})
	errs = append(errs, err)
	_, err = c.API().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("T")})
	errs = append(errs, err)

	// A connection error, from a server that is gone.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c2 := newTestConn(t, dead.URL, rec, func(o *conn.Options) { o.MaxRetries = 1 })
	_, err = getItem(ctx, c2, "T")
	errs = append(errs, err)

	assert.True(t, sawKeyID.Load(), "requests must be signed with the static credentials")

	var texts []string
	for _, err := range errs {
		require.Error(t, err)
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}
	for _, m := range rec.ms {
		texts = append(texts, fmt.Sprintf("%v", m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m))
	}
	for _, e := range rec.errs {
		texts = append(texts, e.Error())
	}
	opts := c.Options()
	var raw conn.Options
	raw.AccessKeyID, raw.SecretAccessKey, raw.SessionToken = testKeyID, testSecret, testToken
	for _, o := range []conn.Options{opts, raw} {
		texts = append(texts,
			fmt.Sprint(o), fmt.Sprintf("%v", o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o),
			fmt.Sprintf("%s", o), fmt.Sprintf("%+v", &o), o.String(), o.GoString())
	}
	require.Len(t, rec.ms, 4)
	for _, s := range texts {
		assert.NotContains(t, s, testSecret)
		assert.NotContains(t, s, testToken)
	}
	assert.Contains(t, fmt.Sprintf("%+v", raw), "SecretAccessKey:***")
	assert.Contains(t, fmt.Sprintf("%+v", raw), "SessionToken:***")
	assert.Contains(t, fmt.Sprintf("%+v", raw), "AccessKeyID:"+testKeyID)
	assert.Equal(t, "***", opts.SecretAccessKey)

	var rnf *types.ResourceNotFoundException
	assert.ErrorAs(t, errs[2], &rnf)
}

// leakyAPI is a fake whose errors quote the secret, to exercise the
// redaction safety net.
type leakyAPI struct{ conn.API }

var errLeaky = errors.New("sentinel")

func (leakyAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, fmt.Errorf("signing with %s failed: %w", testSecret, errLeaky)
}

func TestErrorRedactionSafetyNet(t *testing.T) {
	rec := &recorder{}
	c := conn.FromClient(leakyAPI{}, func(o *conn.Options) {
		o.SecretAccessKey = testSecret
		o.OnRequest = rec.onRequest
		o.OnError = rec.onError
	})
	_, err := getItem(context.Background(), c, "T")
	require.ErrorIs(t, err, errLeaky)
	assert.NotContains(t, err.Error(), testSecret)
	assert.Contains(t, err.Error(), "signing with *** failed")
	assert.NotContains(t, fmt.Sprintf("%+v", rec.ms[0]), testSecret)
	assert.NotContains(t, rec.errs[0].Error(), testSecret)
}

func TestBadEnvValues(t *testing.T) {
	cases := []struct{ name, value string }{
		{conn.EnvMaxRetries, "abc"},
		{conn.EnvMaxRetries, "-1"},
		{conn.EnvMaxRetries, "2.5"},
		{conn.EnvMaxClients, "0"},
		{conn.EnvMaxClients, "-3"},
		{conn.EnvMaxClients, "lots"},
		{conn.EnvEndpoint, "ftp://127.0.0.1:8000"},
		{conn.EnvEndpoint, "localhost:8000"},
		{conn.EnvEndpoint, "http://"},
	}
	for _, tc := range cases {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			isolateEnv(t)
			t.Setenv(tc.name, tc.value)
			c, err := conn.New(context.Background(), func(o *conn.Options) {
				o.Region = "us-west-2"
				o.AccessKeyID, o.SecretAccessKey = testKeyID, testSecret
			})
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tc.name)
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestBadOptionValues(t *testing.T) {
	isolateEnv(t)
	for name, fn := range map[string]func(*conn.Options){
		"negative MaxConcurrency":  func(o *conn.Options) { o.MaxConcurrency = -1 },
		"negative RetryMaxBackoff": func(o *conn.Options) { o.RetryMaxBackoff = -time.Second },
		"bad Endpoint":             func(o *conn.Options) { o.Endpoint = "not a url" },
		"secret without key id":    func(o *conn.Options) { o.AccessKeyID = ""; o.SecretAccessKey = testSecret },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := conn.New(context.Background(), func(o *conn.Options) {
				o.Region = "us-west-2"
				o.AccessKeyID, o.SecretAccessKey = testKeyID, testSecret
			}, fn)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestNoRegionIsAnError(t *testing.T) {
	isolateEnv(t)
	_, err := conn.New(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "region")
}

func TestEnvFallbacks(t *testing.T) {
	isolateEnv(t)
	var auth atomic.Value
	srv := newFakeServer(t, func(op string, n int64, r *http.Request) (int, string) {
		auth.Store(r.Header.Get("Authorization"))
		if op == "DescribeTable" {
			return http.StatusBadRequest, throttleBody
		}
		return http.StatusOK, `{"TableNames":["A","B"]}`
	})
	t.Setenv(conn.EnvEndpoint, srv.URL)
	t.Setenv(conn.EnvMaxClients, "3")
	t.Setenv(conn.EnvMaxRetries, "1")

	// No region, no credentials, no endpoint option: everything from the
	// environment, plus the DynamoDB Local defaults.
	rec := &recorder{}
	c, err := conn.New(context.Background(), func(o *conn.Options) {
		o.RetryMaxBackoff = time.Millisecond
		o.OnRequest = rec.onRequest
	})
	require.NoError(t, err)
	o := c.Options()
	assert.Equal(t, srv.URL, o.Endpoint)
	assert.Equal(t, 3, o.MaxConcurrency)
	assert.Equal(t, 1, o.MaxRetries)
	assert.Equal(t, conn.LocalRegion, o.Region)

	out, err := c.API().ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"A", "B"}, out.TableNames)
	a, _ := auth.Load().(string)
	assert.Contains(t, a, "Credential=dynamap/")
	assert.Contains(t, a, "/us-east-1/dynamodb/")

	before := srv.hits.Load()
	_, err = c.API().DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("A")})
	require.Error(t, err)
	assert.Equal(t, int64(2), srv.hits.Load()-before, "DYNAMODB_MAX_RETRIES=1 means 2 attempts")
	require.Len(t, rec.ms, 2)
	assert.Equal(t, 2, rec.ms[1].Attempts)

	// Options win over the environment.
	c, err = conn.New(context.Background(), func(o *conn.Options) {
		o.Endpoint = "http://127.0.0.1:1"
		o.MaxConcurrency = 7
		o.MaxRetries = 5
	})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:1", c.Options().Endpoint)
	assert.Equal(t, 7, c.Options().MaxConcurrency)
	assert.Equal(t, 5, c.Options().MaxRetries)

	// DYNAMODB_MAX_RETRIES=0 is valid: no retries.
	t.Setenv(conn.EnvMaxRetries, "0")
	c, err = conn.New(context.Background(), func(o *conn.Options) { o.RetryMaxBackoff = time.Millisecond })
	require.NoError(t, err)
	before = srv.hits.Load()
	_, err = c.API().DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("A")})
	require.Error(t, err)
	assert.Equal(t, int64(1), srv.hits.Load()-before)
}

func TestSDKEnvRegionAndCredentials(t *testing.T) {
	isolateEnv(t)
	var auth atomic.Value
	srv := newFakeServer(t, func(op string, n int64, r *http.Request) (int, string) {
		auth.Store(r.Header.Get("Authorization"))
		return http.StatusOK, `{"TableNames":[]}`
	})
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	c, err := conn.New(context.Background(), func(o *conn.Options) { o.Endpoint = srv.URL })
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", c.Options().Region)
	_, err = c.API().ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	a, _ := auth.Load().(string)
	assert.Contains(t, a, "Credential=AKIDFROMENV/")
	assert.Contains(t, a, "/eu-west-1/dynamodb/")
}

// fakeAPI is an offline API: it answers a few operations and records the
// ReturnConsumedCapacity it was asked for.
type fakeAPI struct {
	conn.API // nil: unimplemented methods panic
}

func (fakeAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out := &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "1"}}}
	if in.ReturnConsumedCapacity == types.ReturnConsumedCapacityTotal {
		out.ConsumedCapacity = &types.ConsumedCapacity{TableName: in.TableName, CapacityUnits: aws.Float64(0.5)}
	}
	return out, nil
}

func (fakeAPI) BatchWriteItem(_ context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	out := &dynamodb.BatchWriteItemOutput{}
	if in.ReturnConsumedCapacity == types.ReturnConsumedCapacityTotal {
		for name := range in.RequestItems {
			out.ConsumedCapacity = append(out.ConsumedCapacity, types.ConsumedCapacity{TableName: aws.String(name), CapacityUnits: aws.Float64(2)})
		}
	}
	return out, nil
}

func (fakeAPI) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, &types.TransactionCanceledException{Message: aws.String("cancelled")}
}

func TestFromClientFake(t *testing.T) {
	rec := &recorder{}
	c := conn.FromClient(fakeAPI{}, func(o *conn.Options) {
		o.OnRequest = rec.onRequest
		o.OnError = rec.onError
		o.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
		o.Region = "ignored"
		o.Endpoint = "::ignored::"
	})
	assert.Equal(t, conn.DefaultMaxConcurrency, c.Options().MaxConcurrency)
	ctx := context.Background()

	in := &dynamodb.GetItemInput{TableName: aws.String("Users")}
	_, err := c.API().GetItem(ctx, in)
	require.NoError(t, err)
	assert.Empty(t, in.ReturnConsumedCapacity, "caller's input must not be modified")

	_, err = c.API().BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"Users": {}, "Orders": {},
	}})
	require.NoError(t, err)

	_, err = c.API().TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("Users")}},
		{Update: &types.Update{TableName: aws.String("Orders")}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("Users")}},
	}})
	var tce *types.TransactionCanceledException
	require.ErrorAs(t, err, &tce)

	require.Len(t, rec.ms, 3)
	assert.Equal(t, "GetItem", rec.ms[0].Op)
	assert.Equal(t, "Users", rec.ms[0].Table)
	assert.Equal(t, 1, rec.ms[0].Attempts)
	assert.InDelta(t, 0.5, rec.ms[0].CapacityUnits, 1e-9)
	require.Len(t, rec.ms[0].ConsumedCapacity, 1)

	assert.Equal(t, "BatchWriteItem", rec.ms[1].Op)
	assert.Equal(t, "Orders,Users", rec.ms[1].Table)
	assert.InDelta(t, 4.0, rec.ms[1].CapacityUnits, 1e-9)

	assert.Equal(t, "TransactWriteItems", rec.ms[2].Op)
	assert.Equal(t, "Users,Orders", rec.ms[2].Table)
	assert.Equal(t, 1, rec.ms[2].Attempts)
	assert.ErrorAs(t, rec.ms[2].Err, &tce)
	assert.Equal(t, []string{"TransactWriteItems"}, rec.errOps)
}

// A *dynamodb.Client handed to FromClient still gets per-attempt counting,
// also when one Conn wraps another.
func TestFromClientRealClientCountsAttempts(t *testing.T) {
	isolateEnv(t)
	srv := newFakeServer(t, func(op string, n int64, r *http.Request) (int, string) {
		if n%2 == 1 {
			return http.StatusBadRequest, throttleBody
		}
		return http.StatusOK, `{}`
	})
	inner := newTestConn(t, srv.URL, nil)
	rec := &recorder{}
	c := conn.FromClient(inner.Raw(), func(o *conn.Options) { o.OnRequest = rec.onRequest })
	_, err := getItem(context.Background(), c, "T")
	require.NoError(t, err)
	require.Len(t, rec.ms, 1)
	assert.Equal(t, 2, rec.ms[0].Attempts)

	innerRec := &recorder{}
	inner = newTestConn(t, srv.URL, innerRec)
	outerRec := &recorder{}
	outer := conn.FromClient(inner.API(), func(o *conn.Options) { o.OnRequest = outerRec.onRequest })
	_, err = getItem(context.Background(), outer, "T")
	require.NoError(t, err)
	require.Len(t, innerRec.ms, 1)
	require.Len(t, outerRec.ms, 1)
	assert.Equal(t, 2, innerRec.ms[0].Attempts)
	assert.Equal(t, 2, outerRec.ms[0].Attempts, "outer falls back to the SDK's retry metadata")
}

// A throttle followed by a non-retryable error carries neither retry
// metadata nor a *retry.MaxAttemptsError: only the per-attempt middleware
// knows there were 2 attempts.
func TestAttemptsCountedOnNonRetryableFailure(t *testing.T) {
	isolateEnv(t)
	srv := newFakeServer(t, func(op string, n int64, r *http.Request) (int, string) {
		if n == 1 {
			return http.StatusBadRequest, throttleBody
		}
		return http.StatusBadRequest, `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`
	})
	rec := &recorder{}
	c := newTestConn(t, srv.URL, rec)
	_, err := getItem(context.Background(), c, "Missing")
	var rnf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &rnf)
	var mae *retry.MaxAttemptsError
	require.False(t, errors.As(err, &mae))
	require.Len(t, rec.ms, 1)
	assert.Equal(t, 2, rec.ms[0].Attempts)
	assert.Equal(t, "Missing", rec.ms[0].Table)
	require.Len(t, rec.errs, 1)
}
