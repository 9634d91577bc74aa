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

// requests returns the requests of op, by start.
func (m *capacityMeter) requests(op string) []meteredRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	var rs []meteredRequest
	for _, r := range m.reqs {
		if r.op == op {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b meteredRequest) int { return a.start.Compare(b.start) })
	return rs
}

// assertNotAhead checks RateLimit against a real server in the one
// direction a server cannot affect: the requests of op made by calls that
// began at t0, sharing one RateLimit(limit) with at most inFlight requests
// in flight at once, never consumed more than the limit allows. It returns
// the units they reported, and whether every one reported its consumption.
//
// The budget starts empty at the call's first Wait (after t0) and a
// request starts only once the units charged before it are paid for, so by
// the time the last request started, every unit but those of the requests
// in flight with it was paid for:
//
//	total <= limit × (last start - t0) + inFlight × the biggest request.
//
// (The meter's start of a request is taken inside the call, after its
// Wait.) A slow server, a loaded machine, only makes the last start later
// and the bound looser: it cannot make this fail. How close to the limit
// the rate is, is the limiter's accuracy, which ratelimit_accuracy_test.go
// measures in virtual time.
func (m *capacityMeter) assertNotAhead(t *testing.T, op string, t0 time.Time, limit float64, inFlight int) (total float64, reported bool) {
	t.Helper()
	rs := m.requests(op)
	require.NotEmpty(t, rs, "%s requests", op)
	reported = true
	var biggest float64
	for _, r := range rs {
		total += r.units
		biggest = max(biggest, r.units)
		reported = reported && r.reported
	}
	last := rs[len(rs)-1].start.Sub(t0)
	allowed := limit*last.Seconds() + float64(inFlight)*biggest
	t.Logf("%d %s, %.1f units, the last started %v after the call: %.1f units allowed by then (limit %.0f/s, %d in flight of at most %.1f)",
		len(rs), op, total, last.Round(time.Millisecond), allowed, limit, inFlight, biggest)
	assert.LessOrEqual(t, total, allowed, "%s ran ahead of RateLimit(%.0f): %.1f units by %v", op, limit, total, last)
	return total, reported
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

// A Scan with RateLimit never runs ahead of it, charges what DynamoDB
// reports, and reads every item once; with Parallel the segments share the
// one budget.
func TestRateLimitHoldsScan(t *testing.T) {
	t.Parallel() // a busy server only makes these slower, which their checks allow
	tb := testTable(t, testConn(t), paced)
	loadPaced(t, tb, 160)
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprintf("Parallel(%d)", par), func(t *testing.T) {
			var m capacityMeter
			c := testConn(t, m.option)
			tb := NewTable(c, tb.Name(), WithSchema(paced...))
			// 8 pages of 20 KB: 5 units each, about 2s at the limit.
			const limit = 20.0
			opt := RateLimit(limit)
			t0 := time.Now()
			rs := tb.Scan(nil, opt, Consistent(), PageSize(20), Parallel(par))
			seen := map[string]bool{}
			for it, err := range rs.All(context.Background()) {
				require.NoError(t, err)
				k := fmt.Sprint(it.Get("sk"))
				require.False(t, seen[k], "item %s twice", k)
				seen[k] = true
			}
			assert.Len(t, seen, 160, "every item read")
			total, reported := m.assertNotAhead(t, "Scan", t0, limit, par)
			require.True(t, reported, "DynamoDB Local reports the consumed capacity")
			assert.InDelta(t, total, rs.ConsumedCapacity(), 1e-9, "ResultSet.ConsumedCapacity is what was reported")
			// The limiter is charged what was reported, except that
			// DynamoDB Local reports 0 units for an empty last page, which
			// Query and Scan charge as no report: the estimate, 1 unit for
			// a consistent read (DynamoDB charges at least that).
			var want float64
			for _, r := range m.requests("Scan") {
				if r.units > 0 {
					want += r.units
				} else {
					want++
				}
			}
			used, charges := opt.r.lim.Used()
			assert.Equal(t, len(m.requests("Scan")), charges, "one charge a request")
			assert.InDelta(t, want, used, 1e-9, "the limiter is charged what was reported")
		})
	}
}

// Without a reported consumption the limiter charges its estimate: 10
// items of about 1 KB a page, read consistently, are 3 units (4 KB a unit).
func TestRateLimitEstimatesWhenNotReported(t *testing.T) {
	t.Parallel() // a busy server only makes these slower, which their checks allow
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
	var m capacityMeter
	tb = NewTable(testConn(t, m.option), tb.Name(), WithSchema(paced...))
	const limit = 20.0
	opt := RateLimit(limit)
	t0 := time.Now()
	rs := tb.Scan(nil, opt, Consistent(), PageSize(10), strip)
	n := 0
	for _, err := range rs.All(context.Background()) {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, 100, n)
	assert.Zero(t, rs.ConsumedCapacity(), "nothing reported")
	// 10 pages of 10 items (3 units each, estimated), and an empty last
	// one if DynamoDB Local gives the 10th a LastEvaluatedKey (1 unit, the
	// least a consistent read costs).
	reqs := m.requests("Scan")
	require.GreaterOrEqual(t, len(reqs), 10)
	require.LessOrEqual(t, len(reqs), 11)
	want := 10*3.0 + float64(len(reqs)-10)
	used, charges := opt.r.lim.Used()
	assert.Equal(t, len(reqs), charges, "one charge a request")
	assert.InDelta(t, want, used, 1e-9, "the limiter is charged the estimates")
	// Never ahead of the limit, by the estimate (see assertNotAhead).
	last := reqs[len(reqs)-1].start.Sub(t0)
	assert.LessOrEqual(t, used, limit*last.Seconds()+3, "%.0f units estimated by %v: ahead of RateLimit(%.0f)", used, last, limit)
}

