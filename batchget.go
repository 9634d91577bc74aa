package dynamap

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BatchGet reads the items with the given keys (boto's batch_get) with
// BatchGetItem, 100 keys a request, fetching lazily as the ResultSet is
// iterated. Keys that DynamoDB leaves unprocessed are asked again with capped
// exponential backoff and jitter (MaxResends and Backoff; defaults 10 and
// 50ms–5s). Items come back in no particular order; keys with no item are
// simply absent, and a key given twice is asked (and returned) once.
// Options: Consistent, Attributes, MaxResends, Backoff, and Concurrency
// (default 1: one request at a time; with n > 1 up to n requests are in
// flight while the items already read are yielded, and they are cancelled
// and waited for when the iteration ends) or AutoConcurrency (the number in
// flight adapts; ResultSet.BatchStats tells what it settled on).
//
// Iterating validates every key first: an invalid key is a *KeyError before
// any request. Keys still unread when the retry budget runs out, or when a
// request fails for good, are returned in an *UnprocessedError (Keys) after
// every item that could be read. When the iteration's context ends, however
// and whenever it ends (canceled inside the loop, before the first request,
// or while requests are in flight), the sequence ends with an
// *UnprocessedError that wraps the context's error and lists every key not
// yet yielded (keys answered with no item are not listed). Count iterates.
func (t *Table) BatchGet(keys []Key, opts ...BatchGetOption) *ResultSet {
	cfg := applyOptions(&readConfig{}, opts, BatchGetOption.applyBatchGet)
	keys = cloneKeys(keys) // read when iterated: the caller may reuse its keys at once
	fl := newFlow(cfg.batchConcurrency, cfg.batchAutoMax, t.c.Options().MaxConcurrency)
	rs := newResultSetFromSource(t, len(cfg.attrs) > 0, true, func() (pageFunc, func()) {
		src := &batchGetSource{t: t, keys: keys, cfg: cfg, flow: fl}
		return src.next, src.stop
	})
	rs.attrs = cfg.attrs
	rs.batchStats = fl.snapshot
	return rs
}

// bgKey is one key to read.
type bgKey struct {
	av       map[string]types.AttributeValue
	id       string // canonical key
	attempts int    // re-sends so far
}

// batchGetSource is one iteration's page source.
type batchGetSource struct {
	t       *Table
	keys    []Key
	cfg     *readConfig
	started bool
	fields  []KeyField
	queue   []bgKey // keys to read, re-sends first
	failed  []bgKey // keys whose budget ran out
	lastErr error
	proj    *expression.Expression
	flow    *flow // shared by the ResultSet's iterations

	// With Concurrency(n > 1) or AutoConcurrency: requests in flight in goroutines, which use
	// gctx (the first page's context, cancelled by stop).
	flying  map[int][]bgKey // chunks in flight, by id
	nextID  int
	results chan bgResult
	gctx    context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// bgResult is the answer to one BatchGetItem of chunk.
type bgResult struct {
	id    int
	chunk []bgKey
	out   *dynamodb.BatchGetItemOutput
	err   error
}

func (s *batchGetSource) retry() retryPolicy {
	if s.cfg.batchRetry != nil {
		return *s.cfg.batchRetry
	}
	return defaultRetry
}

// start validates and de-duplicates the keys, and builds the projection.
func (s *batchGetSource) start(ctx context.Context) error {
	if err := s.cfg.rate.check(); err != nil {
		return err
	}
	sch, err := s.t.schemaFor(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return s.givenKeysErr(err)
		}
		return err
	}
	s.fields = sch.keys
	seen := make(map[string]bool, len(s.keys))
	for i, k := range s.keys {
		av, err := s.t.keyFromValues(sch.keys, map[string]any(k))
		if err != nil {
			return errorf("dynamap: batch get key %d: %w", i, err)
		}
		id := keyString(sch.keys, av)
		if seen[id] {
			continue
		}
		seen[id] = true
		s.queue = append(s.queue, bgKey{av: av, id: id})
	}
	if len(s.cfg.attrs) > 0 {
		expr, err := projectionExpr(sch, s.cfg.attrs)
		if err != nil {
			return err
		}
		s.proj = &expr
	}
	s.started = true
	return nil
}

// take removes the next chunk of up to 100 keys from the queue.
func (s *batchGetSource) take() []bgKey {
	n := min(len(s.queue), maxBatchGet)
	chunk := s.queue[:n:n]
	s.queue = s.queue[n:]
	return chunk
}

// send waits the backoff a re-sent chunk is due and its turn in the
// AutoConcurrency pace, then asks for it, and tells the flow how it went.
func (s *batchGetSource) send(ctx context.Context, chunk []bgKey) (*dynamodb.BatchGetItemOutput, error) {
	epoch, err := s.flow.pace(ctx, len(chunk))
	if err != nil {
		return nil, err
	}
	out, err := s.call(ctx, chunk)
	switch {
	case err == nil:
		left := 0
		if u, ok := out.UnprocessedKeys[s.t.name]; ok {
			left = len(u.Keys)
		}
		s.flow.observe(epoch, len(chunk), len(chunk)-left, attempts(out.ResultMetadata) > 1)
	case ctx.Err() == nil && retryableBatchErr(err):
		s.flow.observe(epoch, len(chunk), 0, true)
	}
	return out, err
}

// call waits the backoff a re-sent chunk is due, then asks for it.
func (s *batchGetSource) call(ctx context.Context, chunk []bgKey) (*dynamodb.BatchGetItemOutput, error) {
	if a := slices.MaxFunc(chunk, func(x, y bgKey) int { return x.attempts - y.attempts }).attempts; a > 0 {
		if err := s.flow.rest(ctx, s.retry().backoff(a-1)); err != nil {
			return nil, err
		}
	}
	ka := types.KeysAndAttributes{Keys: make([]map[string]types.AttributeValue, len(chunk))}
	for i, k := range chunk {
		ka.Keys[i] = k.av
	}
	if s.cfg.consistent {
		ka.ConsistentRead = ptr(true)
	}
	if s.proj != nil {
		ka.ProjectionExpression, ka.ExpressionAttributeNames = s.proj.Projection(), s.proj.Names()
	}
	return s.pacedBatchGet(ctx, &dynamodb.BatchGetItemInput{
		RequestItems: map[string]types.KeysAndAttributes{s.t.name: ka},
	})
}

// next returns the items of the next answer.
func (s *batchGetSource) next(ctx context.Context) ([]map[string]types.AttributeValue, bool, error) {
	if !s.started {
		if err := s.start(ctx); err != nil {
			return nil, false, err
		}
	}
	if ctx.Err() != nil {
		// Ended between answers (inside the caller's loop, or before the
		// first request): every key not yielded is unread.
		return nil, false, s.unprocessedErr(s.unread(nil), s.ctxErr(ctx))
	}
	if s.cfg.batchConcurrency > 1 || s.cfg.batchAutoMax > 0 {
		return s.nextConcurrent(ctx)
	}
	if len(s.queue) == 0 {
		return nil, false, s.leftover()
	}
	chunk := s.take()
	out, err := s.send(ctx, chunk)
	return s.absorb(ctx, bgResult{chunk: chunk, out: out, err: err})
}

// nextConcurrent keeps up to batchConcurrency requests in flight and returns
// the items of the first to answer.
func (s *batchGetSource) nextConcurrent(ctx context.Context) ([]map[string]types.AttributeValue, bool, error) {
	if s.results == nil {
		s.gctx, s.cancel = context.WithCancel(ctx)
		s.results = make(chan bgResult, max(s.cfg.batchConcurrency, s.cfg.batchAutoMax))
		s.flying = map[int][]bgKey{}
		s.launch()
	}
	if len(s.flying) == 0 {
		return nil, false, s.leftover()
	}
	var r bgResult
	select {
	case r = <-s.results:
	case <-ctx.Done():
		return nil, false, s.unprocessedErr(s.unread(nil), s.ctxErr(ctx))
	}
	delete(s.flying, r.id)
	s.flow.release()
	items, _, err := s.absorb(ctx, r)
	if err != nil {
		return nil, false, err
	}
	s.launch()
	return items, len(s.flying) > 0 || len(s.failed) > 0, nil
}

// launch starts requests for queued keys while the flow has a free slot
// (fewer than Concurrency's n, or AutoConcurrency's choice, in flight). The
// goroutines use the context of the first page (cancelled by stop); each
// sends its one answer to the buffered results channel (as large as the
// most slots there can be), so none ever blocks. A slot is freed when its
// answer is received, or by stop.
func (s *batchGetSource) launch() {
	for len(s.queue) > 0 && s.flow.tryAcquire() {
		chunk := s.take()
		id := s.nextID
		s.nextID++
		s.flying[id] = chunk
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			out, err := s.send(s.gctx, chunk)
			s.results <- bgResult{id: id, chunk: chunk, out: out, err: err}
		}()
	}
}

