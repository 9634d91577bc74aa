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
// (default 1: one request at a time, sent when the loop asks for more) or
// AutoConcurrency (the number in flight adapts; ResultSet.BatchStats tells
// what it settled on).
//
// With Concurrency(n > 1) or AutoConcurrency(n), requests go out in the
// background while the loop works: up to n in flight (AutoConcurrency: as
// many as it chose), a new one sent as soon as one is answered, as long as
// fewer than 2n answers are in flight or waiting for the loop. So at most
// 2n answers (up to 100 items each) are held besides the one being yielded,
// and a loop slower than the table stops the requests until it catches up.
// Keys left unprocessed are queued again, ahead of the keys not yet asked,
// as soon as their answer arrives. Items come in the order their answers
// arrive (no particular order, as with one request at a time). When the
// iteration ends (the loop breaks, the context ends, an error), the
// requests in flight are cancelled and waited for, and answers not yielded
// are dropped.
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
	proj    *expression.Expression
	flow    *flow // shared by the ResultSet's iterations

	// mu guards what the request goroutines share with the iteration (with
	// Concurrency(n > 1) or AutoConcurrency); the sequential path takes it
	// too, uncontended.
	mu      sync.Mutex
	queue   []bgKey // keys to read, re-sends first
	failed  []bgKey // keys whose budget ran out
	lastErr error

	// With Concurrency(n > 1) or AutoConcurrency: requests sent by
	// goroutines, which use gctx (the first page's context, cancelled by
	// stop) and hand their answers over in results.
	flying   map[int][]bgKey // keys of the requests in flight or answered and not yet yielded, by id
	nextID   int
	inflight int  // requests in flight
	waiting  int  // answers received, not yet taken by the iteration
	bound    int  // n: Concurrency's n, AutoConcurrency's max
	halted   bool // a request failed for good, or gctx ended: send no more
	results  chan bgResult
	gctx     context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
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
	seen := make(map[string]struct{}, len(s.keys))
	queue := make([]bgKey, 0, len(s.keys))
	for i, k := range s.keys {
		av, err := s.t.keyFromValues(sch.keys, map[string]any(k))
		if err != nil {
			return errorf("dynamap: batch get key %d: %w", i, err)
		}
		id := keyString(sch.keys, av)
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		queue = append(queue, bgKey{av: av, id: id})
	}
	if len(s.cfg.attrs) > 0 {
		expr, err := projectionExpr(sch, s.cfg.attrs)
		if err != nil {
			return err
		}
		s.proj = &expr
	}
	s.queue = queue
	s.started = true
	return nil
}

// take removes the next chunk of up to 100 keys from the queue. s.mu is
// held.
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
	a := 0
	for _, k := range chunk {
		a = max(a, k.attempts)
	}
	if a > 0 {
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
		s.mu.Lock()
		defer s.mu.Unlock()
		return nil, false, s.unprocessedErr(s.unread(nil), s.ctxErr(ctx))
	}
	if s.cfg.batchConcurrency > 1 || s.cfg.batchAutoMax > 0 {
		return s.nextConcurrent(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil, false, s.leftover()
	}
	chunk := s.take()
	s.mu.Unlock()
	out, err := s.send(ctx, chunk)
	s.mu.Lock()
	r := bgResult{chunk: chunk, out: out, err: err}
	if err := s.settle(ctx, &r); err != nil {
		return nil, false, s.unprocessedErr(s.unread(r.chunk), err)
	}
	return r.items(s.t.name), len(s.queue) > 0 || len(s.failed) > 0, nil
}

