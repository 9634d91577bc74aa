package dynamap

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A huge Prefetch(n) reads like any other: it does not allocate room for n
// pages up front (which panics or exhausts memory), for Query and Parallel.
func TestA2PrefetchHugeN(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	for _, n := range []int{0, 1 << 40, math.MaxInt} {
		got, err := walk(ctx, tb.Query(Filter{"pk__eq": "p0"}, PageSize(10), Prefetch(n)), 0)
		require.NoError(t, err, "Prefetch(%d)", n)
		assert.Len(t, got, 47, "Prefetch(%d)", n)
		got, err = walk(ctx, tb.Scan(nil, PageSize(10), Parallel(2), Prefetch(n)), 0)
		require.NoError(t, err, "Parallel Prefetch(%d)", n)
		assert.Len(t, got, 141, "Parallel Prefetch(%d)", n)
	}
}

// Prefetch + Limit, break mid-page, resume from the cursor with the rest of
// the limit: exactly the sequential read's items, once each, in order.
func TestA2PrefetchLimitResumeExact(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	want, err := walk(ctx, tb.Query(Filter{"pk__eq": "p1"}, PageSize(4), Limit(30)), 0)
	require.NoError(t, err)
	require.Len(t, want, 30)
	for _, n := range []int{1, 2, 5} {
		for _, k := range []int{1, 6, 13, 29} {
			first, err := walk(ctx, tb.Query(Filter{"pk__eq": "p1"}, PageSize(4), Limit(30), Prefetch(n)), k)
			require.NoError(t, err)
			require.Len(t, first, k)
			rest, err := walk(ctx, tb.Query(Filter{"pk__eq": "p1"}, PageSize(4), Limit(30-k), Prefetch(n), StartFrom(first[k-1].cursor)), 0)
			require.NoError(t, err)
			var keys []string
			for _, s := range append(first, rest...) {
				keys = append(keys, s.key)
			}
			var wk []string
			for _, s := range want {
				wk = append(wk, s.key)
			}
			assert.Equal(t, wk, keys, "Prefetch(%d) break after %d", n, k)
		}
	}
}

// Two Scans sharing one RateLimit run concurrently without a race and
// together stay near the budget; RateLimit with Count works.
func TestA2RateLimitSharedAndCount(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	rl := RateLimit(20)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var units float64
	start := time.Now()
	for range 2 {
		wg.Go(func() {
			rs := tb.Scan(nil, PageSize(5), rl)
			got, err := walk(ctx, rs, 0)
			assert.NoError(t, err)
			assert.Len(t, got, 141)
			mu.Lock()
			units += rs.ConsumedCapacity()
			mu.Unlock()
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	t.Logf("units %.1f in %.2fs", units, el)
	assert.Greater(t, units, 0.0)
	assert.LessOrEqual(t, units, 20*el+2, "one shared budget: rate x duration plus the two requests in flight")
	n, err := tb.Scan(nil, PageSize(5), RateLimit(1000)).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 141, n)
	_, err = tb.Scan(nil, RateLimit(0)).Count(ctx)
	assert.ErrorIs(t, err, ErrInvalidValue)
}

// AutoConcurrency(0) and negative mean 1 (documented), with OnProgress.
func TestA2AutoConcurrencyNonPositive(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), paced)
	ctx := context.Background()
	for _, m := range []int{0, -3} {
		var last, calls int
		bt := tb.BatchWrite(AutoConcurrency(m), OnProgress(func(w, p int) { calls++; last = w }))
		assert.Equal(t, BatchStats{Concurrency: 1}, bt.Stats(), "Stats before any send")
		for i := range 60 {
			require.NoError(t, bt.PutItem(ctx, map[string]any{"pk": fmt.Sprint("a", m), "sk": i}))
		}
		require.NoError(t, bt.Close(ctx))
		st := bt.Stats()
		assert.Equal(t, 1, st.MaxInFlight)
		assert.Equal(t, 3, st.Calls)
		assert.Equal(t, 60, last)
		assert.Positive(t, calls)
		assert.Equal(t, st, bt.Stats(), "Stats after Close is stable")
	}
}

// BatchGet with Concurrency(4): break mid-way then cancel; duplicate keys;
// more than 1000 keys; BatchStats before iteration.
func TestA2BatchGetEdges(t *testing.T) {
	t.Parallel()
	// A conn whose idle HTTP connections close soon, so assertNoLeak can
	// tell the call's goroutines from the transport's (see transportConn).
	tb := NewTable(transportConn(t, testEndpoint(t)), testTable(t, testConn(t), paced).Name(), WithSchema(paced...))
	ctx := context.Background()
	require.NoError(t, tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for i := range 1200 {
			if err := b.PutItem(ctx, map[string]any{"pk": "g", "sk": i}); err != nil {
				return err
			}
		}
		return nil
	}, Concurrency(4)))
	keys := make([]Key, 1200)
	for i := range keys {
		keys[i] = Key{"pk": "g", "sk": i}
	}
	rs := tb.BatchGet(keys, Concurrency(4))
	assert.Equal(t, BatchStats{Concurrency: 4}, rs.BatchStats(), "before iteration: the configured concurrency, no calls")
	got := map[string]int{}
	for it, err := range rs.All(ctx) {
		require.NoError(t, err)
		got[fmt.Sprint(it.Get("sk"))]++
	}
	assert.Len(t, got, 1200)
	for k, n := range got {
		require.Equal(t, 1, n, k)
	}
	assert.GreaterOrEqual(t, rs.BatchStats().Calls, 12)

	cctx, cancel := context.WithCancel(ctx)
	id := withLabel(cctx, func(ctx context.Context) {
		i := 0
		for _, err := range tb.BatchGet(keys, Concurrency(4)).All(ctx) {
			require.NoError(t, err)
			if i++; i == 150 {
				break
			}
		}
		cancel()
		n := 0
		for _, err := range tb.BatchGet(keys, Concurrency(4)).All(ctx) {
			if err != nil {
				assert.ErrorIs(t, err, context.Canceled)
				break
			}
			n++
		}
		assert.Zero(t, n)
	})
	assertNoLeak(t, id)

	dup := []Key{{"pk": "g", "sk": 1}, {"pk": "g", "sk": 1}, {"pk": "g", "sk": 2}}
	items, err := tb.BatchGet(dup, Concurrency(4)).Collect(ctx)
	t.Logf("duplicate keys: %d items, err %v", len(items), err)
	if err == nil {
		assert.Len(t, items, 2)
	}
}
