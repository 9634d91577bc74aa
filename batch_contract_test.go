package dynamap

import (
	"context"
	"fmt"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// countTable counts a table's items with consistent Select=COUNT scans.
func countTable(t *testing.T, tb *Table) int {
	t.Helper()
	ctx := context.Background()
	in := &dynamodb.ScanInput{TableName: &tb.name, ConsistentRead: ptr(true), Select: types.SelectCount}
	n := 0
	for {
		page, err := tb.c.API().Scan(ctx, in)
		require.NoError(t, err)
		n += int(page.Count)
		if len(page.LastEvaluatedKey) == 0 {
			return n
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

type traceKey struct{}

// ctxProbe records, for every BatchWriteItem, whether its context carried
// a trace id and whether it was already done when the call began.
type ctxProbe struct {
	conn.API
	calls, traced, doneAtStart atomic.Int64
}

func (p *ctxProbe) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	p.calls.Add(1)
	if ctx.Value(traceKey{}) != nil {
		p.traced.Add(1)
	}
	if ctx.Err() != nil {
		p.doneAtStart.Add(1)
	}
	return p.API.BatchWriteItem(ctx, in, o...)
}

// An HTTP handler hands each item over with its own request context, which
// ends as soon as the handler returns. Background sends must not inherit
// that cancellation (they keep its values).
func TestBatchWritePerCallContextsDoNotCancelBackgroundSends(t *testing.T) {
	t.Parallel()
	direct := testConn(t)
	tb := testTable(t, direct, batchSchema)
	probe := &ctxProbe{API: direct.API()}
	pt := NewTable(conn.FromClient(probe), tb.name, WithSchema(batchSchema...))

	const n = 483
	b := pt.BatchWrite(batchOpts(Concurrency(4))...)
	for i := range n {
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), traceKey{}, i))
		err := b.PutItem(ctx, batchItem(i))
		cancel() // the handler returned
		require.NoError(t, err, "item %d", i)
	}
	require.NoError(t, b.Close(context.WithValue(context.Background(), traceKey{}, "close")))
	assert.Equal(t, n, countTable(t, tb), "every accepted item is written")
	assert.Equal(t, int64((n+24)/25), probe.calls.Load(), "483 items: 20 calls, none re-sent")
	assert.Equal(t, probe.calls.Load(), probe.traced.Load(), "each send keeps the values of the call that dispatched it")
	assert.Zero(t, probe.doneAtStart.Load())
}

// A full buffer is sent when it holds 25 requests, not when a 26th arrives
// or Close is called.
func TestBatchWriteSendsAFullBufferAt25(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	c := testConn(t, rc.option)
	tb := testTable(t, c, batchSchema)
	ctx := context.Background()
	b := tb.BatchWrite()
	defer func() { require.NoError(t, b.Close(ctx)) }()
	want := map[string]map[string]any{}
	for i := range 25 {
		it := batchItem(i)
		want[keyOf(it)] = it
		require.NoError(t, b.PutItem(ctx, it))
	}
	deadline := time.Now().Add(5 * time.Second)
	got := 0
	for time.Now().Before(deadline) {
		if got = countTable(t, tb); got == 25 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, 25, got, "the 25 items are written without Flush or Close")
	assertTable(t, tb, want)
	assert.Equal(t, 1, rc.count("BatchWriteItem"))
}

// watchdog fails the test with every goroutine's stack when fn does not
// return within d (a deadlock).
func watchdog(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		var sb strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&sb, 2)
		t.Fatalf("still running after %v (deadlock?):\n%s", d, sb.String())
	}
}

// progressLog records OnProgress calls and checks they never overlap.
type progressLog struct {
	mu      sync.Mutex
	calls   []int
	last    [2]int
	running atomic.Int32
	overlap atomic.Int32
}

func (l *progressLog) record(w, p int) {
	if l.running.Add(1) > 1 {
		l.overlap.Add(1)
	}
	defer l.running.Add(-1)
	l.mu.Lock()
	l.calls = append(l.calls, w)
	l.last = [2]int{w, p}
	l.mu.Unlock()
}

