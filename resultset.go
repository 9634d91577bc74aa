package dynamap

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
)

// ResultSet is the lazy result of Query, Scan or BatchGet. Building one does
// no I/O: pages are requested while All (or Items, Collect, Count) is ranged
// over, one page at a time, and breaking out of the loop stops fetching.
// Every call to All starts over (from the StartFrom cursor, if any).
//
// Cursor, ScannedCount and ConsumedCapacity report on the iteration so far
// and may be called from inside the loop. A ResultSet is safe for concurrent
// use, but concurrent iterations share those counters and the cursor.
type ResultSet struct {
	t     *Table
	limit int
	start string // the StartFrom cursor
	build func(ctx context.Context) (*plan, error)
	attrs []string // the Attributes paths of a projected read (Item.markLoaded)

	mu       sync.Mutex
	started  bool
	noCursor bool
	index    string
	total    int
	segs     []segState
	scanned  int64
	capacity float64
}

// page is one answer from DynamoDB (or another page source).
type page struct {
	items    []map[string]types.AttributeValue
	lastKey  map[string]types.AttributeValue
	more     bool
	count    int64
	scanned  int64
	capacity float64
}

// fetchFunc requests one page of segment seg (0 when unsegmented), starting
// after start (nil: from the beginning), evaluating at most limit items (0:
// DynamoDB's default). count asks for Select=COUNT.
type fetchFunc func(ctx context.Context, seg int, start map[string]types.AttributeValue, limit int32, count bool) (page, error)

// plan is a ResultSet made concrete once the schema is known.
type plan struct {
	fetch    fetchFunc
	pageSize int32
	index    string
	total    int        // total segments, 0 unsegmented
	segs     []segState // where each segment starts
	keyAttrs []string   // attributes of the resume key (table + index keys)
	strip    []string   // attributes added to the projection for the cursor, removed before yielding
	noCursor bool       // a page source with no resumable position
	noCount  bool       // no Select=COUNT: Count iterates
	filtered bool       // a filter applies after each request's Limit: Limit never trims requests
	partial  bool       // items carry a projection (Attributes): Save refuses them
	stop     func()     // called when an iteration ends, if not nil
	ownsCtx  bool       // fetch reports a done context itself (sequential calls it even then)
	limit    int        // this iteration's limit (0: none): the ResultSet's, or First's and One's
	peek     bool       // ask for one item past limit, so that a read ending at it leaves no cursor
}

// pageFunc returns the next page of a page source and whether more follow.
type pageFunc func(ctx context.Context) (items []map[string]types.AttributeValue, more bool, err error)

// newResultSetFromPages returns a ResultSet over an arbitrary page source
// (BatchGet builds on it). open is called at the start of every iteration
// and returns the source's next function, and stop, which (when not nil) is
// called when the iteration ends, however it ends, to release what the
// source holds (goroutines). A ResultSet from pages has no cursor; Count
// iterates. A source may report consumed capacity with rs.addStats from
// inside next. partial marks the items as loaded with a projection.
func newResultSetFromPages(t *Table, partial bool, open func() (next pageFunc, stop func())) *ResultSet {
	return newResultSetFromSource(t, partial, false, open)
}

// newResultSetFromSource is newResultSetFromPages; with ownsCtx, next is
// called even when ctx is done (not stopped before it), so that the source
// reports that itself (BatchGet lists the keys it did not read).
func newResultSetFromSource(t *Table, partial, ownsCtx bool, open func() (next pageFunc, stop func())) *ResultSet {
	rs := &ResultSet{t: t}
	rs.build = func(context.Context) (*plan, error) {
		next, stop := open()
		return &plan{
			stop: stop,
			fetch: func(ctx context.Context, _ int, _ map[string]types.AttributeValue, _ int32, _ bool) (page, error) {
				items, more, err := next(ctx)
				return page{items: items, more: more && err == nil}, err
			},
			segs:     []segState{{}},
			ownsCtx:  ownsCtx,
			noCursor: true,
			noCount:  true,
			partial:  partial,
		}, nil
	}
	return rs
}