// absorb takes in one answer: its items, and its unprocessed keys queued
// again (or failed, once their budget is spent). A request that failed for
// good, or a cancelled context, ends the read with every key not yet read.
func (s *batchGetSource) absorb(ctx context.Context, r bgResult) ([]map[string]types.AttributeValue, bool, error) {
	name := s.t.name
	var again []bgKey
	var items []map[string]types.AttributeValue
	if r.err != nil {
		err := r.err
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		err = errorf("dynamap: batch get %q: %w", name, wrapErr(err))
		if ctx.Err() != nil || !retryableBatchErr(err) {
			return nil, false, s.unprocessedErr(s.unread(r.chunk), err)
		}
		s.lastErr = err
		again = r.chunk
	} else {
		items = r.out.Responses[name]
		if u, ok := r.out.UnprocessedKeys[name]; ok && len(u.Keys) > 0 {
			want := make(map[string]bool, len(u.Keys))
			for _, k := range u.Keys {
				want[keyString(s.fields, k)] = true
			}
			for _, k := range r.chunk {
				if want[k.id] {
					again = append(again, k)
				}
			}
		}
	}
	var retry []bgKey
	for _, k := range again {
		k.attempts++
		if k.attempts > s.retry().maxResends {
			s.failed = append(s.failed, k)
		} else {
			retry = append(retry, k)
		}
	}
	s.queue = append(retry, s.queue...)
	return items, len(s.queue) > 0 || len(s.failed) > 0, nil
}

