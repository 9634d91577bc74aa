package pager

import (
	"context"
	"sync"
)

// fetched is a page (or the error that ends the read) handed from the
// prefetching goroutine to the iteration.
type fetched struct {
	pg  Page
	err error
}

// MaxPrefetch is the most pages a read requests ahead: the pager makes room
// for them up front, so a larger Plan.Prefetch counts as MaxPrefetch.
const MaxPrefetch = 1024

// prefetch is p.Prefetch within 0 and MaxPrefetch.
func (p *Plan) prefetch() int { return min(max(p.Prefetch, 0), MaxPrefetch) }

// prefetched is sequential with p.Prefetch pages requested ahead: one
// goroutine requests the pages in order while the caller works on the items
// of an earlier one, and holds at most p.Prefetch of them (the one it is
// requesting or has in hand, and p.Prefetch-1 waiting in a channel), so at
// most p.Prefetch+1 pages are in memory with the one being yielded.
//
// What the caller sees is what sequential yields: the same items in the
// same order, the cursor kept after each item yielded (the goroutine never
// touches it), an error after the items of the pages before it, and ctx
// checked before each page is yielded as sequential checks it before each
// request. With a limit, the goroutine counts the items it has fetched as
// sequential counts those it yielded, so it sends the same requests and
// none past what the limit needs. When the iteration ends, however it ends,
// the request in flight is canceled and the goroutine waited for; pages it
// fetched and the caller did not reach are dropped, their scanned count
// and capacity counted all the same (DynamoDB did the work).
func (r *Pager) prefetched(ctx context.Context, p *Plan, i int, yield Yield) {
	fctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	ch := make(chan fetched, p.prefetch()-1)
	seg, start := p.Segs[i].Seg, p.Segs[i].Key
	wg.Go(func() {
		defer close(ch)
		remaining := p.limit
		key := start
		for fctx.Err() == nil {
			pg, err := p.Fetch(fctx, seg, key, p.requestLimit(p.limit, remaining, p.peek), false)
			if err == nil {
				r.AddStats(pg.Scanned, pg.Capacity)
			}
			select {
			case ch <- fetched{pg: pg, err: err}:
			case <-fctx.Done():
				return
			}
			if err != nil || !pg.More {
				return
			}
			if p.limit > 0 {
				if remaining -= len(pg.Items); remaining <= 0 {
					return
				}
			}
			key = pg.LastKey
		}
	})
	remaining := p.limit
	for {
		if err := ctx.Err(); err != nil {
			yield(p, nil, 0, err)
			return
		}
		var f fetched
		var ok bool
		select {
		case f, ok = <-ch:
		case <-ctx.Done():
			yield(p, nil, 0, ctx.Err())
			return
		}
		if !ok {
			// The goroutine stopped without a last page: only a done ctx
			// stops it so (a limit reached is seen here first).
			if err := ctx.Err(); err != nil {
				yield(p, nil, 0, err)
			}
			return
		}
		if f.err != nil {
			yield(p, nil, 0, f.err)
			return
		}
		if r.emit(p, i, f.pg, &remaining, yield) || !f.pg.More {
			return
		}
	}
}
