package dynamap

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/faultproxy"
)

// capacityMeter records, per operation, when each request started and
// ended and the capacity units DynamoDB reported for it.
type capacityMeter struct {
	mu   sync.Mutex
	reqs []meteredRequest
}

type meteredRequest struct {
	op         string
	start, end time.Time
	units      float64
	reported   bool
}

func (m *capacityMeter) option(o *conn.Options) {
	o.OnRequest = func(ms conn.Measurement) {
		end := time.Now()
		m.mu.Lock()
		defer m.mu.Unlock()
		m.reqs = append(m.reqs, meteredRequest{op: ms.Op, start: end.Add(-ms.Duration), end: end,
			units: ms.CapacityUnits, reported: len(ms.ConsumedCapacity) > 0})
	}
}

// rate returns the units per second the requests of op consumed: the
// units of every request but the last started, over the time from the
// first request's start to the last one's (the limiter paces starts: each
// waits until the units before it are paid for). It also returns the units
// of all the requests, how many there were, and whether every one had its
// consumption reported.
func (m *capacityMeter) rate(op string) (rate, total float64, n int, reported bool, span time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var rs []meteredRequest
	reported = true
	for _, r := range m.reqs {
		if r.op == op {
			rs = append(rs, r)
			total += r.units
			reported = reported && r.reported
		}
	}
	slices.SortFunc(rs, func(a, b meteredRequest) int { return a.start.Compare(b.start) })
	if len(rs) < 2 {
		return 0, total, len(rs), reported, 0
	}
	before := total - rs[len(rs)-1].units
	span = rs[len(rs)-1].start.Sub(rs[0].start)
	return before / span.Seconds(), total, len(rs), reported, span
}

var paced = []KeyField{HashKey("pk"), RangeKey("sk", N)}

// loadPaced writes n items of about 1 KB (one write unit each; 4 of them
// make a 4 KB read unit) to partition "p".
func loadPaced(t *testing.T, tb *Table, n int) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for i := range n {
			if err := b.PutItem(ctx, map[string]any{"pk": "p", "sk": i, "pad": strings.Repeat("x", 900)}); err != nil {
				return err
			}
		}
		return nil
	}, Concurrency(4)))
}

func assertWithin(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	assert.InDelta(t, want, got, tol*want, "%s: %.2f units/s, want %.2f ±%.0f%%", what, got, want, 100*tol)
}

// A Scan with RateLimit holds the rate DynamoDB's consumed capacity
// reports, over the whole read, and reads every item once; with Parallel
// the segments share the one budget. The timing tests do not call
// t.Parallel: the rest of the suite must not slow DynamoDB Local below the
// limit while they measure.
func TestRateLimitHoldsScan(t *testing.T) {
	tb := testTable(t, testConn(t), paced)
	loadPaced(t, tb, 160)
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprintf("Parallel(%d)", par), func(t *testing.T) {
			var m capacityMeter
			c := testConn(t, m.option)
			tb := NewTable(c, tb.Name())
			const limit = 20.0
			rs := tb.Scan(nil, RateLimit(limit), Consistent(), PageSize(20), Parallel(par))
			seen := map[string]bool{}
			for it, err := range rs.All(context.Background()) {
				require.NoError(t, err)
				k := fmt.Sprint(it.Get("sk"))
				require.False(t, seen[k], "item %s twice", k)
				seen[k] = true
			}
			assert.Len(t, seen, 160, "every item read")
			rate, total, n, reported, span := m.rate("Scan")
			require.True(t, reported, "DynamoDB Local reports the consumed capacity")
			assert.InDelta(t, total, rs.ConsumedCapacity(), 1e-9, "ResultSet.ConsumedCapacity is what was reported")
			t.Logf("%d Scan requests, %.1f units in %v: %.2f units/s (limit %.0f)", n, total, span, rate, limit)
			assertWithin(t, "scan", rate, limit, 0.10)
		})
	}
}

