package dynamap

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/dynamap/dynamap/internal/codec"
)

// DynamoDB's batch limits.
const (
	maxBatchWrite      = 25               // requests per BatchWriteItem
	maxBatchGet        = 100              // keys per BatchGetItem
	maxItemSize        = 400 * 1024       // bytes per item
	maxBatchWriteBytes = 16 * 1024 * 1024 // bytes per BatchWriteItem request
)

// retryPolicy is the budget for re-sending what DynamoDB left unprocessed.
type retryPolicy struct {
	maxResends int           // re-sends of one request after the first send
	base       time.Duration // first backoff
	max        time.Duration // backoff cap
}

// defaultRetry: 10 re-sends, 50ms doubling up to 5s, with jitter.
var defaultRetry = retryPolicy{maxResends: 10, base: 50 * time.Millisecond, max: 5 * time.Second}

// backoff returns the pause before re-send number attempt (0-based): a
// random duration in [d/2, d] where d = min(max, base·2^attempt).
func (p retryPolicy) backoff(attempt int) time.Duration {
	d := p.max
	if attempt < 32 {
		if e := p.base << attempt; e > 0 && e < p.max {
			d = e
		}
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleepCtx pauses for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// retryableBatchErr reports whether a failed BatchWriteItem or BatchGetItem
// call (after the SDK retryer gave up) may be re-sent as a whole: throttling,
// a 5xx answer, or a broken connection. Batch puts, deletes and gets are
// idempotent, so re-sending them is safe.
func retryableBatchErr(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if IsThrottled(err) {
		return true
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// BatchOption configures BatchWrite and BatchWriteFunc.
type BatchOption interface{ applyBatch(*batchConfig) }

// BatchSharedOption fits BatchWrite, BatchWriteFunc and BatchGet.
type BatchSharedOption interface {
	BatchOption
	BatchGetOption
}

type batchConfig struct {
	retry       retryPolicy
	concurrency int // Concurrency(n); 0 with AutoConcurrency
	autoMax     int // AutoConcurrency(max); 0 with Concurrency
	onProgress  func(written, pending int)
	rate        *rateLimit // RateLimit's budget; nil: none
}

type batchFunc func(*batchConfig)

func (f batchFunc) applyBatch(c *batchConfig) { f(c) }

type batchRetryFunc func(*retryPolicy)

func (f batchRetryFunc) applyBatch(c *batchConfig) { f(&c.retry) }
func (f batchRetryFunc) applyBatchGet(c *readConfig) {
	if c.batchRetry == nil {
		p := defaultRetry
		c.batchRetry = &p
	}
	f(c.batchRetry)
}

// MaxResends is how many times a batch re-sends one request (a put, a delete
// or a key to read) that DynamoDB left unprocessed, or that was in a call
// rejected as a whole by throttling, a 5xx answer or a broken connection after
// the connection's own retryer (conn.Options.MaxRetries, per SDK call) gave
// up. When the budget runs out the request is returned in an
// *UnprocessedError. Default: 10. n < 0 means 0.
func MaxResends(n int) BatchSharedOption {
	return batchRetryFunc(func(p *retryPolicy) { p.maxResends = max(n, 0) })
}

// Backoff sets the pause before a batch re-sends unprocessed requests: re-send
// k waits a random duration between half and all of min(maxDelay, base·2^k).
// Default: base 50ms, maxDelay 5s.
func Backoff(base, maxDelay time.Duration) BatchSharedOption {
	return batchRetryFunc(func(p *retryPolicy) { p.base, p.max = max(base, 0), max(maxDelay, 0) })
}

// Concurrency lets a BatchTable keep up to n BatchWriteItem calls in flight
// while the caller keeps adding requests (default 1: one call in flight while
// the next 25 requests are buffered), and BatchGet keep up to n
// BatchGetItem calls in flight while the items already read are yielded
// (default 1: one at a time). n < 1 means 1. AutoConcurrency lets the batch
// choose instead; of the two, the last one given wins.
func Concurrency(n int) BatchSharedOption { return concurrencyOption(max(n, 1)) }

type concurrencyOption int

func (n concurrencyOption) applyBatch(c *batchConfig) { c.concurrency, c.autoMax = int(n), 0 }
func (n concurrencyOption) applyBatchGet(c *readConfig) {
	c.batchConcurrency, c.batchAutoMax = int(n), 0
}

// OnProgress registers fn, called after every BatchWriteItem answer (and
// after requests are given up) with the number of requests written so far
// and the number handed to the writer but neither written nor failed yet,
// both as they were right after that answer. Default: none.
//
// Calls are serialized and made in order, with no lock of the writer held:
// fn may call Flush, PutItem, DeleteItem or Close on the writer. They come
// from a goroutine of the writer or from a goroutine calling Flush or Close.
// When Flush or Close returns, the calls reporting the sends it waited for
// have been made (and have returned), so the last one carries the final
// counts; a Flush or Close called from inside fn does not wait for the
// calls after the one it runs in (they follow when fn returns).
func OnProgress(fn func(written, pending int)) BatchOption {
	return batchFunc(func(c *batchConfig) { c.onProgress = fn })
}

// writeReq is one buffered put or delete.
type writeReq struct {
	key  string                          // canonical key, for de-duplication
	put  map[string]types.AttributeValue // the item, for a put
	del  map[string]types.AttributeValue // the key, for a delete
	size int                             // estimated bytes
	// replaced are the earlier requests on the same key that this one
	// superseded in its buffer, oldest first: applying them all in order
	// leaves what this one leaves, so they are written when it is, and
	// not written when it is not.
	replaced []writeReq
}

// weight is how many requests handed to the writer reqs stand for.
func weight(reqs []writeReq) int {
	n := len(reqs)
	for _, r := range reqs {
		n += len(r.replaced)
	}
	return n
}

func (r writeReq) sdk() types.WriteRequest {
	if r.put != nil {
		return types.WriteRequest{PutRequest: &types.PutRequest{Item: r.put}}
	}
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: r.del}}
}

// BatchTable buffers puts and deletes for one table and writes them with
// BatchWriteItem, 25 at a time, re-sending whatever DynamoDB leaves
// unprocessed with capped exponential backoff and jitter. A buffer is sent
// as soon as it holds 25 requests (or when the next request would take it
// over DynamoDB's 16 MB per call), and by Flush and Close. Nothing handed to
// it is dropped: each request is written, or returned in an
// *UnprocessedError by a later call or by Close.
//
// Contexts: the context of PutItem and DeleteItem bounds only that call's
// own waiting (for a free send slot, see Concurrency, and for earlier calls
// on the same keys); when it ends there, the request is not accepted and the
// call returns its error. Sends run in the background under a context owned
// by the writer: the context of the call that dispatched them with its
// cancellation removed (context.WithoutCancel: its values, such as trace
// ids, are kept), so a request context that ends once its call returned
// (an HTTP handler's) cancels nothing. Background sends are canceled only
// when the context of a Flush or Close waiting for them ends; their requests
// are then reported as unprocessed.
//
// A BatchTable is safe for concurrent use. Requests on the same key are
// applied in the order they were handed over: inside one buffer the last one
// wins (DynamoDB rejects two requests on one key in a call), and a buffer is
// not sent while an earlier call holding one of its keys is still in flight.
type BatchTable struct {
	t    *Table
	cfg  batchConfig
	flow *flow // slots for calls in flight, and AutoConcurrency's pace

	mu      sync.Mutex // producers: buffer and dispatch
	buf     []writeReq
	bufIdx  map[string]int
	bufSize int
	closed  bool

	smu      sync.Mutex                // state shared with the senders
	inflight map[string]chan struct{}  // keys of calls in flight, to the call's done channel
	sends    map[chan struct{}]sending // calls in flight, by done channel
	failed   []writeReq
	failErr  error
	accepted int
	written  int
	nfailed  int

	// OnProgress reports (under smu): queued in order, and made one at a
	// time, with no lock held, by one goroutine at a time (the reporter).
	reports    []progressReport
	queued     uint64        // reports queued so far
	delivered  uint64        // reports whose call has returned
	reporting  bool          // a goroutine is making the calls
	reporterID uint64        // its goroutine id
	changed    chan struct{} // closed (and replaced) when delivered or reporting change
}

// sending is one background BatchWriteItem call (with its re-sends).
type sending struct {
	done   chan struct{} // closed when the call has recorded its outcome
	cancel context.CancelCauseFunc
}

// progressReport is one OnProgress call to make.
type progressReport struct{ written, pending int }

// BatchWrite returns a writer that buffers puts and deletes for t (boto's
// batch_write). It does no I/O. Close it to send what is buffered and learn
// what could not be written; BatchWriteFunc does that for you.
func (t *Table) BatchWrite(opts ...BatchOption) *BatchTable {
	cfg := batchConfig{retry: defaultRetry, concurrency: 1}
	applyOptions(&cfg, opts, BatchOption.applyBatch)
	return &BatchTable{
		t:        t,
		cfg:      cfg,
		flow:     newFlow(cfg.concurrency, cfg.autoMax, t.c.Options().MaxConcurrency),
		bufIdx:   map[string]int{},
		inflight: map[string]chan struct{}{},
		sends:    map[chan struct{}]sending{},
		changed:  make(chan struct{}),
	}
}

// BatchWriteFunc runs fn with a new BatchTable for t and always closes it. It
// returns fn's error or Close's; when both fail, one error that holds both
// (errors.Is and errors.As reach each).
func (t *Table) BatchWriteFunc(ctx context.Context, fn func(b *BatchTable) error, opts ...BatchOption) error {
	b := t.BatchWrite(opts...)
	err := fn(b)
	cerr := b.Close(ctx)
	if err == nil || cerr == nil {
		return cmp.Or(err, cerr)
	}
	return errorf("%w; closing the batch: %w", err, cerr)
}

// PutItem buffers a put of data (a map[string]any, a map of attribute
// values, an *Item or a struct), and sends the buffer when it is full. A
// missing or mistyped key, or an item over DynamoDB's 400 KB limit, is an
// error and nothing is buffered. ctx bounds only the wait for a free send
// slot when the buffer is full (see BatchTable). A non-nil error always
// means data was not accepted; an *UnprocessedError then lists earlier
// requests that could not be written.
func (b *BatchTable) PutItem(ctx context.Context, data any) error {
	if err := b.cfg.rate.check(); err != nil {
		return err
	}
	av, err := encodeItem(b.t.codec(), data)
	if err != nil {
		return err
	}
	s, err := b.t.schemaFor(ctx)
	if err != nil {
		return err
	}
	if err := b.t.checkItem(s, av); err != nil {
		return err
	}
	size := itemSize(av)
	return b.add(ctx, writeReq{key: keyString(s.keys, av), put: av, size: size})
}

// DeleteItem buffers a delete of key, and sends the buffer when it is full.
// An invalid key is a *KeyError and nothing is buffered. ctx bounds only the
// wait for a free send slot when the buffer is full (see BatchTable). A
// non-nil error always means the delete was not accepted; an
// *UnprocessedError then lists earlier requests that could not be written.
func (b *BatchTable) DeleteItem(ctx context.Context, key Key) error {
	if err := b.cfg.rate.check(); err != nil {
		return err
	}
	s, err := b.t.schemaFor(ctx)
	if err != nil {
		return err
	}
	av, err := b.t.keyFromValues(s.keys, map[string]any(key))
	if err != nil {
		return err
	}
	return b.add(ctx, writeReq{key: keyString(s.keys, av), del: av, size: itemSize(av)})
}

func (b *BatchTable) add(ctx context.Context, r writeReq) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if err := b.takeFailure(); err != nil {
		return err
	}
	if i, ok := b.bufIdx[r.key]; ok {
		// The earlier request is superseded: DynamoDB takes one request
		// per key in a call, and applying both in order leaves what the
		// last one leaves. It travels with r: written when r is, and
		// reported unprocessed with r when r is not.
		old := b.buf[i]
		r.replaced = append(old.replaced, old)
		old.replaced = nil
		r.replaced[len(r.replaced)-1] = old
		b.bufSize += r.size - old.size
		b.buf[i] = r
		b.smu.Lock()
		b.accepted++
		b.smu.Unlock()
		return nil
	}
	if b.bufSize+r.size > maxBatchWriteBytes {
		// r would take the call over 16 MB: send what is buffered first.
		if err := b.dispatch(ctx); err != nil {
			return err
		}
	}
	b.bufIdx[r.key] = len(b.buf)
	b.buf = append(b.buf, r)
	b.bufSize += r.size
	b.smu.Lock()
	b.accepted++
	b.smu.Unlock()
	if len(b.buf) < maxBatchWrite {
		return nil
	}
	// Full: send it now (boto sends at 25 too), not when a 26th arrives.
	if err := b.dispatch(ctx); err != nil {
		// Not sent: take r back, so that the error means "not accepted"
		// and the buffer stays under 25 between calls.
		b.buf = b.buf[:len(b.buf)-1]
		delete(b.bufIdx, r.key)
		b.bufSize -= r.size
		b.smu.Lock()
		b.accepted--
		b.smu.Unlock()
		return err
	}
	return nil
}

// dispatch hands the buffer to a sender goroutine, waiting (as long as ctx
// allows) for earlier calls on the same keys and for a free slot. The send
// runs under ctx without its cancellation, canceled by a Flush or Close
// whose context ends while waiting for it. On error the buffer is kept.
// b.mu is held.
func (b *BatchTable) dispatch(ctx context.Context) error {
	if len(b.buf) == 0 {
		return nil
	}
	chunk := b.buf
	// Wait until no call in flight holds one of the chunk's keys, so that
	// requests on one key are applied in the order they were made.
	for {
		b.smu.Lock()
		var wait chan struct{}
		for _, r := range chunk {
			if ch, ok := b.inflight[r.key]; ok {
				wait = ch
				break
			}
		}
		b.smu.Unlock()
		if wait == nil {
			break
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return b.waitErr(ctx)
		}
	}
	if err := b.flow.acquire(ctx); err != nil { // a free slot is taken even if ctx is done
		return b.waitErr(ctx)
	}
	b.buf = make([]writeReq, 0, maxBatchWrite)
	clear(b.bufIdx)
	b.bufSize = 0
	done := make(chan struct{})
	sctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	b.smu.Lock()
	for _, r := range chunk {
		b.inflight[r.key] = done
	}
	b.sends[done] = sending{done: done, cancel: cancel}
	b.smu.Unlock()
	go b.send(sctx, chunk, done, cancel)
	return nil
}

func (b *BatchTable) waitErr(ctx context.Context) error {
	return errorf("dynamap: batch write %q: waiting to send: %w", b.t.name, context.Cause(ctx))
}

// send writes chunk, re-sending what is left unprocessed within the retry
// budget, and records what could not be written. Once done it releases its
// slot and keys, then makes the OnProgress calls queued if no other
// goroutine is making them.
func (b *BatchTable) send(ctx context.Context, chunk []writeReq, done chan struct{}, cancel context.CancelCauseFunc) {
	defer b.report()
	defer func() {
		b.smu.Lock()
		for _, r := range chunk {
			if b.inflight[r.key] == done {
				delete(b.inflight, r.key)
			}
		}
		delete(b.sends, done)
		b.smu.Unlock()
		cancel(nil)
		b.flow.release()
		close(done)
	}()
	name := b.t.name
	pending := chunk
	var lastErr error
	for attempt := 0; ; attempt++ {
		reqs := make([]types.WriteRequest, len(pending))
		for i, r := range pending {
			reqs[i] = r.sdk()
		}
		epoch, err := b.flow.pace(ctx, len(reqs))
		var out *dynamodb.BatchWriteItemOutput
		if err == nil {
			out, err = b.pacedBatchWrite(ctx, pending, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{name: reqs},
			})
		}
		var left []writeReq
		if err != nil {
			if ctx.Err() != nil {
				// Canceled: report why (a deadline, Close's context), not how.
				err = context.Cause(ctx)
			}
			err = errorf("dynamap: batch write %q: %w", name, wrapErr(err))
			if ctx.Err() != nil || !retryableBatchErr(err) {
				b.record(0, pending, err)
				return
			}
			b.flow.observe(epoch, len(pending), 0, true)
			lastErr = err
			left = pending
		} else {
			left = b.unprocessed(pending, out.UnprocessedItems[name])
			b.flow.observe(epoch, len(pending), len(pending)-len(left), attempts(out.ResultMetadata) > 1)
			b.record(weight(pending)-weight(left), nil, nil)
		}
		if len(left) == 0 {
			return
		}
		if attempt >= b.cfg.retry.maxResends {
			b.record(0, left, lastErr)
			return
		}
		if err := b.flow.rest(ctx, b.cfg.retry.backoff(attempt)); err != nil {
			b.record(0, left, err)
			return
		}
		pending = left
	}
}

