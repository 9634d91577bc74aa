package dynamap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/faultproxy"
)

var batchSchema = []KeyField{HashKey("pk"), RangeKey("n", N)}

// fastRetry keeps the tests' backoff short.
var fastRetry = []BatchOption{MaxResends(60), Backoff(time.Millisecond, 20*time.Millisecond)}

func batchOpts(more ...BatchOption) []BatchOption { return append(slices.Clone(fastRetry), more...) }

func batchItem(i int) map[string]any {
	return map[string]any{"pk": fmt.Sprintf("user#%d", i%97), "n": i, "payload": strings.Repeat("x", i%50)}
}

// scanAll reads the whole table (consistently) with raw Scan pages, keyed by
// canonical key.
func scanAll(t *testing.T, tb *Table) map[string]map[string]types.AttributeValue {
	t.Helper()
	ctx := context.Background()
	out := map[string]map[string]types.AttributeValue{}
	in := &dynamodb.ScanInput{TableName: &tb.name, ConsistentRead: ptr(true)}
	for {
		page, err := tb.c.API().Scan(ctx, in)
		require.NoError(t, err)
		for _, it := range page.Items {
			k := keyString(batchSchema, it)
			_, dup := out[k]
			require.False(t, dup, "scan returned %s twice", k)
			out[k] = it
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func keyOf(item map[string]any) string {
	av, err := marshalItem(item)
	if err != nil {
		panic(err)
	}
	return keyString(batchSchema, av)
}

func avKeys(ms []map[string]types.AttributeValue) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = keyString(batchSchema, m)
	}
	return out
}

// assertTable checks that the table holds exactly want (by key and payload).
func assertTable(t *testing.T, tb *Table, want map[string]map[string]any) {
	t.Helper()
	got := scanAll(t, tb)
	require.Equal(t, len(want), len(got), "item count")
	for k, w := range want {
		g, ok := got[k]
		if !assert.True(t, ok, "missing %s", k) {
			continue
		}
		wav, err := marshalItem(w)
		require.NoError(t, err)
		assert.True(t, equalAVMap(wav, g), "item %s differs", k)
	}
}

func TestBatchWriteLoadAndDeletes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	var calls atomic.Int64
	var lastWritten, lastPending atomic.Int64
	b := tb.BatchWrite(batchOpts(Concurrency(4), OnProgress(func(w, p int) {
		calls.Add(1)
		lastWritten.Store(int64(w))
		lastPending.Store(int64(p))
	}))...)
	want := map[string]map[string]any{}
	start := time.Now()
	for i := range 5000 {
		it := batchItem(i)
		require.NoError(t, b.PutItem(ctx, it))
		want[keyOf(it)] = it
	}
	for i := 0; i < 5000; i += 10 { // then delete every tenth, through the same writer
		d := batchItem(i)
		require.NoError(t, b.DeleteItem(ctx, Key{"pk": d["pk"], "n": d["n"]}))
		delete(want, keyOf(d))
	}
	require.NoError(t, b.Close(ctx))
	el := time.Since(start)
	t.Logf("5,500 requests through BatchWrite(Concurrency(4)) against DynamoDB Local: %v, %.0f requests/s", el, 5500/el.Seconds())
	assert.Len(t, want, 4500)
	assertTable(t, tb, want)
	assert.Positive(t, calls.Load())
	assert.Equal(t, int64(0), lastPending.Load())
	assert.Equal(t, int64(5500), lastWritten.Load())
	assert.ErrorIs(t, b.PutItem(ctx, batchItem(1)), ErrClosed)
	assert.ErrorIs(t, b.Flush(ctx), ErrClosed)
	assert.NoError(t, b.Close(ctx), "closing twice")
}

func TestBatchWriteCollapsesDuplicateKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	err := tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for _, step := range []error{
			b.PutItem(ctx, map[string]any{"pk": "a", "n": 1, "v": "first"}),
			b.PutItem(ctx, map[string]any{"pk": "a", "n": 1.0, "v": "second"}), // same key: 1 == 1.0
			b.PutItem(ctx, map[string]any{"pk": "b", "n": 2, "v": "doomed"}),
			b.DeleteItem(ctx, Key{"pk": "b", "n": 2}),
			b.DeleteItem(ctx, Key{"pk": "c", "n": 3}),
			b.PutItem(ctx, map[string]any{"pk": "c", "n": 3, "v": "back"}),
		} {
			if step != nil {
				return step
			}
		}
		return nil
	})
	require.NoError(t, err)
	assertTable(t, tb, map[string]map[string]any{
		keyOf(map[string]any{"pk": "a", "n": 1}): {"pk": "a", "n": 1, "v": "second"},
		keyOf(map[string]any{"pk": "c", "n": 3}): {"pk": "c", "n": 3, "v": "back"},
	})
}

