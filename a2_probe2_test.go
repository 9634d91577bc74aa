package dynamap

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Parallel + Prefetch, break mid-way, resume from the cursor: every item
// exactly once over the two loops.
func TestA2ParallelPrefetchResume(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	for _, k := range []int{1, 17, 70} {
		first, err := walk(ctx, tb.Scan(nil, PageSize(4), Parallel(3), Prefetch(2)), k)
		require.NoError(t, err)
		require.Len(t, first, k)
		rest, err := walk(ctx, tb.Scan(nil, PageSize(4), Parallel(3), Prefetch(2), StartFrom(first[k-1].cursor)), 0)
		require.NoError(t, err)
		seenK := map[string]int{}
		for _, s := range append(first, rest...) {
			seenK[s.key]++
		}
		assert.Len(t, seenK, 141, "break after %d", k)
		for key, n := range seenK {
			assert.Equal(t, 1, n, "break after %d: %s", k, key)
		}
	}
}

// A canceled context mid-loop ends a prefetching read with context.Canceled.
func TestA2PrefetchCancelMidLoop(t *testing.T) {
	t.Parallel()
	// A conn whose idle HTTP connections close soon, so assertNoLeak can
	// tell the call's goroutines from the transport's (see transportConn).
	tb := NewTable(transportConn(t, testEndpoint(t)), testTable(t, testConn(t), paced).Name(), WithSchema(paced...))
	loadPrefetch(t, tb)
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	n := 0
	id := withLabel(ctx, func(ctx context.Context) {
		for _, e := range tb.Query(Filter{"pk__eq": "p0"}, PageSize(5), Prefetch(3)).All(ctx) {
			if e != nil {
				err = e
				break
			}
			if n++; n == 7 {
				cancel()
			}
		}
	})
	assertNoLeak(t, id)
	assert.ErrorIs(t, err, context.Canceled)
	assert.LessOrEqual(t, n, 10, "the rest of page 2 at most")
}

// RateLimit holds Count to the budget; BatchGet of > 1000 keys with
// AutoConcurrency and a RateLimit returns each once and stays in budget.
func TestA2RateLimitCountAndBatchGet(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	start := time.Now()
	rs := tb.Scan(nil, PageSize(5), RateLimit(8))
	n, err := rs.Count(ctx)
	el := time.Since(start).Seconds()
	require.NoError(t, err)
	assert.EqualValues(t, 141, n)
	units := rs.ConsumedCapacity()
	t.Logf("count: %.1f units in %.2fs", units, el)
	assert.Greater(t, units, 8.0, "enough pages to need waiting")
	assert.LessOrEqual(t, units, 8*el+1)

	var keys []Key
	for p := range 3 {
		for i := range 47 {
			for range 8 {
				keys = append(keys, Key{"pk": fmt.Sprint("p", p), "sk": i})
			}
		}
	}
	keys = append(keys, Key{"pk": "nope", "sk": 1})
	require.Greater(t, len(keys), 1000)
	got := map[string]int{}
	brs := tb.BatchGet(keys, AutoConcurrency(4), RateLimit(1000))
	for it, err := range brs.All(ctx) {
		require.NoError(t, err)
		got[fmt.Sprint(it.Get("pk"), it.Get("sk"))]++
	}
	assert.Len(t, got, 141)
	for k, c := range got {
		assert.Equal(t, 1, c, k)
	}
	st := brs.BatchStats()
	t.Logf("batchget stats %+v", st)
	assert.LessOrEqual(t, st.MaxInFlight, 4)
	// BatchGet with a bad key among many: typed error, no request.
	_, err = tb.BatchGet(append(keys, Key{"pk": "x"}), Concurrency(4)).Collect(ctx)
	var ke *KeyError
	assert.True(t, errors.As(err, &ke), "%v", err)
}
