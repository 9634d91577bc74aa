package conn_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// countingAPI answers GetItem at once, counting calls; it fails them with
// err when err is set.
type countingAPI struct {
	conn.API
	calls atomic.Int64
	err   error
}

func (a *countingAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	a.calls.Add(1)
	if a.err != nil {
		return nil, a.err
	}
	return &dynamodb.GetItemOutput{}, nil
}

// A hook that blocks must not hold the concurrency slot: with
// MaxConcurrency 1 and every call's end hook blocked, all calls still reach
// the API. Before the fix the first call kept the only slot while its hook
// ran, so a slow hook throttled the whole connection.
func TestHooksRunOutsideConcurrencySlot(t *testing.T) {
	const calls = 4
	errBoom := errors.New("boom")
	cases := []struct {
		name string
		err  error // what the API answers
		hook func(o *conn.Options, block func())
	}{
		{"OnRequest", nil, func(o *conn.Options, block func()) {
			o.OnRequest = func(conn.Measurement) { block() }
		}},
		{"OnError", errBoom, func(o *conn.Options, block func()) {
			o.OnError = func(string, error) { block() }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := &countingAPI{err: tc.err}
			release := make(chan struct{})
			var blocked atomic.Int64
			block := func() {
				blocked.Add(1)
				<-release
			}
			c := conn.FromClient(api, func(o *conn.Options) {
				o.MaxConcurrency = 1
				tc.hook(o, block)
			})

			var wg sync.WaitGroup
			var once sync.Once
			unblock := func() { once.Do(func() { close(release) }) }
			defer wg.Wait()
			defer unblock() // also when an assertion below fails
			for range calls {
				wg.Go(func() {
					_, err := c.API().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("T")})
					assert.ErrorIs(t, err, tc.err)
				})
			}
			reached := assert.Eventually(t, func() bool { return api.calls.Load() == calls }, 5*time.Second, time.Millisecond)
			require.True(t, reached, "every call must reach the API while the hooks of earlier calls still run: %d of %d did",
				api.calls.Load(), calls)
			require.Eventually(t, func() bool { return blocked.Load() == calls }, 5*time.Second, time.Millisecond)
			unblock()
		})
	}
}