// addStats adds a page's scanned count and consumed capacity.
func (rs *ResultSet) addStats(scanned int64, capacity float64) {
	rs.mu.Lock()
	rs.scanned += scanned
	rs.capacity += capacity
	rs.mu.Unlock()
}

// Cursor returns an opaque, URL-safe token that resumes this read (with
// StartFrom, on a Query or Scan with the same key condition and options)
// right after the last item yielded so far, even when Limit or a break
// stopped in the middle of a page. The position is the last item's key as
// it was read: changing or saving the item does not move it. Before any
// iteration it is the StartFrom cursor given (or ""); it is "" once every
// item has been read, and always "" for BatchGet. One case needs a request
// more to know the read is complete, and is not sent: when Limit is reached
// with the last item of a DynamoDB page that reported more (a PageSize
// equal to the items still wanted, or a filter), Cursor is not "", and
// resuming from it may yield nothing.
func (rs *ResultSet) Cursor() string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.started {
		return rs.start
	}
	if rs.noCursor {
		return ""
	}
	tableName := ""
	if rs.t != nil {
		tableName = rs.t.name
	}
	return encodeCursor(tableName, rs.index, rs.total, rs.segs)
}

// ScannedCount returns how many items DynamoDB evaluated (before filters)
// for this ResultSet so far, over all its iterations and Count calls.
func (rs *ResultSet) ScannedCount() int64 {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.scanned
}

// ConsumedCapacity returns the read capacity units DynamoDB reported as
// consumed by this ResultSet's requests so far (ReturnConsumedCapacity
// TOTAL).
func (rs *ResultSet) ConsumedCapacity() float64 {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.capacity
}

func (rs *ResultSet) begin(p *plan) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.started = true
	rs.noCursor = p.noCursor
	rs.index, rs.total = p.index, p.total
	rs.segs = append([]segState(nil), p.segs...)
}

func (rs *ResultSet) setSeg(i int, s segState) {
	rs.mu.Lock()
	rs.segs[i] = s
	rs.mu.Unlock()
}

// requestLimit is the Limit of the next request of a read that still wants
// remaining of its limit items (limit 0: no limit). Without a filter it is
// trimmed to the items still wanted, plus one when peek is set: that one
// more item tells whether any are left, so that a read ending exactly at
// its limit leaves no cursor. With a filter it is the page size: DynamoDB
// applies a request's Limit before the filter, so a trimmed request would
// evaluate too few items and the read would cost many more requests.
func (p *plan) requestLimit(limit, remaining int, peek bool) int32 {
	if limit <= 0 || p.filtered {
		return p.pageSize
	}
	want := int64(remaining)
	if peek {
		want++
	}
	if p.pageSize > 0 && want > int64(p.pageSize) {
		return p.pageSize
	}
	return int32(min(want, 1<<30))
}

// All returns the items one at a time. Pages are fetched only as needed;
// breaking out of the loop stops fetching, and ctx is checked before every
// request. An error is yielded once (with a nil item) and ends the
// sequence. Validation errors (a bad filter, an unknown index, an invalid
// cursor) come first, before any request.
func (rs *ResultSet) All(ctx context.Context) iter.Seq2[*Item, error] {
	return func(yield func(*Item, error) bool) {
		rs.run(ctx, func(p *plan, av map[string]types.AttributeValue, _ int, err error) bool {
			if err != nil {
				return yield(nil, err)
			}
			it := newLoadedItem(rs.t, av)
			it.markLoaded(p.partial, rs.attrs)
			return yield(it, nil)
		})
	}
}

// rawYield receives the raw items of an iteration (or its one error); left
// counts the items of the current page not yet yielded, this one included.
type rawYield func(p *plan, av map[string]types.AttributeValue, left int, err error) bool

// run is All without the *Item wrapping: Items decodes straight from the
// attribute values.
func (rs *ResultSet) run(ctx context.Context, yield rawYield) {
	rs.runLimit(ctx, rs.limit, true, yield)
}

