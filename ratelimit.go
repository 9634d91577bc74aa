package dynamap

import (
	"context"
	"fmt"

	"github.com/dynamap/dynamap/internal/capacity"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/pace"
	"github.com/dynamap/dynamap/internal/pager"
)

// RateLimitOption is the option RateLimit returns. It fits Query, Scan
// (Segment and Parallel included), BatchGet, BatchWrite and BatchWriteFunc;
// passed to any other call it is a compile error. Its zero value sets no
// limit.
type RateLimitOption struct{ r *rateLimit }

// rateLimit is one budget, shared by every call a RateLimitOption is
// passed to.
type rateLimit struct {
	rate float64
	lim  *pace.Limiter // nil when rate is invalid
}

// RateLimit holds the calls it is passed to to unitsPerSecond capacity
// units per second, on average: read units for Query, Scan and BatchGet,
// write units for batch writes (PynamoDB's scan rate_limit, made general).
// Before each request the call waits until the budget allows one; after it,
// the budget is charged what the request consumed, as DynamoDB reports it
// (the call asks for ReturnConsumedCapacity TOTAL). When an answer carries
// no consumed capacity (some emulators), the cost is estimated by
// DynamoDB's rules from the items returned or written: reads 4 KB a unit
// (a whole request for Query and Scan, each item for BatchGet; half for
// eventually consistent reads, at least 0.5 a request), writes 1 KB a unit
// per item, a delete 1 unit. The estimate cannot see items a filter
// dropped or attributes a projection left out, so it undercounts those.
//
// One RateLimit value is one budget: every call it is passed to, and every
// segment of a Parallel scan, every request in flight of a BatchGet or
// batch writer with Concurrency, spends from it (mixing read and write
// units if passed to both kinds of call). Call RateLimit once per call to
// give each its own. Budget left unused while the caller is busy is kept
// up to one second's worth; a new budget starts empty, so the first request
// goes at once. Waiting honours the call's context (for a batch writer, the
// background send's, see BatchTable). Concurrent requests each reserve the
// average cost seen so far, so the units consumed over a run stay within
// unitsPerSecond × its duration plus the requests in flight.
//
// unitsPerSecond must be positive and finite: otherwise the call returns a
// *ValueError (ErrInvalidValue) before any request (Query and Scan when
// iterated or counted, BatchGet when iterated, a batch writer from PutItem
// and DeleteItem, which then accept nothing). Default: no limit.
func RateLimit(unitsPerSecond float64) RateLimitOption {
	r := &rateLimit{rate: unitsPerSecond}
	if pace.Valid(unitsPerSecond) {
		r.lim = pace.New(unitsPerSecond, nil)
	}
	return RateLimitOption{r: r}
}

func (o RateLimitOption) applyQuery(c *readConfig)    { c.rate = o.r }
func (o RateLimitOption) applyScan(c *readConfig)     { c.rate = o.r }
func (o RateLimitOption) applyBatchGet(c *readConfig) { c.rate = o.r }
func (o RateLimitOption) applyBatch(c *batchConfig)   { c.rate = o.r }

// check returns the *ValueError of an invalid rate (nil: no limit set, or
// a valid one).
func (r *rateLimit) check() error {
	if r == nil || r.lim != nil {
		return nil
	}
	return &ValueError{Reason: fmt.Sprintf("RateLimit(%v): the rate must be a positive, finite number of capacity units per second", r.rate)}
}

// wait waits until the budget allows a request and returns the units it
// reserved (see pace.Limiter.Wait). With no limit it returns at once.
func (r *rateLimit) wait(ctx context.Context) (float64, error) {
	if r == nil || r.lim == nil {
		return 0, nil
	}
	return r.lim.Wait(ctx)
}

// charge settles a request that reserved units: used is what DynamoDB
// reported or, when it reported nothing, the estimate (0 for a request
// that failed).
func (r *rateLimit) charge(reserved, used float64) {
	if r == nil || r.lim == nil {
		return
	}
	r.lim.Charge(reserved, used)
}

// returnCapacity is the ReturnConsumedCapacity a batch asks for: TOTAL
// with a limit, none without (no change to what it sent before).
func (r *rateLimit) returnCapacity() types.ReturnConsumedCapacity {
	if r == nil || r.lim == nil {
		return ""
	}
	return types.ReturnConsumedCapacityTotal
}