// BatchWrite and BatchGet with RateLimit never run ahead of it, charge
// the write and read units DynamoDB reports, and lose nothing.
func TestRateLimitHoldsBatches(t *testing.T) {
	t.Parallel() // a busy server only makes these slower, which their checks allow
	var m capacityMeter
	c := testConn(t, m.option)
	tb := testTable(t, c, paced)
	ctx := context.Background()
	// 12 writes of 25 units, 4 in flight; 3 reads of 100 units, 2 in
	// flight: about 2s each at these limits.
	const wlimit, rlimit = 100.0, 100.0
	const n = 300
	wopt := RateLimit(wlimit)
	t0 := time.Now()
	err := tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for i := range n {
			if err := b.PutItem(ctx, map[string]any{"pk": "p", "sk": i, "pad": strings.Repeat("x", 900)}); err != nil {
				return err
			}
		}
		return nil
	}, wopt, Concurrency(4))
	require.NoError(t, err)
	total, reported := m.assertNotAhead(t, "BatchWriteItem", t0, wlimit, 4)
	require.True(t, reported, "DynamoDB Local reports the consumed capacity")
	assert.InDelta(t, float64(n), total, 0, "one write unit per 1 KB item")
	used, _ := wopt.r.lim.Used()
	assert.InDelta(t, total, used, 1e-9, "the limiter is charged what was reported")

	keys := make([]Key, n)
	for i := range keys {
		keys[i] = Key{"pk": "p", "sk": i}
	}
	got := map[string]bool{}
	ropt := RateLimit(rlimit)
	t0 = time.Now()
	for it, err := range tb.BatchGet(keys, ropt, Consistent(), Concurrency(2)).All(ctx) {
		require.NoError(t, err)
		k := fmt.Sprint(it.Get("sk"))
		require.False(t, got[k], "item %s twice", k)
		got[k] = true
	}
	assert.Len(t, got, n, "every item read back")
	total, reported = m.assertNotAhead(t, "BatchGetItem", t0, rlimit, 2)
	require.True(t, reported)
	assert.InDelta(t, float64(n), total, 0, "one read unit per 1 KB item read consistently")
	used, _ = ropt.r.lim.Used()
	assert.InDelta(t, total, used, 1e-9, "the limiter is charged what was reported")
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

// Against the capacity model: a batch load and a Parallel scan held to a
// RateLimit below the table's capacity are never throttled nor left
// unprocessed, never run ahead of their limit as the model charges it, and
// lose nothing. The table is small enough that the same load without the
// limit would be throttled: its 200 write units are twice the 100 a second
// (and one second's worth to start with) the model allows, its 50-odd read
// units more than the 40 a second it allows. With the limit, the units sent
// by any time t stay within limit × t plus the requests in flight (2 × 25
// write units, 3 × 8 read units), under the model's capacity × (1s + t).
func TestRateLimitUnderCapacityModel(t *testing.T) {
	t.Parallel() // a busy server only makes these slower, which their checks allow
	ctx := context.Background()
	tb := testTable(t, testConn(t), paced)
	p := newProxy(t, faultproxy.Config{RoundTrip: time.Millisecond,
		Capacity: faultproxy.Capacity{Write: 100, Read: 40, Burst: time.Second}})
	var m capacityMeter
	via := NewTable(retryingConn(t, p.URL, m.option), tb.Name(), WithSchema(paced...))
	// 8 writes of 25 units, 2 in flight: about 2s; 7 to 12 reads of up to
	// 8 units, 3 in flight: about 1.5s.
	const n, wlimit, rlimit = 200, 75.0, 25.0
	wopt := RateLimit(wlimit)
	before := p.Stats()
	t0 := time.Now()
	require.NoError(t, via.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for i := range n {
			if err := b.PutItem(ctx, map[string]any{"pk": "p", "sk": i, "pad": strings.Repeat("x", 900)}); err != nil {
				return err
			}
		}
		return nil
	}, wopt, Concurrency(2)))
	after := p.Stats()
	assert.Zero(t, after.CapacityThrottled-before.CapacityThrottled, "no write throttled")
	assert.Zero(t, after.CapacityUnprocessed-before.CapacityUnprocessed, "no write left unprocessed")
	assert.InDelta(t, float64(n), after.WriteUnits-before.WriteUnits, 0, "one unit per item, each written once")
	total, reported := m.assertNotAhead(t, "BatchWriteItem", t0, wlimit, 2)
	require.True(t, reported, "the model reports the consumed capacity")
	assert.InDelta(t, after.WriteUnits-before.WriteUnits, total, 1e-9, "the model charged what it reported")
	used, _ := wopt.r.lim.Used()
	assert.InDelta(t, total, used, 1e-9, "the limiter is charged what was reported")

	ropt := RateLimit(rlimit)
	before = p.Stats()
	t0 = time.Now()
	rs := via.Scan(nil, ropt, Consistent(), PageSize(30), Parallel(3))
	got := map[string]bool{}
	for it, err := range rs.All(ctx) {
		require.NoError(t, err)
		k := fmt.Sprint(it.Get("sk"))
		require.False(t, got[k], "item %s twice", k)
		got[k] = true
	}
	after = p.Stats()
	assert.Len(t, got, n, "every item read once")
	assert.Zero(t, after.CapacityThrottled-before.CapacityThrottled, "no read throttled")
	assert.InDelta(t, after.ReadUnits-before.ReadUnits, rs.ConsumedCapacity(), 1e-6, "the ResultSet counts what the model charged")
	total, _ = m.assertNotAhead(t, "Scan", t0, rlimit, 3)
	used, _ = ropt.r.lim.Used()
	assert.InDelta(t, total, used, 1e-9, "the limiter is charged what was reported")
}