// runLimit is run with this iteration's limit (0: none) and peek (see
// requestLimit) given.
func (rs *ResultSet) runLimit(ctx context.Context, limit int, peek bool, yield rawYield) {
	p, err := rs.build(ctx)
	if err != nil {
		yield(nil, nil, 0, err)
		return
	}
	p.limit, p.peek = limit, peek
	if p.stop != nil {
		defer p.stop()
	}
	rs.begin(p)
	var active []int
	for i, s := range p.segs {
		if !s.done {
			active = append(active, i)
		}
	}
	switch len(active) {
	case 0:
	case 1:
		rs.sequential(ctx, p, active[0], yield)
	default:
		rs.parallel(ctx, p, active, yield)
	}
}

// emit yields the items of one page of segment slot i, keeping the cursor
// right after each yielded item. It reports whether to stop: the consumer
// broke out of the loop or the limit was reached. *remaining counts down
// when a limit is set.
func (rs *ResultSet) emit(p *plan, i int, pg page, remaining *int, yield rawYield) (stop bool) {
	seg := p.segs[i].seg
	after := segState{seg: seg, key: pg.lastKey, done: !pg.more}
	for j, av := range pg.items {
		st := after
		if j < len(pg.items)-1 && !p.noCursor {
			// The position is the item's key, taken now: the caller owns
			// the item from here on.
			st = itemPosition(seg, av, p.keyAttrs)
		}
		for _, a := range p.strip {
			delete(av, a)
		}
		rs.setSeg(i, st)
		if !yield(p, av, len(pg.items)-j, nil) {
			return true
		}
		if p.limit > 0 {
			*remaining--
			if *remaining <= 0 {
				return true
			}
		}
	}
	if len(pg.items) == 0 {
		rs.setSeg(i, after)
	}
	return false
}

// pickKey returns the resume key of an item: its table and index key
// attributes.
func pickKey(av map[string]types.AttributeValue, attrs []string) map[string]types.AttributeValue {
	k := make(map[string]types.AttributeValue, len(attrs))
	for _, a := range attrs {
		if v, ok := av[a]; ok {
			k[a] = v
		}
	}
	return k
}

func (rs *ResultSet) sequential(ctx context.Context, p *plan, i int, yield rawYield) {
	remaining := p.limit
	key := p.segs[i].key
	for {
		if err := ctx.Err(); err != nil && !p.ownsCtx {
			yield(p, nil, 0, err)
			return
		}
		pg, err := p.fetch(ctx, p.segs[i].seg, key, p.requestLimit(p.limit, remaining, p.peek), false)
		if err != nil {
			yield(p, nil, 0, err)
			return
		}
		rs.addStats(pg.scanned, pg.capacity)
		if rs.emit(p, i, pg, &remaining, yield) || !pg.more {
			return
		}
		key = pg.lastKey
	}
}

type segPage struct {
	slot int
	pg   page
	err  error
}

// parallel reads the active segment slots in one goroutine each and yields
// their pages as they come. Every goroutine has exited when it returns.
func (rs *ResultSet) parallel(ctx context.Context, p *plan, active []int, yield rawYield) {
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	ch := make(chan segPage)
	limit := p.requestLimit(p.limit, p.limit, p.peek)
	for _, slot := range active {
		wg.Go(func() {
			key := p.segs[slot].key
			for {
				if wctx.Err() != nil {
					return
				}
				pg, err := p.fetch(wctx, p.segs[slot].seg, key, limit, false)
				select {
				case ch <- segPage{slot: slot, pg: pg, err: err}:
				case <-wctx.Done():
					return
				}
				if err != nil || !pg.more {
					return
				}
				key = pg.lastKey
			}
		})
	}
	remaining := p.limit
	for running := len(active); running > 0; {
		var sp segPage
		select {
		case sp = <-ch:
		case <-ctx.Done():
			yield(p, nil, 0, ctx.Err())
			return
		}
		if sp.err != nil {
			yield(p, nil, 0, sp.err)
			return
		}
		rs.addStats(sp.pg.scanned, sp.pg.capacity)
		if rs.emit(p, sp.slot, sp.pg, &remaining, yield) {
			return
		}
		if !sp.pg.more {
			running--
		}
	}
}

