package dynamap

import (
	"context"
	"errors"
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

// slowGets answers BatchGetItem from a map after a delay, counting the
// calls in flight; it leaves the first ask of every third key unprocessed,
// and blocks until its context ends when block is set.
type slowGets struct {
	conn.API
	delay             time.Duration
	block             atomic.Bool
	hardAfter         int64 // the call with this number fails for good (0: never)
	mu                sync.Mutex
	items             map[string]map[string]types.AttributeValue
	asked             map[string]int
	calls, now, peakN atomic.Int64
}

func (f *slowGets) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		peak := f.peakN.Load()
		if n <= peak || f.peakN.CompareAndSwap(peak, n) {
			break
		}
	}
	call := f.calls.Add(1)
	if f.block.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if call == f.hardAfter {
		return nil, &types.ResourceNotFoundException{Message: ptr("gone")}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return answerGets(in, f.items, f.asked, 3), nil
}

func newSlowGets(t *testing.T, n int) (*slowGets, []Key) {
	f := &slowGets{delay: 20 * time.Millisecond, items: map[string]map[string]types.AttributeValue{}, asked: map[string]int{}}
	var keys []Key
	for i := range n {
		av, err := marshalItem(batchItem(i))
		require.NoError(t, err)
		if i%10 != 0 {
			f.items[keyString(batchSchema, av)] = av
		}
		keys = append(keys, keyFor(i))
	}
	return f, keys
}

func TestBatchGetConcurrencyKeepsNInFlight(t *testing.T) {
	t.Parallel()
	f, keys := newSlowGets(t, 1000)
	tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
	got, err := collectKeys(t, tb.BatchGet(keys, Concurrency(4), Backoff(0, 0)))
	require.NoError(t, err)
	assert.Len(t, got, 900, "every existing item exactly once")
	assert.Equal(t, int64(4), f.peakN.Load(), "up to 4 requests in flight, and 4 reached")

	f2, keys2 := newSlowGets(t, 1000)
	tb2 := NewTable(conn.FromClient(withSchemaOf(f2, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
	got, err = collectKeys(t, tb2.BatchGet(keys2, Backoff(0, 0)))
	require.NoError(t, err)
	assert.Len(t, got, 900)
	assert.Equal(t, int64(1), f2.peakN.Load(), "the default asks one request at a time")
}

func TestBatchGetConcurrencyStopsOnBreak(t *testing.T) {
	f, keys := newSlowGets(t, 1000)
	tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
	ctx := context.Background()
	id := withLabel(ctx, func(ctx context.Context) {
		// First get a page, then block the remaining requests until the
		// iteration ends: breaking must cancel and wait for them.
		for range tb.BatchGet(keys, Concurrency(4)).All(ctx) {
			f.block.Store(true) // read by calls started after this first item
			break
		}
	})
	// stop has waited for every request goroutine (each has called Done);
	// allow them the instant it takes to return from their deferred call.
	// A goroutine still blocked in a request would stay far longer.
	deadline := time.Now().Add(200 * time.Millisecond)
	lib, _, dump := labeledGoroutines(id)
	for lib > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		lib, _, dump = labeledGoroutines(id)
	}
	assert.Zero(t, lib, "no BatchGet goroutine outlives the loop:\n%s", dump)
}

func TestBatchGetConcurrencyReportsEveryUnreadKey(t *testing.T) {
	t.Parallel()
	f, keys := newSlowGets(t, 1000)
	for _, k := range keys { // every key has an item: none may just vanish
		av, err := marshalItem(map[string]any(k))
		require.NoError(t, err)
		f.items[keyString(batchSchema, av)] = av
	}
	f.hardAfter = 3 // the third request fails with a non-retryable error
	tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
	got, err := collectKeys(t, tb.BatchGet(keys, Concurrency(3), Backoff(0, 0)))
	var ue *UnprocessedError
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, ErrTableNotFound)
	// Every key is either yielded or listed as unread, never both: a key
	// asked and then dropped (its answer lost) is neither, and fails.
	unread := map[string]bool{}
	for _, k := range ue.Keys {
		id := keyString(batchSchema, k)
		assert.False(t, unread[id], "key %s listed twice", id)
		unread[id] = true
		assert.NotContains(t, got, id, "key %s both yielded and unread", id)
	}
	for _, k := range keys {
		av, err := marshalItem(map[string]any(k))
		require.NoError(t, err)
		id := keyString(batchSchema, av)
		_, yielded := got[id]
		assert.True(t, yielded != unread[id], "key %s must be exactly one of yielded and unread", id)
	}
	assert.Equal(t, len(keys), len(got)+len(unread))
	assert.NotEmpty(t, ue.Keys)
	assert.Less(t, len(got), len(keys))
}

func TestBatchGetConcurrencyAgainstDynamoDBLocal(t *testing.T) {
	t.Parallel()
	direct := testConn(t)
	tb := testTable(t, direct, batchSchema)
	want := loadItems(t, tb, 950)
	var keys []Key
	for i := range 1000 {
		keys = append(keys, keyFor(i))
	}
	got, err := collectKeys(t, tb.BatchGet(keys, Concurrency(4)))
	require.NoError(t, err)
	assert.Len(t, got, len(want))
	for k := range want {
		assert.Contains(t, got, k)
	}

	p := newProxy(t, faultproxy.Config{Seed: 3, Partial: 0.3, Throttle: 0.1})
	viaProxy := NewTable(endpointConn(t, p.URL), tb.name, WithSchema(batchSchema...))
	got, err = collectKeys(t, viaProxy.BatchGet(keys, Concurrency(4), MaxResends(60), Backoff(time.Millisecond, 10*time.Millisecond)))
	require.NoError(t, err)
	assert.Len(t, got, len(want), "through 30% unprocessed and 10% throttling, each item once")
	assert.Positive(t, p.Stats().UnprocessedKeys)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tb.BatchGet(keys, Concurrency(4)).Collect(ctx)
	assert.True(t, errors.Is(err, context.Canceled), "a cancelled context: %v", err)
}