// pacedFetch wraps a Query or Scan page fetcher: it waits for the budget
// before each request and charges the capacity the page reports, or, when
// it reports none, an estimate from the page's items (see readUnits).
func (r *rateLimit) pacedFetch(fetch pager.FetchFunc, consistent bool) pager.FetchFunc {
	if r == nil || r.lim == nil {
		return fetch
	}
	return func(ctx context.Context, seg int, start map[string]types.AttributeValue, limit int32, count bool) (pager.Page, error) {
		res, err := r.wait(ctx)
		if err != nil {
			return pager.Page{}, errorf("dynamap: waiting for RateLimit: %w", context.Cause(ctx))
		}
		pg, err := fetch(ctx, seg, start, limit, count)
		used := pg.Capacity
		if err == nil && used <= 0 {
			used = readUnits(pg.Items, consistent)
		}
		r.charge(res, used)
		return pg, err
	}
}

// readUnits estimates the read units of one Query or Scan request that
// returned items: their sizes summed and rounded up to 4 KB a unit, half
// for an eventually consistent read, at least 0.5 (DynamoDB's minimum).
func readUnits(items []map[string]types.AttributeValue, consistent bool) float64 {
	size := 0
	for _, it := range items {
		size += itemSize(it)
	}
	return capacity.ReadUnits(size, consistent)
}

// batchGetUnits estimates the read units of a BatchGetItem answer: 4 KB a
// unit for each item, rounded up per item, half when eventually consistent.
func batchGetUnits(items []map[string]types.AttributeValue, consistent bool) float64 {
	var units float64
	for _, it := range items {
		units += capacity.ReadUnits(itemSize(it), consistent)
	}
	return units
}

// batchWriteUnits estimates the write units of the requests of a
// BatchWriteItem that DynamoDB processed: 1 KB a unit for each put, rounded
// up per item, and 1 for each delete (the deleted item's size is unknown).
func batchWriteUnits(done []writeReq) float64 {
	var units float64
	for _, w := range done {
		if w.put != nil {
			units += capacity.WriteUnits(w.size)
		} else {
			units += capacity.WriteUnits(0) // the deleted item's size is unknown: the minimum
		}
	}
	return units
}

// tableUnits sums the capacity units a batch answer reports for table;
// ok is false when it reports none.
func tableUnits(cc []types.ConsumedCapacity, table string) (units float64, ok bool) {
	for _, c := range cc {
		if c.TableName != nil && *c.TableName != table {
			continue
		}
		if c.CapacityUnits != nil {
			units += *c.CapacityUnits
			ok = true
		}
	}
	return units, ok
}

// pacedBatchGet sends one BatchGetItem of s's table within its RateLimit:
// it waits for the budget, asks for the consumed capacity, and charges what
// DynamoDB reports (or the estimate from the items returned).
func (s *batchGetSource) pacedBatchGet(ctx context.Context, in *dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) {
	r := s.cfg.rate
	res, err := r.wait(ctx)
	if err != nil {
		return nil, err
	}
	in.ReturnConsumedCapacity = r.returnCapacity()
	out, err := s.t.c.API().BatchGetItem(ctx, in, s.cfg.sdk...)
	var used float64
	if err == nil && r != nil && r.lim != nil { // without a limit, nothing to charge: no sizing of every item
		var ok bool
		if used, ok = tableUnits(out.ConsumedCapacity, s.t.name); !ok {
			used = batchGetUnits(out.Responses[s.t.name], s.cfg.consistent)
		}
	}
	r.charge(res, used)
	return out, err
}

// pacedBatchWrite sends one BatchWriteItem of pending within b's RateLimit
// (see pacedBatchGet); without a limit it is the plain call.
func (b *BatchTable) pacedBatchWrite(ctx context.Context, pending []writeReq, in *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error) {
	r := b.cfg.rate
	res, err := r.wait(ctx)
	if err != nil {
		return nil, err
	}
	in.ReturnConsumedCapacity = r.returnCapacity()
	out, err := b.t.c.API().BatchWriteItem(ctx, in)
	var used float64
	if err == nil && r != nil {
		var ok bool
		if used, ok = tableUnits(out.ConsumedCapacity, b.t.name); !ok {
			used = batchWriteUnits(b.processed(pending, out.UnprocessedItems[b.t.name]))
		}
	}
	r.charge(res, used)
	return out, err
}

// processed is the part of sent that DynamoDB did not leave unprocessed.
func (b *BatchTable) processed(sent []writeReq, back []types.WriteRequest) []writeReq {
	if len(back) == 0 {
		return sent
	}
	left := map[string]bool{}
	for _, r := range b.unprocessed(sent, back) {
		left[r.key] = true
	}
	var done []writeReq
	for _, r := range sent {
		if !left[r.key] {
			done = append(done, r)
		}
	}
	return done
}