// Stats tells how the writer has sent its calls so far: with AutoConcurrency,
// how many calls it lets be in flight now and its pace (see BatchStats).
func (b *BatchTable) Stats() BatchStats { return b.flow.snapshot() }

// unprocessed maps DynamoDB's UnprocessedItems back onto the requests sent.
// An answer that cannot be matched counts every request as unprocessed:
// re-sending is safe, dropping is not.
func (b *BatchTable) unprocessed(sent []writeReq, back []types.WriteRequest) []writeReq {
	if len(back) == 0 {
		return nil
	}
	s, err := b.t.schemaFor(context.Background())
	if err != nil {
		return sent
	}
	want := make(map[string]bool, len(back))
	for _, w := range back {
		var key map[string]types.AttributeValue
		switch {
		case w.PutRequest != nil:
			key, err = b.t.itemKey(s.keys, w.PutRequest.Item)
		case w.DeleteRequest != nil:
			key, err = b.t.itemKey(s.keys, w.DeleteRequest.Key)
		default:
			err = ErrInvalidKey
		}
		if err != nil {
			return sent
		}
		want[keyString(s.keys, key)] = true
	}
	var left []writeReq
	for _, r := range sent {
		if want[r.key] {
			left = append(left, r)
		}
	}
	if len(left) != len(want) {
		return sent
	}
	return left
}

