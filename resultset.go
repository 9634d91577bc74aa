package dynamap

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/pager"
)

// The paging engine (plans, page fetching, segments run in parallel, the
// cursor kept after each item, Count, the cursor codec) lives in
// internal/pager; this file is the public surface over it: ResultSet, a
// thin handle that wraps the raw items into Items or decodes them.

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
	attrs []string // the Attributes paths of a projected read (Item.markLoaded)
	pg    pager.Pager

	batchStats func() BatchStats // BatchGet's; nil for other reads
}

// newResultSet returns the ResultSet of table t (nil for none) with limit
// (0: none), start (the StartFrom cursor) and build (the plan of each
// iteration).
func newResultSet(t *Table, limit int, start string, attrs []string, build func(ctx context.Context) (*plan, error)) *ResultSet {
	rs := &ResultSet{t: t, attrs: attrs}
	rs.pg.Limit, rs.pg.Start, rs.pg.Build = limit, start, build
	if t != nil {
		rs.pg.Table = t.name
	}
	return rs
}

// The pager's types, under the names the rest of the package uses.
type (
	plan     = pager.Plan
	page     = pager.Page
	segState = pager.SegState
	pageFunc = pager.PageFunc
	keySpec  = pager.KeySpec
)

// newResultSetFromPages returns a ResultSet over an arbitrary page source
// (see pager.FromSource). A ResultSet from pages has no cursor; Count
// iterates. partial marks the items as loaded with a projection.
func newResultSetFromPages(t *Table, partial bool, open func() (next pageFunc, stop func())) *ResultSet {
	return newResultSetFromSource(t, partial, false, open)
}

// newResultSetFromSource is newResultSetFromPages; with ownsCtx, next is
// called even when ctx is done (not stopped before it), so that the source
// reports that itself (BatchGet lists the keys it did not read).
func newResultSetFromSource(t *Table, partial, ownsCtx bool, open func() (next pageFunc, stop func())) *ResultSet {
	return newResultSet(t, 0, "", nil, pager.FromSource(partial, ownsCtx, open))
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
func (rs *ResultSet) Cursor() string { return rs.pg.Cursor() }

// ScannedCount returns how many items DynamoDB evaluated (before filters)
// for this ResultSet so far, over all its iterations and Count calls.
func (rs *ResultSet) ScannedCount() int64 { return rs.pg.Scanned() }

// ConsumedCapacity returns the read capacity units DynamoDB reported as
// consumed by this ResultSet's requests so far (ReturnConsumedCapacity
// TOTAL).
func (rs *ResultSet) ConsumedCapacity() float64 { return rs.pg.Capacity() }

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
			it.markLoaded(p.Partial, rs.attrs)
			return yield(it, nil)
		})
	}
}

// run is All without the *Item wrapping: Items decodes straight from the
// attribute values.
func (rs *ResultSet) run(ctx context.Context, yield pager.Yield) {
	rs.pg.Run(ctx, rs.pg.Limit, true, yield)
}

// Count returns the number of matching items: Select=COUNT requests over
// every page (and every segment), up to Limit when one is given. For
// BatchGet it reads the items.
func (rs *ResultSet) Count(ctx context.Context) (int64, error) { return rs.pg.Count(ctx) }

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
// map) as Item.Decode does, with the codec of rs's table (see WithCodec). A decoding failure is a *ValueError
// that ends the sequence.
func Items[T any](ctx context.Context, rs *ResultSet) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		d := tableDecoder[T](rs.t)
		v := new(T) // one T decoded into for the whole iteration, yielded by copy
		rs.run(ctx, func(_ *plan, av map[string]types.AttributeValue, _ int, err error) bool {
			if err == nil {
				err = d.decodeFresh(av, v)
			}
			if err != nil {
				var zero T
				yield(zero, err)
				return false
			}
			return yield(*v, nil)
		})
	}
}

// itemDecoder decodes raw items straight into T with a table's codec (no
// *Item, no copy of the map), reusing one M value for a whole iteration.
// What it decodes shares no memory with the raw item that a caller could
// change (the codec copies binary values; strings are immutable).
type itemDecoder[T any] struct {
	cd    *codec.Codec
	table string // "" for none
	m     types.AttributeValueMemberM
}

// newItemDecoder returns a decoder of items into T with cd, the codec of
// the items' table.
func newItemDecoder[T any](cd *codec.Codec) *itemDecoder[T] {
	return &itemDecoder[T]{cd: cd}
}

// tableDecoder returns a decoder of items of table t (nil for none) into
// T with t's codec; its errors name t.
func tableDecoder[T any](t *Table) *itemDecoder[T] {
	d := newItemDecoder[T](t.codec())
	if t != nil {
		d.table = t.name
	}
	return d
}

// decode decodes av into *v, which is zero (or holds what av's attributes
// are merged into); a failure is a *ValueError.
func (d *itemDecoder[T]) decode(av map[string]types.AttributeValue, v *T) error {
	d.m.Value = av
	err := d.cd.Decode(&d.m, v)
	d.m.Value = nil
	if err != nil {
		if d.table == "" {
			return &ValueError{Reason: fmt.Sprintf("cannot decode an item into %T", *v), Err: err}
		}
		return &ValueError{Reason: fmt.Sprintf("cannot decode an item of %q into %T", d.table, *v), Err: err}
	}
	return nil
}

// decodeBox is an itemDecoder and the T it decodes into, allocated
// together: decoding one item costs one allocation beside the codec's own.
type decodeBox[T any] struct {
	d itemDecoder[T]
	v T
}

// newDecodeBox returns a box decoding items of table t (see tableDecoder).
func newDecodeBox[T any](t *Table) *decodeBox[T] {
	return &decodeBox[T]{d: itemDecoder[T]{cd: t.codec(), table: t.Name()}}
}

// decode decodes av into a zeroed b.v (see itemDecoder.decodeFresh).
func (b *decodeBox[T]) decode(av map[string]types.AttributeValue) error {
	return b.d.decodeFresh(av, &b.v)
}

// decodeItemOf decodes one raw item of table t into a new T (an error
// names t, as tableDecoder's; the T is then zero).
func decodeItemOf[T any](t *Table, av map[string]types.AttributeValue) (T, error) {
	b := newDecodeBox[T](t)
	if err := b.decode(av); err != nil {
		var zero T
		return zero, err
	}
	return b.v, nil
}

// decodeFresh zeroes *v, then decodes av into it, so that nothing of a
// previous item (a map or slice a caller was handed) is reused.
func (d *itemDecoder[T]) decodeFresh(av map[string]types.AttributeValue, v *T) error {
	var zero T
	*v = zero
	return d.decode(av, v)
}

// Collect decodes every item of rs into a []T (see Items). On error it
// returns the items decoded so far and the error.
func Collect[T any](ctx context.Context, rs *ResultSet) ([]T, error) {
	var out []T
	var failed error
	d := tableDecoder[T](rs.t)
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
