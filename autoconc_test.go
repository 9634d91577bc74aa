package dynamap

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/faultproxy"
)

// proxyConn is a connection through p with fast SDK retries and the given
// in-flight cap (0: the default).
func proxyConn(t *testing.T, p *faultproxy.Proxy, maxConc int) *conn.Conn {
	t.Helper()
	c, err := conn.New(context.Background(), func(o *conn.Options) {
		o.Endpoint = p.URL
		o.Region = "us-east-1"
		o.AccessKeyID = "dynamap"
		o.SecretAccessKey = "dynamap-test-secret"
		o.MaxRetries = 2
		o.RetryMaxBackoff = 2 * time.Millisecond
		o.MaxConcurrency = maxConc
	})
	require.NoError(t, err)
	return c
}

// autoItems are n items of about 100 bytes (one write unit each).
func autoItems(prefix string, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"pk": fmt.Sprintf("%s#%d", prefix, i%13), "n": i, "payload": "0123456789012345678901234567890123456789"}
	}
	return out
}

// loadThrough writes items through tb with opts and returns the writer's
// stats.
func loadThrough(t *testing.T, tb *Table, items []map[string]any, opts ...BatchOption) BatchStats {
	t.Helper()
	ctx := context.Background()
	var st BatchStats
	err := tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for _, it := range items {
			if err := b.PutItem(ctx, it); err != nil {
				return err
			}
		}
		require.NoError(t, b.Flush(ctx))
		st = b.Stats()
		return nil
	}, opts...)
	require.NoError(t, err)
	return st
}

// checkStored checks that the table holds exactly items.
func checkStored(t *testing.T, tb *Table, items []map[string]any) {
	t.Helper()
	stored := scanAll(t, tb)
	require.Len(t, stored, len(items), "nothing lost")
	for _, it := range items {
		_, ok := stored[keyOf(it)]
		require.True(t, ok, "missing %v", it)
	}
}

func TestAutoConcurrencyBacksOffUnderThrottling(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), batchSchema)
	// 150 WCU/s, starting empty with one second of burst: 400 one-unit
	// puts take ~2.7 s (DynamoDB Local takes more than that only if the
	// machine is very busy).
	p := newProxy(t, faultproxy.Config{RoundTrip: 2 * time.Millisecond,
		Capacity: faultproxy.Capacity{Write: 150, Burst: time.Second, Initial: -1}})
	via := NewTable(proxyConn(t, p, 0), tb.name, WithSchema(batchSchema...))
	items := autoItems("thr", 400)
	st := loadThrough(t, via, items, batchOpts(AutoConcurrency(16))...)
	checkStored(t, tb, items)
	ps := p.Stats()
	assert.Equal(t, float64(len(items)), ps.WriteUnits, "each put reached the table once: nothing duplicated")
	assert.LessOrEqual(t, ps.MaxInFlight, int64(16))
	assert.Greater(t, ps.CapacityThrottled+ps.CapacityPartial, int64(0), "the table did throttle")
	t.Logf("stats %+v; proxy: max in flight %d, throttled %d, partial %d of %d requests", st, ps.MaxInFlight, ps.CapacityThrottled, ps.CapacityPartial, ps.Requests)
	assert.LessOrEqual(t, st.Concurrency, 4, "backed off from 16: one call per round trip is more than 150 WCU allow")
	assert.Greater(t, st.Rate, 0.0, "paced")
	assert.Less(t, st.Rate, 3.0*150, "paced near what the table absorbs")
	assert.Equal(t, int(ps.CapacityThrottled+ps.CapacityPartial) >= 1, st.Throttled+st.Partial >= 1)
}

func TestAutoConcurrencyGrowsWhenUnthrottled(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), batchSchema)
	p := newProxy(t, faultproxy.Config{RoundTrip: 15 * time.Millisecond})
	via := NewTable(proxyConn(t, p, 0), tb.name, WithSchema(batchSchema...))
	items := autoItems("grow", 2500) // 100 calls
	st := loadThrough(t, via, items, batchOpts(AutoConcurrency(8))...)
	checkStored(t, tb, items)
	ps := p.Stats()
	t.Logf("stats %+v; proxy max in flight %d of %d requests", st, ps.MaxInFlight, ps.Requests)
	assert.Equal(t, 8, st.Concurrency, "grew to the cap")
	assert.Equal(t, 8, st.MaxInFlight)
	assert.Equal(t, int64(8), ps.MaxInFlight, "never above the cap, measured by the proxy")
	assert.Equal(t, 0.0, st.Rate, "not paced")
	assert.Equal(t, 100, st.Calls)
	assert.Zero(t, st.Throttled+st.Partial)
}