// An OnProgress callback may call Flush, PutItem and DeleteItem on its own
// writer: no writer lock is held while it runs.
func TestBatchWriteProgressCallbackReentersWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	var log progressLog
	var b *BatchTable
	var rounds atomic.Int32
	reentered := make(chan struct{})
	var cbErrs []error
	b = tb.BatchWrite(batchOpts(Concurrency(2), OnProgress(func(w, p int) {
		log.record(w, p)
		r := rounds.Add(1)
		if r > 3 {
			return
		}
		// The first three calls each add a put and a delete, and flush.
		cbErrs = append(cbErrs,
			b.PutItem(ctx, map[string]any{"pk": "extra", "n": int(r)}),
			b.DeleteItem(ctx, keyFor(int(r))),
			b.Flush(ctx))
		if r == 3 {
			close(reentered)
		}
	}))...)
	want := map[string]map[string]any{}
	watchdog(t, time.Minute, func() {
		for i := range 100 {
			it := batchItem(i)
			want[keyOf(it)] = it
			require.NoError(t, b.PutItem(ctx, it))
		}
		<-reentered
		require.NoError(t, b.Close(ctx))
	})
	for i, err := range cbErrs {
		assert.NoError(t, err, "reentrant call %d", i)
	}
	for r := 1; r <= 3; r++ {
		want[keyOf(map[string]any{"pk": "extra", "n": r})] = map[string]any{"pk": "extra", "n": r}
		delete(want, keyOf(batchItem(r)))
	}
	assertTable(t, tb, want)
	assert.Zero(t, log.overlap.Load(), "calls are serialized")
	log.mu.Lock()
	defer log.mu.Unlock()
	assert.Equal(t, [2]int{106, 0}, log.last, "Close returns after the call reporting the final counts")
	assert.IsNonDecreasing(t, log.calls)
}

// The send Flush makes itself (the last, partial buffer) reports progress
// with no writer lock held either, and Flush returns only after that report.
func TestBatchWriteProgressFromFlushSendReentersWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	var log progressLog
	var b *BatchTable
	var first sync.Once
	var cbErrs []error
	b = tb.BatchWrite(batchOpts(OnProgress(func(w, p int) {
		log.record(w, p)
		first.Do(func() {
			cbErrs = append(cbErrs,
				b.PutItem(ctx, map[string]any{"pk": "extra", "n": 1}),
				b.Flush(ctx),
				b.DeleteItem(ctx, keyFor(0)))
		})
	}))...)
	watchdog(t, time.Minute, func() {
		for i := range 10 {
			require.NoError(t, b.PutItem(ctx, batchItem(i)))
		}
		require.NoError(t, b.Flush(ctx))
		// Flush waited for the send of the 10 puts, so for the call
		// reporting it, callback and reentrant calls included. (The
		// callback's own Flush sent a call of its own, whose report may
		// come after: Flush does not wait for calls sent after it.)
		log.mu.Lock()
		calls := slices.Clone(log.calls)
		log.mu.Unlock()
		require.NotEmpty(t, calls, "Flush returned before the call reporting its send")
		assert.Equal(t, 10, calls[0])
		assert.Len(t, cbErrs, 3, "Flush returned while the callback was still running")
		require.NoError(t, b.Close(ctx))
	})
	for i, err := range cbErrs {
		assert.NoError(t, err, "reentrant call %d", i)
	}
	assert.Equal(t, 10, countTable(t, tb), "10 puts + 1 extra - 1 delete")
	log.mu.Lock()
	defer log.mu.Unlock()
	assert.Equal(t, [2]int{12, 0}, log.last)
	assert.Zero(t, log.overlap.Load())
}

// Close's context ending cancels the sends it waits for, and only those;
// what they did not write comes back in the error (checked in
// TestBatchWriteBudgetAndHardErrors). Here: a PutItem context that ends
// while it waits for a free send slot refuses only that item.
func TestBatchWritePutContextBoundsOnlyItsWait(t *testing.T) {
	t.Parallel()
	f := newFakeStore()
	release := make(chan struct{})
	f.failErr = func(int) error { <-release; return nil }
	tb := NewTable(connDescribing(f, "fake", batchSchema), "fake", WithSchema(batchSchema...))
	b := tb.BatchWrite(batchOpts(Concurrency(1))...)
	ctx := context.Background()
	for i := range 25 { // the 25th dispatches the first buffer, which hangs
		require.NoError(t, b.PutItem(ctx, batchItem(i)))
	}
	for i := 25; i < 49; i++ {
		require.NoError(t, b.PutItem(ctx, batchItem(i)))
	}
	// The 50th fills the buffer: it must wait for the slot, and gives up.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := b.PutItem(short, batchItem(49))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	require.NoError(t, b.Close(ctx))
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Equal(t, 49, len(f.items), "every accepted item is written")
	_, refused := f.items[keyOf(batchItem(49))]
	assert.False(t, refused, "the refused item is not written")
	assert.Equal(t, 2, f.calls)
}