// countingAPI counts BatchWriteItem calls.
type countingAPI struct {
	conn.API
	writes atomic.Int64
}

func (c *countingAPI) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.writes.Add(1)
	return c.API.BatchWriteItem(ctx, in, o...)
}

func TestBatchWriteRejectsBadInputBeforeBuffering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	api := &countingAPI{API: testConn(t).API()}
	tb := testTable(t, conn.FromClient(api), batchSchema)
	b := tb.BatchWrite()

	var ke *KeyError
	err := b.PutItem(ctx, map[string]any{"pk": "a", "v": 1})
	require.ErrorAs(t, err, &ke)
	assert.ErrorIs(t, err, ErrMissingKey)
	err = b.PutItem(ctx, map[string]any{"pk": "a", "n": "not a number"})
	require.ErrorAs(t, err, &ke)
	assert.ErrorIs(t, err, ErrInvalidKey)
	err = b.DeleteItem(ctx, Key{"pk": "", "n": 1})
	assert.ErrorIs(t, err, ErrInvalidKey)
	err = b.DeleteItem(ctx, Key{"pk": "a", "n": 1, "extra": 2})
	assert.ErrorIs(t, err, ErrInvalidKey)

	var ve *ValueError
	err = b.PutItem(ctx, map[string]any{"pk": "big", "n": 1, "blob": strings.Repeat("z", 401*1024)})
	require.ErrorAs(t, err, &ve)
	assert.ErrorIs(t, err, ErrInvalidValue)
	assert.Error(t, b.PutItem(ctx, make(chan int)))

	// Just under the limit is fine.
	require.NoError(t, b.PutItem(ctx, map[string]any{"pk": "big", "n": 2, "blob": strings.Repeat("z", 390*1024)}))
	require.NoError(t, b.Close(ctx))
	assert.Equal(t, int64(1), api.writes.Load(), "one request for the one valid item")
	assert.Len(t, scanAll(t, tb), 1)
}

func TestBatchWriteFuncJoinsErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	boom := errors.New("boom")
	err := tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		if err := b.PutItem(ctx, batchItem(1)); err != nil {
			return err
		}
		return boom
	})
	assert.ErrorIs(t, err, boom)
	// The closure failed, but what it handed over was still written.
	assert.Len(t, scanAll(t, tb), 1)
}

// newProxy starts a fault proxy in front of the test DynamoDB Local.
func newProxy(t *testing.T, cfg faultproxy.Config) *faultproxy.Proxy {
	t.Helper()
	cfg.Target = testEndpoint(t)
	p, err := faultproxy.Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestBatchWriteThroughFaultyProxy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	direct := testConn(t)
	tb := testTable(t, direct, batchSchema)
	p := newProxy(t, faultproxy.Config{Seed: 1, Partial: 0.3, Throttle: 0.1})
	viaProxy := NewTable(endpointConn(t, p.URL), tb.name, WithSchema(batchSchema...))

	const n = 20000
	want := make(map[string]map[string]any, n)
	start := time.Now()
	err := viaProxy.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for i := range n {
			it := batchItem(i)
			want[keyOf(it)] = it
			if err := b.PutItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	}, batchOpts(Concurrency(16))...)
	el := time.Since(start)
	require.NoError(t, err)
	st := p.Stats()
	t.Logf("%d puts through the fault proxy (30%% partial, 10%% throttled), Concurrency(16): %v, %.0f items/s; proxy: %+v",
		n, el, n/el.Seconds(), st)
	assert.Positive(t, st.Partial)
	assert.Positive(t, st.Throttled)
	assert.Positive(t, st.UnprocessedItems)
	assertTable(t, tb, want)
}

