package dynamap

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// The accuracy of RateLimit end to end, through the public calls, is
// measured here against pacedFake, an in-process conn.API that answers
// Query, Scan, BatchGetItem and BatchWriteItem after a fixed latency with
// the consumed capacity it is told to report. Each test runs in a
// testing/synctest bubble: time.Now, the limiter's timers and the fake's
// latency all use the bubble's clock, which advances only when every
// goroutine of the bubble is blocked. So the times measured are what the
// limiter decided, exactly, however loaded the machine is: the checks can
// be both ways (never faster than the limit, never slower than the budget
// needs) and still never flaky. The tests against DynamoDB Local
// (ratelimit_test.go) check what only a real server shows: nothing lost,
// the capacity reported and charged, and never faster than the limit.

// pacedFake is a table of items with keys pk "p", sk 0..items-1.
type pacedFake struct {
	conn.API // nil: any other call panics
	name     string
	items    int
	pad      string        // an attribute on every item read (its size)
	latency  time.Duration // how long each answer takes (bubble time)
	// units is the capacity reported for a request that read or wrote n
	// items (request k, from 0); nil: none reported.
	units func(k, n int) float64

	mu       sync.Mutex
	inFlight int // requests being answered
	overlap  int // the most answered at once
	reqs     []pacedReq
	written  map[int]int // puts per sk
	read     map[int]int // items returned per sk
}

// pacedReq is one request the fake answered.
type pacedReq struct {
	op    string
	start time.Time
	units float64 // what it reported (0: none)
	n     int     // items read or written
	seg   int     // the Scan segment
}

func newPacedFake(items int) *pacedFake {
	return &pacedFake{name: "paced", items: items, pad: strings.Repeat("x", 1000), written: map[int]int{}, read: map[int]int{}}
}

// answer records a request of op that read or wrote n items and returns
// the capacity to report. It sleeps the fake's latency, in bubble time.
func (f *pacedFake) answer(op string, seg *int32, n int, sks []int) *types.ConsumedCapacity {
	f.mu.Lock()
	k := len(f.reqs)
	r := pacedReq{op: op, start: time.Now(), n: n}
	if seg != nil {
		r.seg = int(*seg)
	}
	var cc *types.ConsumedCapacity
	if f.units != nil {
		r.units = f.units(k, n)
		cc = &types.ConsumedCapacity{TableName: &f.name, CapacityUnits: &r.units}
	}
	f.reqs = append(f.reqs, r)
	m := f.read
	if op == "BatchWriteItem" {
		m = f.written
	}
	for _, sk := range sks {
		m[sk]++
	}
	f.inFlight++
	f.overlap = max(f.overlap, f.inFlight)
	f.mu.Unlock()
	time.Sleep(f.latency)
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	return cc
}

func (f *pacedFake) item(sk int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":  &types.AttributeValueMemberS{Value: "p"},
		"sk":  &types.AttributeValueMemberN{Value: strconv.Itoa(sk)},
		"pad": &types.AttributeValueMemberS{Value: f.pad},
	}
}

func skOf(key map[string]types.AttributeValue) int {
	n, err := strconv.Atoi(key["sk"].(*types.AttributeValueMemberN).Value)
	if err != nil {
		panic(err)
	}
	return n
}

// page returns the items of segment seg of total (total 0: all) after
// start, at most limit of them, and the LastEvaluatedKey (nil at the end).
func (f *pacedFake) page(start map[string]types.AttributeValue, limit *int32, seg, total *int32) (items []map[string]types.AttributeValue, sks []int, last map[string]types.AttributeValue) {
	from, step := 0, 1
	if total != nil {
		from, step = int(*seg), int(*total)
	}
	if start != nil {
		from = skOf(start) + step
	}
	lim := f.items
	if limit != nil {
		lim = int(*limit)
	}
	sk := from
	for ; sk < f.items && len(items) < lim; sk += step {
		items = append(items, f.item(sk))
		sks = append(sks, sk)
	}
	if sk < f.items {
		last = map[string]types.AttributeValue{"pk": items[len(items)-1]["pk"], "sk": items[len(items)-1]["sk"]}
	}
	return items, sks, last
}

// DescribeTable answers the first read's schema check (not paced, and at
// once).
func (f *pacedFake) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return &dynamodb.DescribeTableOutput{Table: describedAs(f.name, paced)}, nil
}

func (f *pacedFake) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	items, sks, last := f.page(in.ExclusiveStartKey, in.Limit, nil, nil)
	cc := f.answer("Query", nil, len(items), sks)
	return &dynamodb.QueryOutput{Items: items, Count: int32(len(items)), ScannedCount: int32(len(items)), LastEvaluatedKey: last, ConsumedCapacity: cc}, nil
}