// record counts written requests and keeps failed ones, and queues an
// OnProgress call with the counts as they are now. Calls are made by
// report or waitReported, never under a lock.
func (b *BatchTable) record(written int, failed []writeReq, err error) {
	b.smu.Lock()
	defer b.smu.Unlock()
	b.written += written
	if len(failed) > 0 {
		for _, r := range failed {
			// What r superseded was not written either: it is reported
			// too, in the order it was handed over.
			b.failed = append(b.failed, r.replaced...)
			r.replaced = nil
			b.failed = append(b.failed, r)
		}
		b.nfailed += weight(failed)
		if err != nil {
			b.failErr = err
		}
	}
	if b.cfg.onProgress != nil {
		b.reports = append(b.reports, progressReport{b.written, b.accepted - b.written - b.nfailed})
		b.queued++
	}
}

// report makes the queued OnProgress calls unless another goroutine is
// making them (it makes the ones queued meanwhile too).
func (b *BatchTable) report() {
	if b.cfg.onProgress == nil {
		return
	}
	b.smu.Lock()
	defer b.smu.Unlock()
	if !b.reporting {
		b.deliver()
	}
}

// deliver makes the calling goroutine the reporter until no call is queued.
// b.smu is held, and released during each call.
func (b *BatchTable) deliver() {
	b.reporting, b.reporterID = true, goroutineID()
	b.wake()
	defer func() {
		b.reporting, b.reporterID = false, 0
		b.wake()
	}()
	for len(b.reports) > 0 {
		r := b.reports[0]
		b.reports = b.reports[1:]
		b.call(r)
	}
}