// Without a reported consumption the limiter charges its estimate: 10
// items of about 1 KB a page, read consistently, are 3 units (4 KB a unit).
func TestRateLimitEstimatesWhenNotReported(t *testing.T) {
	tb := testTable(t, testConn(t), paced)
	loadPaced(t, tb, 100)
	strip := SDKOptions(func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("stripCapacity", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if s, ok := out.Result.(*dynamodb.ScanOutput); ok {
					s.ConsumedCapacity = nil
				}
				return out, md, err
			}), middleware.After)
		})
	})
	const limit = 20.0
	rs := tb.Scan(nil, RateLimit(limit), Consistent(), PageSize(10), strip)
	_, err := tb.GetItem(context.Background(), Key{"pk": "p", "sk": 0}) // the schema is known: the loop sends only Scans
	require.NoError(t, err)
	t0 := time.Now()
	n := 0
	for _, err := range rs.All(context.Background()) {
		require.NoError(t, err)
		n++
	}
	elapsed := time.Since(t0)
	require.Equal(t, 100, n)
	assert.Zero(t, rs.ConsumedCapacity(), "nothing reported")
	// 11 requests: 10 pages of 10 (3 units each, estimated) and an empty
	// last one (the 10th page still has a LastEvaluatedKey). The budget
	// fills from the first request on; the last request starts once the
	// 30 units before it are paid for. The limits in these tests leave
	// DynamoDB Local room to spare (a few requests a second), so that a
	// loaded machine does not make the read slower than its limit.
	want := 10 * 3 / limit
	t.Logf("%d items in %v; %.2fs expected from 3-unit estimates", n, elapsed, want)
	assert.InDelta(t, want, elapsed.Seconds(), 0.10*want)
}

// BatchWrite and BatchGet with RateLimit hold the rate of the write and
// read units DynamoDB reports; nothing is lost.
func TestRateLimitHoldsBatches(t *testing.T) {
	var m capacityMeter
	c := testConn(t, m.option)
	tb := testTable(t, c, paced)
	ctx := context.Background()
	const wlimit, rlimit = 200.0, 150.0
	const n = 300
	err := tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for i := range n {
			if err := b.PutItem(ctx, map[string]any{"pk": "p", "sk": i, "pad": strings.Repeat("x", 900)}); err != nil {
				return err
			}
		}
		return nil
	}, RateLimit(wlimit), Concurrency(4))
	require.NoError(t, err)
	rate, total, reqs, reported, span := m.rate("BatchWriteItem")
	require.True(t, reported, "DynamoDB Local reports the consumed capacity")
	t.Logf("%d BatchWriteItem, %.0f units in %v: %.1f units/s (limit %.0f)", reqs, total, span, rate, wlimit)
	assert.InDelta(t, float64(n), total, 0, "one write unit per 1 KB item")
	assertWithin(t, "batch write", rate, wlimit, 0.10)

	keys := make([]Key, n)
	for i := range keys {
		keys[i] = Key{"pk": "p", "sk": i}
	}
	got := map[string]bool{}
	for it, err := range tb.BatchGet(keys, RateLimit(rlimit), Consistent(), Concurrency(3)).All(ctx) {
		require.NoError(t, err)
		got[fmt.Sprint(it.Get("sk"))] = true
	}
	assert.Len(t, got, n, "every item read back")
	rate, total, reqs, reported, span = m.rate("BatchGetItem")
	require.True(t, reported)
	t.Logf("%d BatchGetItem, %.0f units in %v: %.1f units/s (limit %.0f)", reqs, total, span, rate, rlimit)
	assertWithin(t, "batch get", rate, rlimit, 0.10)
}