func (f *pacedFake) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	items, sks, last := f.page(in.ExclusiveStartKey, in.Limit, in.Segment, in.TotalSegments)
	cc := f.answer("Scan", in.Segment, len(items), sks)
	return &dynamodb.ScanOutput{Items: items, Count: int32(len(items)), ScannedCount: int32(len(items)), LastEvaluatedKey: last, ConsumedCapacity: cc}, nil
}

func (f *pacedFake) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	var items []map[string]types.AttributeValue
	var sks []int
	for _, k := range in.RequestItems[f.name].Keys {
		sks = append(sks, skOf(k))
		items = append(items, f.item(skOf(k)))
	}
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{f.name: items}}
	if cc := f.answer("BatchGetItem", nil, len(items), sks); cc != nil {
		out.ConsumedCapacity = []types.ConsumedCapacity{*cc}
	}
	return out, nil
}

func (f *pacedFake) BatchWriteItem(_ context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	var sks []int
	for _, w := range in.RequestItems[f.name] {
		sks = append(sks, skOf(w.PutRequest.Item))
	}
	out := &dynamodb.BatchWriteItemOutput{}
	if cc := f.answer("BatchWriteItem", nil, len(sks), sks); cc != nil {
		out.ConsumedCapacity = []types.ConsumedCapacity{*cc}
	}
	return out, nil
}

// table returns a Table on f; call it inside the bubble.
func (f *pacedFake) table() *Table {
	return NewTable(conn.FromClient(f), f.name, WithSchema(paced...))
}

// requests returns the requests of op, by start.
func (f *pacedFake) requests(op string) []pacedReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rs []pacedReq
	for _, r := range f.reqs {
		if r.op == op {
			rs = append(rs, r)
		}
	}
	slices.SortStableFunc(rs, func(a, b pacedReq) int { return a.start.Compare(b.start) })
	return rs
}

// checkPace checks the requests rs of one call on f that began at t0
// against the limit: charged is what the limiter was charged, inFlight the
// most requests the call may have in flight at once. The rate is measured
// over the requests that started by until (zero: all of them): while the
// call had a request ready to go.
//
//   - Never faster than the limit: the budget starts empty at the first
//     Wait, and a request starts only when the units charged so far are
//     paid for, so every request's units but those of the requests in flight
//     with it were paid for before the last one started:
//     units <= limit × (last start - t0) + units of inFlight requests.
//   - Never slower than the budget needs: the units before the last request
//     over the time from the first start to the last are within 10% of the
//     limit (the average rate; concurrent requests reserve the average
//     cost, not their own, see RateLimit).
func checkPace(t *testing.T, f *pacedFake, rs []pacedReq, until, t0 time.Time, limit, charged float64, inFlight int) {
	t.Helper()
	f.mu.Lock()
	overlap := f.overlap
	f.mu.Unlock()
	require.LessOrEqual(t, overlap, inFlight, "requests in flight at once")
	if inFlight > 1 {
		require.Greater(t, overlap, 1, "the requests overlap: the test exercises the reservations")
	}
	var all float64
	for _, r := range rs {
		all += r.units
	}
	assert.InDelta(t, all, charged, 1e-9, "the limiter is charged what was reported")
	if !until.IsZero() {
		rs = slices.DeleteFunc(slices.Clone(rs), func(r pacedReq) bool { return r.start.After(until) })
	}
	require.GreaterOrEqual(t, len(rs), 20, "enough requests for the rate to mean something")
	var total, biggest float64
	for _, r := range rs {
		total += r.units
		biggest = max(biggest, r.units)
	}
	first, last := rs[0], rs[len(rs)-1]
	assert.Equal(t, t0, first.start, "the first request goes at once")
	ahead := limit*last.start.Sub(t0).Seconds() + float64(inFlight)*biggest
	assert.LessOrEqual(t, total, ahead+1e-9, "%.1f units by %v: more than the limit allows", total, last.start.Sub(t0))
	span := last.start.Sub(first.start)
	rate := (total - last.units) / span.Seconds()
	t.Logf("%d %s, %.1f units, the last one %v after the first: %.2f units/s (limit %.0f)", len(rs), first.op, total, span, rate, limit)
	assert.InDelta(t, limit, rate, 0.10*limit, "%.2f units/s, want %.0f ±10%%", rate, limit)
}

func TestRateLimitAccuracyQuery(t *testing.T) {
	t.Parallel()
	for _, report := range []bool{true, false} {
		t.Run(fmt.Sprintf("reported=%v", report), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newPacedFake(300)
				f.latency = 10 * time.Millisecond
				if report {
					// Costs that vary request by request.
					f.units = func(k, n int) float64 { return float64(n)/4 + float64(k%3) }
				}
				const limit = 25.0
				opt := RateLimit(limit)
				t0 := time.Now()
				rs := f.table().Query(Filter{"pk__eq": "p"}, opt, Consistent(), PageSize(10))
				n := 0
				for _, err := range rs.All(context.Background()) {
					require.NoError(t, err)
					n++
				}
				require.Equal(t, 300, n)
				reqs := f.requests("Query")
				if !report {
					// The estimate: 10 items of about 1 KB a page, read
					// consistently, are 3 units (4 KB a unit).
					for i := range reqs {
						reqs[i].units = 3
					}
				}
				used, k := opt.r.lim.Used()
				require.Equal(t, len(reqs), k, "one charge a request")
				checkPace(t, f, reqs, time.Time{}, t0, limit, used, 1)
			})
		})
	}
}