// leftover is the error for keys whose retry budget ran out, if any.
func (s *batchGetSource) leftover() error {
	if len(s.failed) > 0 {
		return s.unprocessedErr(s.failed, s.lastErr)
	}
	return nil
}

// unread lists every key not read: extra, the chunks in flight, the queue
// and the failed keys.
func (s *batchGetSource) unread(extra []bgKey) []bgKey {
	out := slices.Clone(extra)
	for _, id := range slices.Sorted(maps.Keys(s.flying)) {
		out = append(out, s.flying[id]...)
	}
	out = append(out, s.queue...)
	return append(out, s.failed...)
}

// stop cancels the requests still in flight, waits for their goroutines
// and frees their slots.
func (s *batchGetSource) stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	for range s.flying {
		s.flow.release()
	}
	clear(s.flying)
}

// ctxErr is the error for a context that ended: why (a deadline, a
// cancel cause), wrapped as the error of a request would be.
func (s *batchGetSource) ctxErr(ctx context.Context) error {
	return errorf("dynamap: batch get %q: %w", s.t.name, wrapErr(context.Cause(ctx)))
}

// givenKeysErr lists every key as given when the context ended before the
// table's key schema was known (so keys could not be checked or
// de-duplicated): none was read. err is why the schema is not known.
func (s *batchGetSource) givenKeysErr(err error) error {
	e := &UnprocessedError{Table: s.t.name, Err: errorf("dynamap: batch get %q: %w", s.t.name, err)}
	for i, k := range s.keys {
		av, merr := encodeItem(s.t.codec(), map[string]any(k))
		if merr != nil {
			return errorf("dynamap: batch get key %d: %w", i, merr)
		}
		e.Keys = append(e.Keys, av)
	}
	return e
}

func (s *batchGetSource) unprocessedErr(keys []bgKey, err error) error {
	e := &UnprocessedError{Table: s.t.name, Err: err}
	for _, k := range keys {
		e.Keys = append(e.Keys, k.av)
	}
	return e
}
