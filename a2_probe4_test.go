package dynamap

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A rate that is not positive and finite is a *ValueError before any
// request, for each kind of call.
func TestA2RateLimitInvalidEverywhere(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	tb := NewTable(testConn(t, rc.option), "no_such_table_a2", WithSchema(paced...))
	ctx := context.Background()
	for _, r := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		_, err := tb.BatchGet([]Key{{"pk": "a", "sk": 1}}, RateLimit(r)).Collect(ctx)
		assert.ErrorIs(t, err, ErrInvalidValue, "BatchGet %v", r)
		_, err = tb.Scan(nil, RateLimit(r), Parallel(2), Prefetch(2)).Collect(ctx)
		assert.ErrorIs(t, err, ErrInvalidValue, "Scan %v", r)
		bt := tb.BatchWrite(RateLimit(r), AutoConcurrency(4))
		assert.ErrorIs(t, bt.PutItem(ctx, map[string]any{"pk": "a", "sk": 1}), ErrInvalidValue, "BatchWrite %v", r)
		assert.NoError(t, bt.Close(ctx), "nothing was accepted: the refusal was reported by PutItem")
		assert.Equal(t, BatchStats{Concurrency: 1}, bt.Stats(), "no call sent")
	}
	assert.Zero(t, rc.total())
}

// Canceling the context during a Concurrency(4) BatchGet loop ends it
// with context.Canceled, no goroutine left; Stats/Cursor read from
// another goroutine while a batch and a prefetching loop run are race free.
func TestA2CancelDuringBatchGetAndConcurrentStats(t *testing.T) {
	t.Parallel()
	// A conn whose idle HTTP connections close soon, so assertNoLeak can
	// tell the call's goroutines from the transport's (see transportConn).
	tb := NewTable(transportConn(t, testEndpoint(t)), testTable(t, testConn(t), paced).Name(), WithSchema(paced...))
	loadPrefetch(t, tb)
	var keys []Key
	for p := range 3 {
		for i := range 47 {
			keys = append(keys, Key{"pk": fmt.Sprint("p", p), "sk": i})
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	n := 0
	rs := tb.BatchGet(keys, Concurrency(4))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = rs.BatchStats()
			}
		}
	})
	id := withLabel(ctx, func(ctx context.Context) {
		for _, e := range rs.All(ctx) {
			if e != nil {
				err = e
				break
			}
			if n++; n == 5 {
				cancel()
			}
		}
	})
	close(stop)
	wg.Wait()
	assertNoLeak(t, id)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, n, 141)

	// Cursor from another goroutine during a Parallel+Prefetch loop.
	srs := tb.Scan(nil, PageSize(5), Parallel(3), Prefetch(2))
	stop = make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = srs.Cursor()
			}
		}
	})
	got, err := walk(context.Background(), srs, 0)
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	assert.Len(t, got, 141)

	// OnProgress with AutoConcurrency + RateLimit: monotonic, ends at the total.
	var last atomic.Int64
	var back atomic.Bool
	bt := tb.BatchWrite(AutoConcurrency(8), RateLimit(5000), OnProgress(func(w, p int) {
		if int64(w) < last.Load() {
			back.Store(true)
		}
		last.Store(int64(w))
	}))
	stop = make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = bt.Stats()
			}
		}
	})
	bctx := context.Background()
	for i := range 300 {
		require.NoError(t, bt.PutItem(bctx, map[string]any{"pk": "o", "sk": i}))
	}
	require.NoError(t, bt.Close(bctx))
	close(stop)
	wg.Wait()
	assert.False(t, back.Load(), "written never goes back")
	assert.EqualValues(t, 300, last.Load())
}
