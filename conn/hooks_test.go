package conn_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
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
		{"TraceRequestEnd", nil, func(o *conn.Options, block func()) {
			o.Tracer = &funcTracer{end: func(context.Context, conn.Measurement) { block() }}
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

// funcTracer is a conn.Tracer made of two optional funcs.
type funcTracer struct {
	start func(ctx context.Context, op, table string) context.Context
	end   func(ctx context.Context, m conn.Measurement)
}

func (f *funcTracer) TraceRequestStart(ctx context.Context, op, table string) context.Context {
	if f.start == nil {
		return ctx
	}
	return f.start(ctx, op, table)
}

func (f *funcTracer) TraceRequestEnd(ctx context.Context, m conn.Measurement) {
	if f.end != nil {
		f.end(ctx, m)
	}
}

type spanKey struct{}

// ctxAPI fails GetItem with errFromAPI, after recording the span its
// context carries.
type ctxAPI struct {
	conn.API
	mu   sync.Mutex
	seen []any
}

var errFromAPI = errors.New("from the API")

func (a *ctxAPI) GetItem(ctx context.Context, _ *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, ctx.Value(spanKey{}))
	return nil, errFromAPI
}

// The context TraceRequestStart returns is the one the API and
// TraceRequestEnd get; the hooks run in the order documented.
func TestTracerContextAndOrder(t *testing.T) {
	api := &ctxAPI{}
	var mu sync.Mutex
	var events []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, s)
	}
	c := conn.FromClient(api, func(o *conn.Options) {
		o.Tracer = &funcTracer{
			start: func(ctx context.Context, op, table string) context.Context {
				note("start " + op + " " + table)
				return context.WithValue(ctx, spanKey{}, "span-"+table)
			},
			end: func(ctx context.Context, m conn.Measurement) {
				note(fmt.Sprintf("end %s %s span=%v attempts=%d err=%v", m.Op, m.Table, ctx.Value(spanKey{}), m.Attempts, m.Err))
			},
		}
		o.OnRequest = func(m conn.Measurement) { note("request " + m.Op) }
		o.OnError = func(op string, err error) { note("error " + op) }
	})
	_, err := c.API().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("Users")})
	require.ErrorIs(t, err, errFromAPI)
	assert.Equal(t, []any{"span-Users"}, api.seen, "the API gets the tracer's context")
	assert.Equal(t, []string{
		"start GetItem Users",
		"end GetItem Users span=span-Users attempts=1 err=from the API",
		"request GetItem",
		"error GetItem",
	}, events)

	// A tracer that returns nil leaves the caller's context in place.
	api.seen = nil
	callerCtx := context.WithValue(context.Background(), spanKey{}, "caller")
	c = conn.FromClient(api, func(o *conn.Options) {
		o.Tracer = &funcTracer{start: func(context.Context, string, string) context.Context { return nil }}
	})
	_, err = c.API().GetItem(callerCtx, &dynamodb.GetItemInput{TableName: aws.String("Users")})
	require.ErrorIs(t, err, errFromAPI)
	assert.Equal(t, []any{"caller"}, api.seen)
}

// TraceRequestStart runs before the wait for a slot, and every start has
// its end, also when the context is done before a slot is free.
func TestTracerStartEndPairedOnSlotTimeout(t *testing.T) {
	release := make(chan struct{})
	api := &blockingAPI{release: release, entered: make(chan struct{}, 1)}
	var starts, ends atomic.Int64
	var timedOut conn.Measurement
	var timedOutSpan any
	c := conn.FromClient(api, func(o *conn.Options) {
		o.MaxConcurrency = 1
		o.Tracer = &funcTracer{
			start: func(ctx context.Context, _, table string) context.Context {
				starts.Add(1)
				return context.WithValue(ctx, spanKey{}, table)
			},
			end: func(ctx context.Context, m conn.Measurement) {
				ends.Add(1)
				if m.Table == "B" {
					timedOut, timedOutSpan = m, ctx.Value(spanKey{})
				}
			},
		}
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.API().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("A")})
		done <- err
	}()
	<-api.entered // A holds the only slot

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.API().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("B")})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, int64(2), starts.Load(), "B's start ran although B never got a slot")
	assert.Equal(t, int64(1), ends.Load())
	assert.Equal(t, "B", timedOutSpan)
	assert.Equal(t, 0, timedOut.Attempts)
	assert.ErrorIs(t, timedOut.Err, context.DeadlineExceeded)

	close(release)
	require.NoError(t, <-done)
	assert.Equal(t, int64(2), ends.Load())
}

// blockingAPI answers GetItem once release is closed, after telling
// entered.
type blockingAPI struct {
	conn.API
	release <-chan struct{}
	entered chan struct{}
}

func (a *blockingAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	select {
	case a.entered <- struct{}{}:
	default:
	}
	<-a.release
	return &dynamodb.GetItemOutput{}, nil
}

// With a real *dynamodb.Client the tracer's context reaches the SDK's
// middleware stack (where SDK-level instrumentation would read its span),
// and TraceRequestEnd sees the attempts the SDK made.
func TestTracerContextReachesSDKMiddleware(t *testing.T) {
	isolateEnv(t)
	srv := newFakeServer(t, func(op string, n int64, r *http.Request) (int, string) {
		if n == 1 {
			return http.StatusBadRequest, throttleBody
		}
		return http.StatusOK, `{"Item":{"id":{"S":"1"}}}`
	})
	var ended conn.Measurement
	var endSpan any
	c := newTestConn(t, srv.URL, nil, func(o *conn.Options) {
		o.Tracer = &funcTracer{
			start: func(ctx context.Context, _, table string) context.Context {
				return context.WithValue(ctx, spanKey{}, "span-"+table)
			},
			end: func(ctx context.Context, m conn.Measurement) { ended, endSpan = m, ctx.Value(spanKey{}) },
		}
	})
	var inStack []any
	probe := func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("probe",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					inStack = append(inStack, ctx.Value(spanKey{}))
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
	_, err := c.API().GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String("Widgets"),
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "1"}},
	}, probe)
	require.NoError(t, err)
	assert.Equal(t, []any{"span-Widgets", "span-Widgets"}, inStack, "one per HTTP attempt")
	assert.Equal(t, "span-Widgets", endSpan)
	assert.Equal(t, 2, ended.Attempts)
	assert.Equal(t, "req-2", ended.RequestID)
}