func TestAutoConcurrencyStaysUnderConnMaxConcurrency(t *testing.T) {
	t.Parallel()
	tb := testTable(t, testConn(t), batchSchema)
	p := newProxy(t, faultproxy.Config{RoundTrip: 10 * time.Millisecond})
	via := NewTable(proxyConn(t, p, 3), tb.name, WithSchema(batchSchema...))
	items := autoItems("cap", 1000)
	st := loadThrough(t, via, items, batchOpts(AutoConcurrency(32))...)
	checkStored(t, tb, items)
	assert.Equal(t, 3, st.Concurrency, "capped by conn MaxConcurrency")
	assert.LessOrEqual(t, p.Stats().MaxInFlight, int64(3))

	keys := make([]Key, len(items))
	for i, it := range items {
		keys[i] = Key{"pk": it["pk"], "n": it["n"]}
	}
	rs := via.BatchGet(keys, AutoConcurrency(32), MaxResends(60), Backoff(time.Millisecond, 20*time.Millisecond))
	got, err := rs.Collect(context.Background())
	require.NoError(t, err)
	assert.Len(t, got, len(items))
	assert.Equal(t, 3, rs.BatchStats().Concurrency)
	assert.LessOrEqual(t, p.Stats().MaxInFlight, int64(3))
}

func TestAutoConcurrencyBatchGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	items := autoItems("get", 900)
	loadThrough(t, tb, items, Concurrency(4))
	keys := make([]Key, len(items))
	for i, it := range items {
		keys[i] = Key{"pk": it["pk"], "n": it["n"]}
	}
	read := func(p *faultproxy.Proxy, max int) (*ResultSet, map[string]int) {
		via := NewTable(proxyConn(t, p, 0), tb.name, WithSchema(batchSchema...))
		rs := via.BatchGet(keys, AutoConcurrency(max), MaxResends(200), Backoff(time.Millisecond, 20*time.Millisecond))
		seen := map[string]int{}
		for it, err := range rs.All(ctx) {
			require.NoError(t, err)
			seen[keyOf(it.Map())]++
		}
		require.Len(t, seen, len(items), "nothing lost")
		for k, n := range seen {
			require.Equal(t, 1, n, "%s yielded %d times", k, n)
		}
		return rs, seen
	}

	// Unthrottled, 15 ms round trip: 9 calls, grows.
	free := newProxy(t, faultproxy.Config{RoundTrip: 15 * time.Millisecond})
	rs, _ := read(free, 4)
	st := rs.BatchStats()
	t.Logf("unthrottled: %+v, proxy max in flight %d", st, free.Stats().MaxInFlight)
	assert.Equal(t, 4, st.Concurrency)
	assert.LessOrEqual(t, free.Stats().MaxInFlight, int64(4))
	assert.Greater(t, st.MaxInFlight, 1)

	// 200 RCU/s, starting empty, eventually consistent 100-byte items:
	// 400 keys a second.
	thr := newProxy(t, faultproxy.Config{RoundTrip: 2 * time.Millisecond,
		Capacity: faultproxy.Capacity{Read: 200, Burst: time.Second, Initial: -1}})
	rs, _ = read(thr, 16)
	st = rs.BatchStats()
	ps := thr.Stats()
	t.Logf("throttled: %+v, proxy: max in flight %d, throttled %d, partial %d of %d", st, ps.MaxInFlight, ps.CapacityThrottled, ps.CapacityPartial, ps.Requests)
	assert.LessOrEqual(t, ps.MaxInFlight, int64(16))
	assert.Greater(t, ps.CapacityThrottled+ps.CapacityPartial, int64(0))
	assert.LessOrEqual(t, st.Concurrency, 4, "backed off from 16")
	assert.Greater(t, st.Rate, 0.0, "paced")
}

func TestConcurrencyOptionsLastWins(t *testing.T) {
	t.Parallel()
	tb := NewTable(conn.FromClient(nil), "t", WithSchema(batchSchema...))
	fixed := tb.BatchWrite(AutoConcurrency(8), Concurrency(3)).Stats()
	assert.Equal(t, BatchStats{Concurrency: 3}, fixed)
	auto := tb.BatchWrite(Concurrency(3), AutoConcurrency(8))
	assert.Equal(t, BatchStats{Concurrency: 1}, auto.Stats(), "AutoConcurrency starts at one in flight")
	assert.Equal(t, 8, auto.flow.max)
	assert.Equal(t, 3, tb.BatchGet(nil, AutoConcurrency(8), Concurrency(3)).BatchStats().Concurrency)
	assert.Equal(t, 1, tb.BatchGet(nil, Concurrency(3), AutoConcurrency(8)).BatchStats().Concurrency)
	assert.Equal(t, BatchStats{}, tb.Scan(nil).BatchStats())
	assert.Equal(t, 1, tb.BatchWrite(AutoConcurrency(0)).flow.max, "max < 1 means 1")
}