// Count returns the number of matching items: Select=COUNT requests over
// every page (and every segment), up to Limit when one is given. For
// BatchGet it reads the items.
func (rs *ResultSet) Count(ctx context.Context) (int64, error) {
	p, err := rs.build(ctx)
	if err != nil {
		return 0, err
	}
	if p.noCount {
		var n int64
		for _, err := range rs.All(ctx) {
			if err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	}
	var (
		mu       sync.Mutex
		total    int64
		firstErr error
		wg       sync.WaitGroup
	)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, s := range p.segs {
		if s.done {
			continue
		}
		wg.Go(func() {
			n, err := rs.countSegment(cctx, p, s)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && firstErr == nil {
				firstErr = err
				cancel()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	if rs.limit > 0 && total > int64(rs.limit) {
		total = int64(rs.limit)
	}
	return total, nil
}

func (rs *ResultSet) countSegment(ctx context.Context, p *plan, s segState) (int64, error) {
	var n int64
	key := s.key
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		remaining := rs.limit - int(n)
		pg, err := p.fetch(ctx, s.seg, key, p.requestLimit(rs.limit, remaining, false), true)
		if err != nil {
			return n, err
		}
		rs.addStats(pg.scanned, pg.capacity)
		n += pg.count
		if !pg.more || rs.limit > 0 && n >= int64(rs.limit) {
			return n, nil
		}
		key = pg.lastKey
	}
}

// Collect reads every item into a slice. On error it returns the items read
// so far and the error.
func (rs *ResultSet) Collect(ctx context.Context) ([]*Item, error) {
	var out []*Item
	for it, err := range rs.All(ctx) {
		if err != nil {
			return out, err
		}
		out = append(out, it)
	}
	return out, nil
}

// Items decodes each item of rs into a T (a struct with dynamodbav tags, or a
// map) as Item.Decode does. A decoding failure is a *ValueError
// that ends the sequence.
func Items[T any](ctx context.Context, rs *ResultSet) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		d := newItemDecoder[T]()
		rs.run(ctx, func(_ *plan, av map[string]types.AttributeValue, _ int, err error) bool {
			var v T
			if err == nil {
				err = d.decode(av, &v)
			}
			if err != nil {
				yield(v, err)
				return false
			}
			return yield(v, nil)
		})
	}
}

// itemDecoder decodes raw items into T with the codec, reusing one M value
// for a whole iteration.
type itemDecoder[T any] struct {
	m types.AttributeValueMemberM
}

func newItemDecoder[T any]() *itemDecoder[T] {
	return &itemDecoder[T]{}
}

func (d *itemDecoder[T]) decode(av map[string]types.AttributeValue, v *T) error {
	d.m.Value = av
	err := codec.Decode(&d.m, v)
	d.m.Value = nil
	if err != nil {
		return &ValueError{Reason: fmt.Sprintf("cannot decode an item into %T", *v), Err: err}
	}
	return nil
}

// Collect decodes every item of rs into a []T (see Items). On error it
// returns the items decoded so far and the error.
func Collect[T any](ctx context.Context, rs *ResultSet) ([]T, error) {
	var out []T
	var failed error
	d := newItemDecoder[T]()
	rs.run(ctx, func(_ *plan, av map[string]types.AttributeValue, left int, err error) bool {
		if err == nil {
			out = slices.Grow(out, left) // room for the rest of the page at once
			var zero T
			out = append(out, zero)
			if err = d.decode(av, &out[len(out)-1]); err != nil {
				out = out[:len(out)-1]
			}
		}
		failed = err
		return err == nil
	})
	return out, failed
}