// nextConcurrent returns the items of the next answer received, keeping
// requests in flight meanwhile (see launch).
func (s *batchGetSource) nextConcurrent(ctx context.Context) ([]map[string]types.AttributeValue, bool, error) {
	s.mu.Lock()
	if s.results == nil {
		s.gctx, s.cancel = context.WithCancel(ctx)
		s.bound = max(s.cfg.batchConcurrency, s.cfg.batchAutoMax, 1)
		// Every request's answer fits: at most 2n are in flight or waiting.
		s.results = make(chan bgResult, 2*s.bound)
		s.flying = map[int][]bgKey{}
		s.launch()
	}
	if len(s.flying) == 0 {
		defer s.mu.Unlock()
		return nil, false, s.leftover()
	}
	s.mu.Unlock()
	var r bgResult
	select {
	case r = <-s.results:
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		return nil, false, s.unprocessedErr(s.unread(nil), s.ctxErr(ctx))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting--
	if r.err != nil {
		// Failed for good, or the context ended: r's keys are still in
		// flying, listed with every other key not yielded.
		err := r.err
		if ctx.Err() != nil {
			err = errorf("dynamap: batch get %q: %w", s.t.name, wrapErr(context.Cause(ctx)))
		}
		return nil, false, s.unprocessedErr(s.unread(nil), err)
	}
	delete(s.flying, r.id)
	s.launch()
	return r.items(s.t.name), len(s.flying) > 0 || len(s.queue) > 0 || len(s.failed) > 0, nil
}

// launch starts requests for queued keys while the flow has a free slot
// (fewer than Concurrency's n, or AutoConcurrency's choice, in flight) and
// fewer than 2n answers are in flight or waiting for the iteration. It is
// called when the iteration takes an answer and when one is received, so
// the requests in flight do not wait for the caller's loop. Each goroutine
// uses gctx (cancelled by stop), frees its slot as soon as it is
// answered, queues the keys left unprocessed again at once (first), and
// sends its answer to the results channel, which has room for every answer
// there can be, so it never blocks. s.mu is held.
func (s *batchGetSource) launch() {
	for len(s.queue) > 0 && !s.halted && s.inflight+s.waiting < 2*s.bound && s.flow.tryAcquire() {
		chunk := s.take()
		id := s.nextID
		s.nextID++
		s.flying[id] = chunk
		s.inflight++
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			out, err := s.send(s.gctx, chunk)
			s.flow.release()
			r := bgResult{id: id, chunk: chunk, out: out, err: err}
			s.mu.Lock()
			s.inflight--
			s.waiting++
			if r.err = s.settle(s.gctx, &r); r.err != nil {
				s.halted = true
			} else {
				s.flying[id] = r.chunk
				s.launch()
			}
			s.mu.Unlock()
			s.results <- r
		}()
	}
}

// settle takes in one answer: the keys left unprocessed (or the whole
// chunk of a request that failed with a retryable error) are queued again,
// first, or failed once their budget is spent, and r.chunk becomes the
// keys answered. It returns the error that ends the read: the request
// failed for good, or ctx ended (r.chunk is then unread). s.mu is held.
func (s *batchGetSource) settle(ctx context.Context, r *bgResult) error {
	name := s.t.name
	var again []bgKey
	if r.err != nil {
		err := r.err
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		err = errorf("dynamap: batch get %q: %w", name, wrapErr(err))
		if ctx.Err() != nil || !retryableBatchErr(err) {
			return err
		}
		s.lastErr = err
		again, r.chunk, r.out = r.chunk, nil, nil
	} else if u, ok := r.out.UnprocessedKeys[name]; ok && len(u.Keys) > 0 {
		want := make(map[string]bool, len(u.Keys))
		for _, k := range u.Keys {
			want[keyString(s.fields, k)] = true
		}
		answered := make([]bgKey, 0, len(r.chunk)-min(len(u.Keys), len(r.chunk)))
		for _, k := range r.chunk {
			if want[k.id] {
				again = append(again, k)
			} else {
				answered = append(answered, k)
			}
		}
		r.chunk = answered
	}
	if len(again) == 0 {
		return nil
	}
	retry := make([]bgKey, 0, len(again)+len(s.queue))
	for _, k := range again {
		k.attempts++
		if k.attempts > s.retry().maxResends {
			s.failed = append(s.failed, k)
		} else {
			retry = append(retry, k)
		}
	}
	s.queue = append(retry, s.queue...)
	return nil
}

// items are the items of an answer (none for a request to re-send).
func (r *bgResult) items(table string) []map[string]types.AttributeValue {
	if r.out == nil {
		return nil
	}
	return r.out.Responses[table]
}

// leftover is the error for keys whose retry budget ran out, if any. s.mu
// is held.
func (s *batchGetSource) leftover() error {
	if len(s.failed) > 0 {
		return s.unprocessedErr(s.failed, s.lastErr)
	}
	return nil
}

// unread lists every key not read: extra, the chunks in flight or not yet
// yielded, the queue and the failed keys. s.mu is held.
func (s *batchGetSource) unread(extra []bgKey) []bgKey {
	out := slices.Clone(extra)
	for _, id := range slices.Sorted(maps.Keys(s.flying)) {
		out = append(out, s.flying[id]...)
	}
	out = append(out, s.queue...)
	return append(out, s.failed...)
}

// stop cancels the requests still in flight and waits for their
// goroutines (each frees its own slot).
func (s *batchGetSource) stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	s.mu.Lock()
	clear(s.flying)
	s.mu.Unlock()
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