// An invalid rate is a *ValueError before any request, DescribeTable
// included, for every call that takes the option.
func TestRateLimitInvalid(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	c := testConn(t, rc.option)
	tb := NewTable(c, "no_such_table_ratelimit", WithSchema(paced...))
	ctx := context.Background()
	for _, rate := range []float64{0, -5, math.NaN(), math.Inf(1)} {
		opt := RateLimit(rate)
		errs := map[string]error{}
		for _, err := range tb.Query(Filter{"pk__eq": "p"}, opt).All(ctx) {
			errs["Query"] = err
		}
		_, errs["Scan.Count"] = tb.Scan(nil, opt, Parallel(3)).Count(ctx)
		for _, err := range tb.BatchGet([]Key{{"pk": "p", "sk": 1}}, opt).All(ctx) {
			errs["BatchGet"] = err
		}
		b := tb.BatchWrite(opt)
		errs["BatchWrite.PutItem"] = b.PutItem(ctx, map[string]any{"pk": "p", "sk": 1})
		errs["BatchWrite.DeleteItem"] = b.DeleteItem(ctx, Key{"pk": "p", "sk": 1})
		require.NoError(t, b.Close(ctx), "nothing was accepted, nothing to send")
		for call, err := range errs {
			var ve *ValueError
			require.ErrorAs(t, err, &ve, "%s with RateLimit(%v)", call, rate)
			assert.ErrorIs(t, err, ErrInvalidValue)
			assert.Contains(t, err.Error(), fmt.Sprintf("RateLimit(%v)", rate))
			assert.True(t, strings.HasPrefix(err.Error(), "dynamap: "), err.Error())
		}
	}
	assert.Zero(t, rc.total(), "no request of any kind")
}

// The option fits Query, Scan, BatchGet and the batch writer, and nothing
// else.
func TestRateLimitOptionTyping(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`t.Query(nil, dynamap.RateLimit(5), dynamap.Prefetch(2))`,
		`t.Scan(nil, dynamap.RateLimit(5), dynamap.Parallel(4), dynamap.Prefetch(1))`,
		`t.BatchGet(nil, dynamap.RateLimit(5))`,
		`t.BatchWrite(dynamap.RateLimit(5), dynamap.Concurrency(2))`,
		`_ = t.BatchWriteFunc(ctx, nil, dynamap.RateLimit(5))`,
		`var o dynamap.RateLimitOption = dynamap.RateLimit(1); _ = t.Scan(nil, o)`,
	} {
		require.Empty(t, typeCheckUser(t, body), "%s should compile", body)
	}
	for body, want := range map[string]string{
		`t.GetItem(ctx, nil, dynamap.RateLimit(5))`:           "dynamap.GetOption (missing method applyGet)",
		`t.PutItem(ctx, nil, dynamap.RateLimit(5))`:           "dynamap.PutOption (missing method applyPut)",
		`t.UpdateItem(ctx, nil, dynamap.RateLimit(5))`:        "dynamap.UpdateItemOption (missing method applyItemUpdate)",
		`t.TxGet(nil, dynamap.RateLimit(5))`:                  "dynamap.TxGetOption (missing method applyTxGet)",
		`t.BatchGet(nil, dynamap.Prefetch(1))`:                "dynamap.BatchGetOption (missing method applyBatchGet)",
		`t.BatchWrite(dynamap.Prefetch(1))`:                   "dynamap.BatchOption (missing method applyBatch)",
		`t.GetItem(ctx, nil, dynamap.Prefetch(1))`:            "dynamap.GetOption (missing method applyGet)",
		`dynamap.TransactWrite(ctx, c, dynamap.RateLimit(5))`: "dynamap.TxOp (missing method applyTx)",
	} {
		errs := typeCheckUser(t, body)
		require.Len(t, errs, 1, "%s should not compile, for one reason", body)
		require.ErrorContains(t, errs[0], "does not implement "+want, body)
	}
}

