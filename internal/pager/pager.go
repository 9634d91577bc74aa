package pager

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Pager is the paging state of one read (a ResultSet): its configuration
// (Table, Limit, Start, Build), set before it is used, and what the
// iteration so far reports (the cursor, scanned count, consumed capacity).
// A Pager is safe for concurrent use, but concurrent iterations share those
// counters and the cursor. It must not be copied after first use.
type Pager struct {
	Table string // the table name cursors are made for ("" for none)
	Limit int    // the read's Limit (0: none)
	Start string // the StartFrom cursor
	// Build makes the read's plan, at the start of every iteration and
	// Count.
	Build func(ctx context.Context) (*Plan, error)

	mu       sync.Mutex
	started  bool
	noCursor bool
	index    string
	total    int
	segs     []SegState
	scanned  int64
	capacity float64
}

// Page is one answer from DynamoDB (or another page source).
type Page struct {
	Items    []map[string]types.AttributeValue
	LastKey  map[string]types.AttributeValue
	More     bool
	Count    int64
	Scanned  int64
	Capacity float64
}

// FetchFunc requests one page of segment seg (0 when unsegmented), starting
// after start (nil: from the beginning), evaluating at most limit items (0:
// DynamoDB's default). count asks for Select=COUNT.
type FetchFunc func(ctx context.Context, seg int, start map[string]types.AttributeValue, limit int32, count bool) (Page, error)

// Plan is a read made concrete once the schema is known.
type Plan struct {
	Fetch    FetchFunc
	PageSize int32
	Index    string
	Total    int        // total segments, 0 unsegmented
	Segs     []SegState // where each segment starts
	KeyAttrs []string   // attributes of the resume key (table + index keys)
	Strip    []string   // attributes added to the projection for the cursor, removed before yielding
	NoCursor bool       // a page source with no resumable position
	NoCount  bool       // no Select=COUNT: Count iterates
	Filtered bool       // a filter applies after each request's Limit: Limit never trims requests
	Partial  bool       // items carry a projection (Attributes): Save refuses them
	Stop     func()     // called when an iteration ends, if not nil
	OwnsCtx  bool       // Fetch reports a done context itself (sequential calls it even then)
	// Prefetch is how many pages are requested ahead of the one being
	// yielded (0: none, each page is requested when the previous one has
	// been yielded; above MaxPrefetch: MaxPrefetch). See prefetch.go.
	Prefetch int

	limit int  // this iteration's limit (0: none): the read's, or First's and One's
	peek  bool // ask for one item past limit, so that a read ending at it leaves no cursor
}

// PageFunc returns the next page of a page source and whether more follow.
type PageFunc func(ctx context.Context) (items []map[string]types.AttributeValue, more bool, err error)

// FromSource returns the Build of a read over an arbitrary page source
// (BatchGet builds on it). open is called at the start of every iteration
// and returns the source's next function, and stop, which (when not nil) is
// called when the iteration ends, however it ends, to release what the
// source holds (goroutines). A read from pages has no cursor; Count
// iterates. partial marks the items as loaded with a projection. With
// ownsCtx, next is called even when ctx is done (not stopped before it), so
// that the source reports that itself (BatchGet lists the keys it did not
// read).
func FromSource(partial, ownsCtx bool, open func() (next PageFunc, stop func())) func(context.Context) (*Plan, error) {
	return func(context.Context) (*Plan, error) {
		next, stop := open()
		return &Plan{
			Stop: stop,
			Fetch: func(ctx context.Context, _ int, _ map[string]types.AttributeValue, _ int32, _ bool) (Page, error) {
				items, more, err := next(ctx)
				return Page{Items: items, More: more && err == nil}, err
			},
			Segs:     []SegState{{}},
			OwnsCtx:  ownsCtx,
			NoCursor: true,
			NoCount:  true,
			Partial:  partial,
		}, nil
	}
}

