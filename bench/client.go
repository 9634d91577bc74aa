package bench

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Ops are the DynamoDB operations whose requests a Counter tallies.
var Ops = []string{"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
	"BatchWriteItem", "BatchGetItem", "DescribeTable", "other"}

// Counter counts HTTP requests (retries included) per DynamoDB operation.
type Counter struct {
	n map[string]*atomic.Int64
}

// NewCounter returns a zeroed Counter.
func NewCounter() *Counter {
	c := &Counter{n: make(map[string]*atomic.Int64, len(Ops))}
	for _, op := range Ops {
		c.n[op] = new(atomic.Int64)
	}
	return c
}

func (c *Counter) add(target string) {
	op := strings.TrimPrefix(target, "DynamoDB_20120810.")
	n, ok := c.n[op]
	if !ok {
		n = c.n["other"]
	}
	n.Add(1)
}

// Snapshot returns the counts so far.
func (c *Counter) Snapshot() map[string]int64 {
	out := make(map[string]int64, len(c.n))
	for op, n := range c.n {
		out[op] = n.Load()
	}
	return out
}

// Diff returns the requests per operation made since before (zero counts
// left out).
func (c *Counter) Diff(before map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for op, n := range c.n {
		if d := n.Load() - before[op]; d != 0 {
			out[op] = d
		}
	}
	return out
}

type countingClient struct {
	inner *awshttp.BuildableClient
	c     *Counter
}

func (cc countingClient) Do(r *http.Request) (*http.Response, error) {
	cc.c.add(r.Header.Get("X-Amz-Target"))
	return cc.inner.Do(r)
}

type staticCreds struct{}

func (staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "x", SecretAccessKey: "x", Source: "bench"}, nil
}

// NewClient returns the one SDK client every implementation shares for an
// endpoint: static dummy credentials, us-east-1, the SDK's standard retryer,
// and a connection pool large enough for 64 requests in flight. Requests go
// through counter.
func NewClient(endpoint string, counter *Counter) *dynamodb.Client {
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = 128
		t.MaxIdleConnsPerHost = 64
	})
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  aws.NewCredentialsCache(staticCreds{}),
		HTTPClient:   countingClient{inner: hc, c: counter},
	})
}