// DynamoDB's rules for the estimates.
func TestCapacityEstimates(t *testing.T) {
	item := func(bytes int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: strings.Repeat("x", bytes-1)}}
	}
	// Query/Scan: the request's items summed, 4 KB a unit, rounded up.
	assert.Equal(t, 3.0, readUnits([]map[string]types.AttributeValue{item(5000), item(5000)}, true))
	assert.Equal(t, 1.5, readUnits([]map[string]types.AttributeValue{item(5000), item(5000)}, false))
	assert.Equal(t, 0.5, readUnits(nil, false), "at least 0.5 a request")
	// BatchGet: each item rounded up on its own.
	assert.Equal(t, 4.0, batchGetUnits([]map[string]types.AttributeValue{item(5000), item(5000)}, true))
	assert.Equal(t, 1.0, batchGetUnits([]map[string]types.AttributeValue{item(100), item(100)}, false))
	// Batch writes: 1 KB a unit per put, 1 per delete.
	assert.Equal(t, 5.0, batchWriteUnits([]writeReq{{put: item(1500), size: 1500}, {put: item(2048), size: 2048}, {del: item(10), size: 10}}))
	_, ok := tableUnits(nil, "t")
	assert.False(t, ok)
	u, ok := tableUnits([]types.ConsumedCapacity{{TableName: ptr("t"), CapacityUnits: ptr(2.5)}, {TableName: ptr("other"), CapacityUnits: ptr(9.0)}}, "t")
	assert.True(t, ok)
	assert.Equal(t, 2.5, u)
}

// Against the capacity model (a table provisioned with 300 write and 300
// read units a second): a batch load and a Parallel scan held to a
// RateLimit below the table's capacity are never throttled nor left
// unprocessed, hold their rate as the model charges it, and lose nothing.
func TestRateLimitUnderCapacityModel(t *testing.T) {
	ctx := context.Background()
	tb := testTable(t, testConn(t), paced)
	p := newProxy(t, faultproxy.Config{RoundTrip: time.Millisecond,
		Capacity: faultproxy.Capacity{Write: 300, Read: 300, Burst: time.Second}})
	var m capacityMeter
	via := NewTable(retryingConn(t, p.URL, m.option), tb.Name(), WithSchema(paced...))
	const n, wlimit, rlimit = 300, 150.0, 40.0
	before := p.Stats()
	require.NoError(t, via.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for i := range n {
			if err := b.PutItem(ctx, map[string]any{"pk": "p", "sk": i, "pad": strings.Repeat("x", 900)}); err != nil {
				return err
			}
		}
		return nil
	}, RateLimit(wlimit), Concurrency(4)))
	after := p.Stats()
	assert.Zero(t, after.CapacityThrottled-before.CapacityThrottled, "no write throttled")
	assert.Zero(t, after.CapacityUnprocessed-before.CapacityUnprocessed, "no write left unprocessed")
	assert.InDelta(t, float64(n), after.WriteUnits-before.WriteUnits, 0, "one unit per item, each written once")
	rate, total, reqs, reported, span := m.rate("BatchWriteItem")
	require.True(t, reported, "the model reports the consumed capacity")
	t.Logf("load: %d BatchWriteItem, %.0f units in %v: %.1f units/s (limit %.0f)", reqs, total, span, rate, wlimit)
	assertWithin(t, "batch write under the model", rate, wlimit, 0.10)

	before = p.Stats()
	rs := via.Scan(nil, RateLimit(rlimit), Consistent(), PageSize(30), Parallel(3))
	got := map[string]bool{}
	for it, err := range rs.All(ctx) {
		require.NoError(t, err)
		got[fmt.Sprint(it.Get("sk"))] = true
	}
	after = p.Stats()
	assert.Len(t, got, n, "every item read once")
	assert.Zero(t, after.CapacityThrottled-before.CapacityThrottled, "no read throttled")
	assert.InDelta(t, after.ReadUnits-before.ReadUnits, rs.ConsumedCapacity(), 1e-6, "the ResultSet counts what the model charged")
	rate, total, reqs, _, span = m.rate("Scan")
	t.Logf("scan: %d Scan, %.0f units in %v: %.1f units/s (limit %.0f)", reqs, total, span, rate, rlimit)
	assertWithin(t, "Parallel scan under the model", rate, rlimit, 0.10)
}