// AddStats adds a page's scanned count and consumed capacity.
func (r *Pager) AddStats(scanned int64, capacity float64) {
	r.mu.Lock()
	r.scanned += scanned
	r.capacity += capacity
	r.mu.Unlock()
}

// Cursor returns the cursor right after the last item yielded so far: Start
// before any iteration, "" once every item has been read or for a read with
// no cursor (see dynamap's ResultSet.Cursor).
func (r *Pager) Cursor() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		return r.Start
	}
	if r.noCursor {
		return ""
	}
	return EncodeCursor(r.Table, r.index, r.total, r.segs)
}

// Scanned returns how many items DynamoDB evaluated so far.
func (r *Pager) Scanned() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.scanned
}

// Capacity returns the read capacity units consumed so far.
func (r *Pager) Capacity() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.capacity
}

func (r *Pager) begin(p *Plan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = true
	r.noCursor = p.NoCursor
	r.index, r.total = p.Index, p.Total
	r.segs = append([]SegState(nil), p.Segs...)
}

func (r *Pager) setSeg(i int, s SegState) {
	r.mu.Lock()
	r.segs[i] = s
	r.mu.Unlock()
}

// requestLimit is the Limit of the next request of a read that still wants
// remaining of its limit items (limit 0: no limit). Without a filter it is
// trimmed to the items still wanted, plus one when peek is set: that one
// more item tells whether any are left, so that a read ending exactly at
// its limit leaves no cursor. With a filter it is the page size: DynamoDB
// applies a request's Limit before the filter, so a trimmed request would
// evaluate too few items and the read would cost many more requests.
func (p *Plan) requestLimit(limit, remaining int, peek bool) int32 {
	if limit <= 0 || p.Filtered {
		return p.PageSize
	}
	want := int64(remaining)
	if peek {
		want++
	}
	if p.PageSize > 0 && want > int64(p.PageSize) {
		return p.PageSize
	}
	return int32(min(want, 1<<30))
}

// Yield receives the raw items of an iteration (or its one error, with a
// nil item); left counts the items of the current page not yet yielded,
// this one included. p is nil only for an error of Build. It returns false
// to stop.
type Yield func(p *Plan, av map[string]types.AttributeValue, left int, err error) bool

// Run iterates the read with this iteration's limit (0: none) and peek
// (see requestLimit): pages are fetched only as needed, ctx is checked
// before every request, and an error is yielded once and ends the
// iteration.
func (r *Pager) Run(ctx context.Context, limit int, peek bool, yield Yield) {
	p, err := r.Build(ctx)
	if err != nil {
		yield(nil, nil, 0, err)
		return
	}
	p.limit, p.peek = limit, peek
	if p.Stop != nil {
		defer p.Stop()
	}
	r.begin(p)
	var active []int
	for i, s := range p.Segs {
		if !s.Done {
			active = append(active, i)
		}
	}
	switch len(active) {
	case 0:
	case 1:
		if p.prefetch() > 0 {
			r.prefetched(ctx, p, active[0], yield)
		} else {
			r.sequential(ctx, p, active[0], yield)
		}
	default:
		r.parallel(ctx, p, active, yield)
	}
}