func TestRateLimitAccuracyScanParallel(t *testing.T) {
	t.Parallel()
	for _, par := range []int{1, 4} {
		t.Run(fmt.Sprintf("Parallel(%d)", par), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const items = 480
				f := newPacedFake(items)
				// A request costs 5 to 8 units: one every 0.25 to 0.4s at
				// the limit. One segment alone keeps up with 250ms; with
				// several, 1s makes requests overlap.
				f.latency = 250 * time.Millisecond
				if par > 1 {
					f.latency = time.Second
				}
				f.units = func(k, n int) float64 { return float64(n)/2 + float64(k%4) }
				const limit = 20.0
				opt := RateLimit(limit)
				t0 := time.Now()
				rs := f.table().Scan(nil, opt, PageSize(10), Parallel(par))
				n := 0
				for _, err := range rs.All(context.Background()) {
					require.NoError(t, err)
					n++
				}
				require.Equal(t, items, n)
				for sk := range items {
					require.Equal(t, 1, f.read[sk], "item %d read once", sk)
				}
				reqs := f.requests("Scan")
				used, _ := opt.r.lim.Used()
				assert.InDelta(t, used, rs.ConsumedCapacity(), 1e-9, "ResultSet.ConsumedCapacity is what was charged")
				// Each segment sends one request at a time, and the limiter
				// does not promise to share the budget evenly: once one
				// segment is done, the others may not have enough requests
				// ready to keep up (a slow server). The rate is measured
				// while every segment has one.
				var until time.Time
				for seg := range par {
					var last time.Time
					for _, r := range reqs {
						if r.seg == seg {
							last = r.start
						}
					}
					if until.IsZero() || last.Before(until) {
						until = last
					}
				}
				checkPace(t, f, reqs, until, t0, limit, used, par)
			})
		})
	}
}

func TestRateLimitAccuracyBatchGet(t *testing.T) {
	t.Parallel()
	for _, conc := range []int{1, 3} {
		t.Run(fmt.Sprintf("Concurrency(%d)", conc), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n = 2400
				f := newPacedFake(n)
				f.latency = time.Duration(conc) * 80 * time.Millisecond // conc > 1: requests overlap
				f.units = func(k, n int) float64 { return float64(n)/2 + float64(k%4) }
				const limit = 500.0
				opt := RateLimit(limit)
				keys := make([]Key, n)
				for i := range keys {
					keys[i] = Key{"pk": "p", "sk": i}
				}
				t0 := time.Now()
				got := 0
				for _, err := range f.table().BatchGet(keys, opt, Concurrency(conc)).All(context.Background()) {
					require.NoError(t, err)
					got++
				}
				require.Equal(t, n, got)
				for sk := range n {
					require.Equal(t, 1, f.read[sk], "key %d read once", sk)
				}
				used, _ := opt.r.lim.Used()
				checkPace(t, f, f.requests("BatchGetItem"), time.Time{}, t0, limit, used, conc)
			})
		})
	}
}

func TestRateLimitAccuracyBatchWrite(t *testing.T) {
	t.Parallel()
	for _, report := range []bool{true, false} {
		t.Run(fmt.Sprintf("reported=%v", report), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n, conc = 600, 4
				f := newPacedFake(0)
				f.latency = 800 * time.Millisecond // about 3 requests in flight
				if report {
					f.units = func(k, n int) float64 { return float64(n)*2 + float64(k%5) }
				}
				const limit = 200.0
				opt := RateLimit(limit)
				ctx := context.Background()
				t0 := time.Now()
				require.NoError(t, f.table().BatchWriteFunc(ctx, func(b *BatchTable) error {
					for i := range n {
						// About 1.5 KB: 2 write units each (the estimate).
						if err := b.PutItem(ctx, map[string]any{"pk": "p", "sk": i, "pad": strings.Repeat("x", 1500)}); err != nil {
							return err
						}
					}
					return nil
				}, opt, Concurrency(conc)))
				for sk := range n {
					require.Equal(t, 1, f.written[sk], "item %d written once", sk)
				}
				reqs := f.requests("BatchWriteItem")
				if !report {
					for i := range reqs {
						reqs[i].units = float64(reqs[i].n) * 2
					}
				}
				used, _ := opt.r.lim.Used()
				checkPace(t, f, reqs, time.Time{}, t0, limit, used, conc)
			})
		})
	}
}
