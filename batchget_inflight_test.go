package dynamap

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// gatedGets answers BatchGetItem with every key's item, but holds each call
// until the test releases it (or open lets every call through), so that a
// test decides when answers arrive.
type gatedGets struct {
	conn.API
	mu      sync.Mutex
	open    bool
	free    int                   // the first free calls are not held
	held    map[int]chan struct{} // calls waiting for release, by number
	calls   int                   // calls started
	now     int                   // calls in flight
	peak    int
	changed chan struct{} // closed and replaced when held changes
}

func newGatedGets() *gatedGets {
	return &gatedGets{held: map[int]chan struct{}{}, changed: make(chan struct{})}
}

func (f *gatedGets) signal() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *gatedGets) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.mu.Lock()
	id := f.calls
	f.calls++
	f.now++
	f.peak = max(f.peak, f.now)
	gate := make(chan struct{})
	if f.open || id < f.free {
		close(gate)
	} else {
		f.held[id] = gate
		f.signal()
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.now--
		delete(f.held, id)
		f.signal()
		f.mu.Unlock()
	}()
	select {
	case <-gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			out.Responses[table] = append(out.Responses[table], k)
		}
	}
	return out, nil
}

// heldCalls returns the numbers of the calls held, sorted.
func (f *gatedGets) heldCalls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int
	for id := range f.held {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// waitHeld waits until cond holds of the calls held, or fails after 10s.
func (f *gatedGets) waitHeld(t *testing.T, what string, cond func(held []int) bool) []int {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if held := f.heldCalls(); cond(held) {
			return held
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; held: %v", what, f.heldCalls())
		}
	}
}

func (f *gatedGets) release(ids []int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		if g, ok := f.held[id]; ok {
			close(g)
			delete(f.held, id)
		}
	}
}

func (f *gatedGets) openAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open = true
	for id, g := range f.held {
		close(g)
		delete(f.held, id)
	}
}

func (f *gatedGets) started() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// TestBatchGetInFlightWhileConsumerBusy: with Concurrency(n), answers that
// arrive while the caller is busy inside its loop free their slots at once
// and new requests go out, up to 2n answers ahead of the caller. Before,
// an answer held its slot until the caller asked for the next page, so a
// busy caller left the table idle.
func TestBatchGetInFlightWhileConsumerBusy(t *testing.T) {
	t.Parallel()
	const n = 4
	f := newGatedGets()
	tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
	keys := make([]Key, 3000) // 30 requests
	for i := range keys {
		keys[i] = keyFor(i)
	}
	got1, resume := make(chan struct{}), make(chan struct{})
	type result struct {
		seen map[string]int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		seen := map[string]int{}
		var failed error
		for it, err := range tb.BatchGet(keys, Concurrency(n)).All(context.Background()) {
			if err != nil {
				failed = err
				break
			}
			if len(seen) == 0 {
				close(got1)
				<-resume // the caller is busy with its first item
			}
			seen[keyString(batchSchema, it.avMap())]++
		}
		done <- result{seen, failed}
	}()
	defer func() {
		f.openAll()
		select {
		case <-resume:
		default:
			close(resume)
		}
	}()

	four := func(held []int) bool { return len(held) == n }
	first := f.waitHeld(t, "n requests in flight", four)
	f.release(first[:1])
	<-got1
	// The caller now holds its first item. Answer every request in flight:
	// n more must go out while it is still busy.
	before := f.waitHeld(t, "n requests in flight after the first answer", four)
	f.release(before)
	next := f.waitHeld(t, "n new requests in flight while the caller is busy", func(held []int) bool {
		return len(held) == n && held[0] > before[len(before)-1]
	})
	// Answer those too: 2n answers now wait for the caller, the bound;
	// no request may go out until it takes one.
	f.release(next)
	f.waitHeld(t, "the answers", func(held []int) bool { return len(held) == 0 })
	time.Sleep(100 * time.Millisecond) // a request over the bound would start now
	assert.Equal(t, 1+2*n, f.started(), "requests sent: the first answer's, and 2n waiting")
	assert.Empty(t, f.heldCalls())

	f.openAll()
	close(resume)
	r := <-done
	require.NoError(t, r.err)
	assert.Len(t, r.seen, len(keys), "every key once")
	for k, c := range r.seen {
		assert.Equal(t, 1, c, "key %s", k)
	}
	f.mu.Lock()
	assert.Equal(t, n, f.peak, "never more than n in flight")
	f.mu.Unlock()
}

// TestBatchGetCancelWhileAnswersWait: a context cancelled while answers
// wait for the caller and requests are in flight ends the read with every
// key not yielded listed once, and no goroutine outlives the loop.
func TestBatchGetCancelWhileAnswersWait(t *testing.T) {
	const n = 3
	f := newGatedGets()
	f.free = 1 // the first page
	tb := NewTable(conn.FromClient(withSchemaOf(f, "fake", batchSchema)), "fake", WithSchema(batchSchema...))
	keys := make([]Key, 2000)
	for i := range keys {
		keys[i] = keyFor(i)
	}
	seen := map[string]bool{}
	var failed error
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id := withLabel(ctx, func(ctx context.Context) {
		first := true
		for it, err := range tb.BatchGet(keys, Concurrency(n)).All(ctx) {
			if err != nil {
				failed = err
				break
			}
			seen[keyString(batchSchema, it.avMap())] = true
			if first {
				first = false
				// Answers arrive and wait; new requests are held.
				held := f.waitHeld(t, "n in flight", func(h []int) bool { return len(h) == n })
				f.release(held)
				f.waitHeld(t, "n new in flight", func(h []int) bool { return len(h) == n && h[0] > held[n-1] })
				cancel()
			}
		}
	})
	var ue *UnprocessedError
	require.ErrorAs(t, failed, &ue)
	assert.True(t, errors.Is(failed, context.Canceled), "%v", failed)
	unread := map[string]bool{}
	for _, k := range ue.Keys {
		id := keyString(batchSchema, k)
		assert.False(t, unread[id], "key %s listed twice", id)
		assert.False(t, seen[id], "key %s yielded and listed", id)
		unread[id] = true
	}
	assert.Equal(t, len(keys), len(seen)+len(unread), "every key yielded or listed")
	assertNoLeak(t, id)
}

// TestBatchGetConcurrentLocal reads against DynamoDB Local with requests
// sent while a slow caller works: every item exactly once, missing keys
// absent, a repeated key asked once, with Concurrency and AutoConcurrency.
func TestBatchGetConcurrentLocal(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	c := testConn(t, rc.option)
	tb := testTable(t, c, batchSchema)
	want := loadItems(t, tb, 700)
	var keys []Key
	for i := range 1000 { // 700 present, 300 missing
		keys = append(keys, keyFor(i))
	}
	keys = append(keys, keyFor(5), keyFor(950)) // asked once
	for _, opt := range []BatchGetOption{Concurrency(4), AutoConcurrency(8)} {
		before := rc.count("BatchGetItem")
		got := map[string]int{}
		n := 0
		for it, err := range tb.BatchGet(keys, opt).All(context.Background()) {
			require.NoError(t, err)
			got[keyString(batchSchema, it.avMap())]++
			if n++; n%100 == 0 {
				time.Sleep(5 * time.Millisecond) // a caller slower than the requests
			}
		}
		assert.Len(t, got, len(want))
		for k := range want {
			assert.Equal(t, 1, got[k], "key %s", k)
		}
		assert.Equal(t, 10, rc.count("BatchGetItem")-before, "1000 distinct keys, 100 a request")
	}
}