// emit yields the items of one page of segment slot i, keeping the cursor
// right after each yielded item. It reports whether to stop: the consumer
// broke out of the loop or the limit was reached. *remaining counts down
// when a limit is set.
func (r *Pager) emit(p *Plan, i int, pg Page, remaining *int, yield Yield) (stop bool) {
	seg := p.Segs[i].Seg
	after := SegState{Seg: seg, Key: pg.LastKey, Done: !pg.More}
	for j, av := range pg.Items {
		st := after
		if j < len(pg.Items)-1 && !p.NoCursor {
			// The position is the item's key, taken now: the caller owns
			// the item from here on.
			st = itemPosition(seg, av, p.KeyAttrs)
		}
		for _, a := range p.Strip {
			delete(av, a)
		}
		// The page lets go of each item as it is yielded: the caller owns it
		// from here on, and a long page's items yielded already can be
		// collected before the page ends.
		pg.Items[j] = nil
		r.setSeg(i, st)
		if !yield(p, av, len(pg.Items)-j, nil) {
			return true
		}
		if p.limit > 0 {
			*remaining--
			if *remaining <= 0 {
				return true
			}
		}
	}
	if len(pg.Items) == 0 {
		r.setSeg(i, after)
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

func (r *Pager) sequential(ctx context.Context, p *Plan, i int, yield Yield) {
	remaining := p.limit
	key := p.Segs[i].Key
	for {
		if err := ctx.Err(); err != nil && !p.OwnsCtx {
			yield(p, nil, 0, err)
			return
		}
		pg, err := p.Fetch(ctx, p.Segs[i].Seg, key, p.requestLimit(p.limit, remaining, p.peek), false)
		if err != nil {
			yield(p, nil, 0, err)
			return
		}
		r.AddStats(pg.Scanned, pg.Capacity)
		if r.emit(p, i, pg, &remaining, yield) || !pg.More {
			return
		}
		key = pg.LastKey
	}
}

type segPage struct {
	slot int
	pg   Page
	err  error
}

// parallel reads the active segment slots in one goroutine each and yields
// their pages as they come. Every goroutine has exited when it returns.
func (r *Pager) parallel(ctx context.Context, p *Plan, active []int, yield Yield) {
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	ch := make(chan segPage, p.prefetch()) // with Prefetch, pages wait here too
	limit := p.requestLimit(p.limit, p.limit, p.peek)
	for _, slot := range active {
		wg.Go(func() {
			key := p.Segs[slot].Key
			for {
				if wctx.Err() != nil {
					return
				}
				pg, err := p.Fetch(wctx, p.Segs[slot].Seg, key, limit, false)
				select {
				case ch <- segPage{slot: slot, pg: pg, err: err}:
				case <-wctx.Done():
					return
				}
				if err != nil || !pg.More {
					return
				}
				key = pg.LastKey
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
		r.AddStats(sp.pg.Scanned, sp.pg.Capacity)
		if r.emit(p, sp.slot, sp.pg, &remaining, yield) {
			return
		}
		if !sp.pg.More {
			running--
		}
	}
}

// Count returns the number of matching items: Select=COUNT requests over
// every page (and every segment), up to Limit when one is given. A plan
// with NoCount is iterated instead (with Limit, as an iteration).
func (r *Pager) Count(ctx context.Context) (int64, error) {
	p, err := r.Build(ctx)
	if err != nil {
		return 0, err
	}
	if p.NoCount {
		var n int64
		var failed error
		r.Run(ctx, r.Limit, true, func(_ *Plan, _ map[string]types.AttributeValue, _ int, err error) bool {
			if err != nil {
				failed = err
				return false
			}
			n++
			return true
		})
		return n, failed
	}
	var (
		mu       sync.Mutex
		total    int64
		firstErr error
		wg       sync.WaitGroup
	)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, s := range p.Segs {
		if s.Done {
			continue
		}
		wg.Go(func() {
			n, err := r.countSegment(cctx, p, s)
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
	if r.Limit > 0 && total > int64(r.Limit) {
		total = int64(r.Limit)
	}
	return total, nil
}

func (r *Pager) countSegment(ctx context.Context, p *Plan, s SegState) (int64, error) {
	var n int64
	key := s.Key
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		remaining := r.Limit - int(n)
		pg, err := p.Fetch(ctx, s.Seg, key, p.requestLimit(r.Limit, remaining, false), true)
		if err != nil {
			return n, err
		}
		r.AddStats(pg.Scanned, pg.Capacity)
		n += pg.Count
		if !pg.More || r.Limit > 0 && n >= int64(r.Limit) {
			return n, nil
		}
		key = pg.LastKey
	}
}
