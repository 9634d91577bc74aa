package dynamap

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// One RateLimit shared by a concurrent batch writer (Concurrency(4)) and a
// Scan: no race, nothing lost, and the write units plus read units stay
// within the one budget.
func TestA2RateLimitSharedWriterAndScan(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	rl := RateLimit(100)
	var wg sync.WaitGroup
	var readUnits float64
	start := time.Now()
	wg.Go(func() {
		rs := tb.Scan(Filter{"pk__eq": "p0"}, PageSize(3), rl)
		got, err := walk(ctx, rs, 0)
		assert.NoError(t, err)
		assert.Len(t, got, 47)
		readUnits = rs.ConsumedCapacity()
	})
	bt := tb.BatchWrite(Concurrency(4), rl)
	for i := range 150 {
		require.NoError(t, bt.PutItem(ctx, map[string]any{"pk": "w", "sk": i}))
	}
	require.NoError(t, bt.Close(ctx))
	wg.Wait()
	el := time.Since(start).Seconds()
	t.Logf("read %.1f + write 150 units in %.2fs", readUnits, el)
	assert.LessOrEqual(t, readUnits+150, 100*el+4*25+1, "one budget: rate x duration plus requests in flight")
	n, err := tb.Query(Filter{"pk__eq": "w"}).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 150, n)
}

// AutoConcurrency never goes above the connection's MaxConcurrency.
func TestA2AutoConcurrencyCappedByConn(t *testing.T) {
	t.Parallel()
	c := testConn(t, func(o *conn.Options) { o.MaxConcurrency = 2 })
	tb := testTable(t, c, paced)
	ctx := context.Background()
	bt := tb.BatchWrite(AutoConcurrency(32))
	for i := range 500 {
		require.NoError(t, bt.PutItem(ctx, map[string]any{"pk": "c", "sk": i}))
	}
	require.NoError(t, bt.Close(ctx))
	st := bt.Stats()
	t.Logf("%+v", st)
	assert.LessOrEqual(t, st.MaxInFlight, 2)
	assert.LessOrEqual(t, st.Concurrency, 2)
	assert.Equal(t, 20, st.Calls)
}

// A BatchGet ResultSet iterated again after a break yields every key, and
// BatchStats counts the calls of both iterations.
func TestA2BatchGetReiterateAfterBreak(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	var keys []Key
	for p := range 3 {
		for i := range 47 {
			keys = append(keys, Key{"pk": fmt.Sprint("p", p), "sk": i})
		}
	}
	rs := tb.BatchGet(keys, AutoConcurrency(4))
	i := 0
	for _, err := range rs.All(ctx) {
		require.NoError(t, err)
		if i++; i == 10 {
			break
		}
	}
	c1 := rs.BatchStats().Calls
	items, err := rs.Collect(ctx)
	require.NoError(t, err)
	assert.Len(t, items, 141)
	assert.GreaterOrEqual(t, rs.BatchStats().Calls, c1+2)
}