func TestBatchWriteRefusedReportsExactlyWhatWasNotWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	p := newProxy(t, faultproxy.Config{})
	viaProxy := NewTable(endpointConn(t, p.URL), tb.name, WithSchema(batchSchema...))

	b := viaProxy.BatchWrite(MaxResends(2), Backoff(time.Millisecond, 2*time.Millisecond), Concurrency(3))
	written := map[string]map[string]any{}
	for i := range 100 {
		it := batchItem(i)
		written[keyOf(it)] = it
		require.NoError(t, b.PutItem(ctx, it))
	}
	require.NoError(t, b.Flush(ctx))

	p.Update(func(c *faultproxy.Config) { c.RefuseAll = true })
	var refusedPuts, refusedDeletes []string
	for i := 100; i < 170; i++ {
		it := batchItem(i)
		refusedPuts = append(refusedPuts, keyOf(it))
		require.NoError(t, b.PutItem(ctx, it))
	}
	for i := range 30 {
		it := batchItem(i * 3)
		refusedDeletes = append(refusedDeletes, keyOf(it))
		require.NoError(t, b.DeleteItem(ctx, Key{"pk": it["pk"], "n": it["n"]}))
	}
	err := b.Close(ctx)
	var ue *UnprocessedError
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, ErrUnprocessed)
	assert.Equal(t, tb.name, ue.Table)
	assert.ElementsMatch(t, refusedPuts, avKeys(ue.Puts))
	assert.ElementsMatch(t, refusedDeletes, avKeys(ue.Deletes))
	assert.Empty(t, ue.Keys)
	for _, put := range ue.Puts { // the whole item comes back, not just its key
		assert.Contains(t, put, "payload")
	}
	assert.Equal(t, int64(4*3), p.Stats().Refused, "4 buffers, each sent 1+2 times")
	assertTable(t, tb, written)
}

// fakeStore is a conn.API whose BatchWriteItem applies requests to a map
// after a random delay, optionally refusing some.
type fakeStore struct {
	conn.API
	mu      sync.Mutex
	items   map[string]map[string]types.AttributeValue
	calls   int
	refuse  func(call int, r types.WriteRequest) bool // true: leave unprocessed
	failErr func(call int) error                      // non-nil: the call fails
	delay   time.Duration
	seen    map[string]int // per key, requests received (for duplicate checks)
	maxReqs int
}

func newFakeStore() *fakeStore {
	return &fakeStore{items: map[string]map[string]types.AttributeValue{}, seen: map[string]int{}}
}

func (f *fakeStore) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.mu.Unlock()
	if f.delay > 0 {
		time.Sleep(time.Duration(rand.Int64N(int64(f.delay))))
	}
	if f.failErr != nil {
		if err := f.failErr(call); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &dynamodb.BatchWriteItemOutput{UnprocessedItems: map[string][]types.WriteRequest{}}
	for table, reqs := range in.RequestItems {
		f.maxReqs = max(f.maxReqs, len(reqs))
		keys := map[string]bool{}
		for _, r := range reqs {
			var k string
			if r.PutRequest != nil {
				k = keyString(batchSchema, r.PutRequest.Item)
			} else {
				k = keyString(batchSchema, r.DeleteRequest.Key)
			}
			if keys[k] {
				return nil, &types.InternalServerError{Message: ptr("duplicate key in one request")}
			}
			keys[k] = true
			if f.refuse != nil && f.refuse(call, r) {
				out.UnprocessedItems[table] = append(out.UnprocessedItems[table], r)
				continue
			}
			f.seen[k]++
			if r.PutRequest != nil {
				f.items[k] = r.PutRequest.Item
			} else {
				delete(f.items, k)
			}
		}
	}
	return out, nil
}

func TestBatchWriteKeepsOrderPerKeyUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeStore()
	f.delay = 3 * time.Millisecond
	f.refuse = func(call int, _ types.WriteRequest) bool { return rand.IntN(4) == 0 }
	tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
	b := tb.BatchWrite(batchOpts(Concurrency(8))...)
	want := map[string]int{}
	for i := range 3000 {
		k := i % 40 // few keys: many requests on each, in many buffers
		if i%7 == 0 {
			require.NoError(t, b.DeleteItem(ctx, Key{"pk": "k", "n": k}))
			delete(want, keyOf(map[string]any{"pk": "k", "n": k}))
			continue
		}
		it := map[string]any{"pk": "k", "n": k, "v": i}
		require.NoError(t, b.PutItem(ctx, it))
		want[keyOf(it)] = i
	}
	require.NoError(t, b.Close(ctx))
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.LessOrEqual(t, f.maxReqs, 25)
	require.Len(t, f.items, len(want))
	for k, v := range want {
		got := unmarshalValue(f.items[k]["v"]).(Number)
		n, err := got.Int64()
		require.NoError(t, err)
		assert.Equal(t, int64(v), n, "key %s holds the last value written", k)
	}
}

func TestBatchWriteRetriesWholeCallThrottling(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeStore()
	f.failErr = func(call int) error {
		if call%2 == 1 {
			return &types.ProvisionedThroughputExceededException{Message: ptr("slow down")}
		}
		return nil
	}
	tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
	b := tb.BatchWrite(batchOpts()...)
	for i := range 100 {
		require.NoError(t, b.PutItem(ctx, batchItem(i)))
	}
	require.NoError(t, b.Close(ctx))
	assert.Len(t, f.items, 100)
	assert.Equal(t, 8, f.calls, "4 buffers, each throttled once")
}

func TestBatchWriteBudgetAndHardErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("throttled forever", func(t *testing.T) {
		f := newFakeStore()
		release := make(chan struct{}) // no answer until everything was handed over
		f.failErr = func(int) error {
			<-release
			return &types.ProvisionedThroughputExceededException{Message: ptr("no")}
		}
		tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
		b := tb.BatchWrite(MaxResends(3), Backoff(0, 0))
		var keys []string
		for i := range 30 {
			keys = append(keys, keyOf(batchItem(i)))
			require.NoError(t, b.PutItem(ctx, batchItem(i)))
		}
		close(release)
		err := b.Close(ctx)
		var ue *UnprocessedError
		require.ErrorAs(t, err, &ue)
		assert.True(t, IsThrottled(err), "the last error is kept: %v", err)
		assert.ElementsMatch(t, keys, avKeys(ue.Puts))
		assert.Equal(t, 2*4, f.calls, "two buffers, 1 send + 3 re-sends each")
	})

	t.Run("hard error reported by the next call", func(t *testing.T) {
		f := newFakeStore()
		f.failErr = func(call int) error {
			if call == 1 {
				return &types.ResourceNotFoundException{Message: ptr("gone")}
			}
			return nil
		}
		tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
		failed := make(chan struct{}, 1)
		b := tb.BatchWrite(OnProgress(func(w, p int) {
			if w == 0 {
				select {
				case failed <- struct{}{}:
				default:
				}
			}
		}))
		var first []string
		for i := range 25 { // the 25th dispatches the first 25
			first = append(first, keyOf(batchItem(i)))
			require.NoError(t, b.PutItem(ctx, batchItem(i)))
		}
		// The failure is recorded in the background: once it is, the next
		// call reports it (and so does not accept its own request).
		<-failed
		err := b.PutItem(ctx, batchItem(99))
		var ue *UnprocessedError
		require.ErrorAs(t, err, &ue)
		assert.ErrorIs(t, err, ErrTableNotFound)
		var rnf *types.ResourceNotFoundException
		assert.ErrorAs(t, err, &rnf)
		assert.ElementsMatch(t, first, avKeys(ue.Puts))
		// Item 99 was not accepted; item 25, handed over next, is written
		// by Close.
		require.NoError(t, b.PutItem(ctx, batchItem(25)))
		require.NoError(t, b.Close(ctx))
		assert.Equal(t, []string{keyOf(batchItem(25))}, slices.Collect(maps.Keys(f.items)))
	})

	t.Run("canceled close reports everything unwritten", func(t *testing.T) {
		f := newFakeStore()
		f.refuse = func(int, types.WriteRequest) bool { return true }
		tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
		b := tb.BatchWrite(MaxResends(1000), Backoff(time.Millisecond, time.Millisecond), Concurrency(2))
		var keys []string
		for i := range 60 {
			keys = append(keys, keyOf(batchItem(i)))
			require.NoError(t, b.PutItem(ctx, batchItem(i)))
		}
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		err := b.Close(cctx)
		var ue *UnprocessedError
		require.ErrorAs(t, err, &ue)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ElementsMatch(t, keys, avKeys(ue.Puts))
	})
}

// endpointConn connects to endpoint (a fault proxy) with fast SDK retries.
func endpointConn(t *testing.T, endpoint string) *conn.Conn {
	t.Helper()
	c, err := conn.New(context.Background(), func(o *conn.Options) {
		o.Endpoint = endpoint
		o.Region = "us-east-1"
		o.AccessKeyID = "dynamap"
		o.SecretAccessKey = "dynamap-test-secret"
		o.MaxRetries = 2
		o.RetryMaxBackoff = 2 * time.Millisecond
	})
	require.NoError(t, err)
	return c
}

func TestBatchWriteSurvives5xxAndResets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	p := newProxy(t, faultproxy.Config{Seed: 5, Partial: 0.2, Throttle: 0.05, ServerError: 0.05, Reset: 0.05})
	viaProxy := NewTable(endpointConn(t, p.URL), tb.name, WithSchema(batchSchema...))
	want := map[string]map[string]any{}
	b := viaProxy.BatchWrite(batchOpts(Concurrency(8))...)
	for i := range 3000 {
		it := batchItem(i)
		want[keyOf(it)] = it
		require.NoError(t, b.PutItem(ctx, it))
	}
	for i := 0; i < 3000; i += 7 {
		require.NoError(t, b.DeleteItem(ctx, keyFor(i)))
		delete(want, keyOf(batchItem(i)))
	}
	require.NoError(t, b.Close(ctx))
	st := p.Stats()
	t.Logf("proxy: %+v", st)
	assert.Positive(t, st.ServerErrors)
	assert.Positive(t, st.Resets)
	assertTable(t, tb, want)
}