// call makes one OnProgress call with b.smu released.
func (b *BatchTable) call(r progressReport) {
	b.smu.Unlock()
	defer func() {
		b.smu.Lock()
		b.delivered++
		b.wake()
	}()
	b.cfg.onProgress(r.written, r.pending)
}

// wake tells the goroutines in waitReported that something changed. b.smu
// is held.
func (b *BatchTable) wake() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// waitReported waits until the first n OnProgress calls have returned,
// making them itself when no other goroutine is, or until ctx ends. Called
// from inside an OnProgress call, it returns once the calls before that one
// have returned: the rest wait for it.
func (b *BatchTable) waitReported(ctx context.Context, n uint64) {
	if b.cfg.onProgress == nil {
		return
	}
	var me uint64
	b.smu.Lock()
	defer b.smu.Unlock()
	for b.delivered < n {
		if !b.reporting {
			b.deliver()
			continue
		}
		if me == 0 {
			me = goroutineID()
		}
		if b.reporterID == me {
			return
		}
		ch := b.changed
		b.smu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		b.smu.Lock()
		if ctx.Err() != nil {
			return
		}
	}
}

// goroutineID returns the id of the calling goroutine, from the header of
// its stack trace ("goroutine 42 [running]:"). It lets a Flush called from
// inside an OnProgress call tell that it runs in the reporter, which it
// must not wait for.
func goroutineID() uint64 {
	var buf [64]byte
	s := buf[:runtime.Stack(buf[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	if i := bytes.IndexByte(s, ' '); i > 0 {
		s = s[:i]
	}
	id, _ := strconv.ParseUint(string(s), 10, 64)
	return id
}

// takeFailure returns, once, an *UnprocessedError for the requests that
// failed so far.
func (b *BatchTable) takeFailure() error {
	b.smu.Lock()
	defer b.smu.Unlock()
	if len(b.failed) == 0 {
		return nil
	}
	e := &UnprocessedError{Table: b.t.name, Err: b.failErr}
	for _, r := range b.failed {
		if r.put != nil {
			e.Puts = append(e.Puts, r.put)
		} else {
			e.Deletes = append(e.Deletes, r.del)
		}
	}
	b.failed, b.failErr = nil, nil
	return e
}

// Flush sends what is buffered and waits until that send and every call in
// flight when it was made are done, re-sends included, and until the
// OnProgress calls reporting them have returned (see OnProgress). It
// returns an *UnprocessedError for every request that could not be written
// and was not reported before. If ctx ends, the calls it waits for are
// canceled; their requests are reported as unprocessed (DynamoDB may or may
// not have written them).
func (b *BatchTable) Flush(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	sends, err := b.sendBuffer(ctx)
	b.mu.Unlock()
	return b.wait(ctx, sends, err)
}

// Close flushes the writer (see Flush) and closes it: later PutItem,
// DeleteItem and Flush calls return ErrClosed. Close returns an
// *UnprocessedError listing every request handed to the writer that was not
// written and not reported by an earlier call. Closing again, or
// concurrently (from an OnProgress callback, or from BatchWriteFunc after
// the function closed the writer itself), also waits, as Flush does, for
// every call still in flight and the OnProgress calls reporting them, and
// returns what failed and was not reported before (nil when nothing is
// left): no Close returns while the writer still has requests on their
// way.
func (b *BatchTable) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	sends, err := b.sendBuffer(ctx) // after the first Close the buffer is empty: only the calls in flight
	b.mu.Unlock()
	return b.wait(ctx, sends, err)
}

// sendBuffer dispatches the buffer and returns the calls in flight, its
// own included. If ctx ends before it is sent, the buffer is recorded as
// failed. b.mu is held.
func (b *BatchTable) sendBuffer(ctx context.Context) ([]sending, error) {
	var err error
	if err = b.dispatch(ctx); err != nil {
		b.record(0, b.buf, err)
		b.buf, b.bufSize = make([]writeReq, 0, maxBatchWrite), 0
		clear(b.bufIdx)
	}
	b.smu.Lock()
	defer b.smu.Unlock()
	sends := make([]sending, 0, len(b.sends))
	for _, s := range b.sends {
		sends = append(sends, s)
	}
	return sends, err
}

// wait waits for sends, canceling them all if ctx ends first (and still
// waiting for them to record what they did not write), then for the
// OnProgress calls reporting them, and returns what failed.
func (b *BatchTable) wait(ctx context.Context, sends []sending, err error) error {
	for _, s := range sends {
		select {
		case <-s.done:
			continue
		case <-ctx.Done():
		}
		cause := context.Cause(ctx)
		for _, s := range sends {
			s.cancel(cause)
		}
		for _, s := range sends {
			<-s.done
		}
		break
	}
	b.smu.Lock()
	n := b.queued
	b.smu.Unlock()
	b.waitReported(ctx, n)
	if f := b.takeFailure(); f != nil {
		return f
	}
	return err
}

// keyString is a canonical text of a validated key: equal keys (numbers
// compared as decimals) give equal strings (see codec.AppendKey).
func keyString(fields []KeyField, item map[string]types.AttributeValue) string {
	var buf [64]byte
	b := buf[:0]
	for _, f := range fields {
		b = codec.AppendKey(b, item[f.Name])
	}
	return string(b)
}

// itemSize estimates an item's size the way DynamoDB counts it (see
// codec.ItemSize).
func itemSize(item map[string]types.AttributeValue) int { return codec.ItemSize(item) }