// batchGetOutcome checks that every key of keys is either yielded or
// listed as unread in ue, never both and never twice, and returns how many
// were yielded.
func batchGetOutcome(t *testing.T, keys []Key, yielded map[string]bool, ue *UnprocessedError) int {
	t.Helper()
	listed := map[string]bool{}
	for _, k := range ue.Keys {
		id := keyString(batchSchema, k)
		assert.False(t, listed[id], "key %s listed twice", id)
		listed[id] = true
		assert.False(t, yielded[id], "key %s both yielded and listed", id)
	}
	missing := 0
	for _, k := range keys {
		id := keyOf(map[string]any(k))
		if !yielded[id] && !listed[id] {
			missing++
		}
	}
	assert.Zero(t, missing, "keys neither yielded nor listed")
	assert.Equal(t, len(keys), len(yielded)+len(listed))
	return len(yielded)
}

// However the context of a BatchGet ends (inside the loop, before the
// first page, or while a request is in flight), the error lists every key
// not yielded, and wraps the context's error.
func TestBatchGetContextEndListsUnreadKeys(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	c := testConn(t, rc.option)
	tb := testTable(t, c, batchSchema)
	loadItems(t, tb, 1000)
	var keys []Key
	for i := range 1000 {
		keys = append(keys, keyFor(i))
	}
	for _, opts := range [][]BatchGetOption{nil, {Concurrency(4)}} {
		name := fmt.Sprintf("options %d", len(opts))

		// Canceled inside the loop, after the first item.
		ctx, cancel := context.WithCancel(context.Background())
		yielded := map[string]bool{}
		var err error
		for it, e := range tb.BatchGet(keys, opts...).All(ctx) {
			if e != nil {
				err = e
				break
			}
			yielded[keyString(batchSchema, it.avMap())] = true
			cancel()
		}
		cancel()
		var ue *UnprocessedError
		require.ErrorAs(t, err, &ue, name)
		assert.ErrorIs(t, err, context.Canceled, name)
		n := batchGetOutcome(t, keys, yielded, ue)
		assert.Positive(t, n, name)
		assert.LessOrEqual(t, n, 100, "%s: one page is yielded, then the loop ends", name)

		// Canceled before the first page: every key, and no request.
		before := rc.count("BatchGetItem")
		ctx, cancel = context.WithCancel(context.Background())
		cancel()
		_, err = tb.BatchGet(keys, opts...).Collect(ctx)
		require.ErrorAs(t, err, &ue, name)
		assert.ErrorIs(t, err, context.Canceled, name)
		assert.Zero(t, batchGetOutcome(t, keys, map[string]bool{}, ue), name)
		assert.Equal(t, before, rc.count("BatchGetItem"), name)

		// Canceled from outside while requests are in flight.
		yielded = map[string]bool{}
		err = nil
		ctx, cancel = context.WithCancel(context.Background())
		slow := &slowGets{delay: time.Hour, items: map[string]map[string]types.AttributeValue{}, asked: map[string]int{}}
		ft := NewTable(connDescribing(slow, "fake", batchSchema), "fake", WithSchema(batchSchema...))
		go func() {
			for slow.calls.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		for it, e := range ft.BatchGet(keys, opts...).All(ctx) {
			if e != nil {
				err = e
				break
			}
			yielded[keyString(batchSchema, it.avMap())] = true
		}
		require.ErrorAs(t, err, &ue, name)
		assert.ErrorIs(t, err, context.Canceled, name)
		assert.Zero(t, batchGetOutcome(t, keys, yielded, ue), name)
	}

	// A table whose schema is not known yet: the keys cannot be checked,
	// but they are still listed.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewTable(c, tb.name).BatchGet(keys).Collect(ctx)
	var ue *UnprocessedError
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, batchGetOutcome(t, keys, map[string]bool{}, ue))
}
