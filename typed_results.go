package dynamap

import (
	"context"
	"iter"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Results is the lazy result of a TypedTable's Query, Scan or BatchGet: a
// ResultSet whose items are decoded into T. Every option of the untyped
// call works the same (it is the same ResultSet beneath); building one
// does no I/O. Before the first request of each iteration (or Count) the
// model is checked against the table (see TableOf): a bad model or a
// mismatch is the sequence's only error.
type Results[T any] struct {
	tt *TypedTable[T]
	rs *ResultSet
}

// Query returns the items whose key matches keyCond, decoded into T; see
// Table.Query for keyCond and the options (Index, Reverse, Consistent,
// Limit, PageSize, Attributes, Where, StartFrom).
func (tt *TypedTable[T]) Query(keyCond Filter, opts ...QueryOption) *Results[T] {
	return &Results[T]{tt: tt, rs: tt.t.Query(keyCond, opts...)}
}

// Scan returns every item matching filter (may be nil) and the Where
// conditions, decoded into T; see Table.Scan for the options (Index,
// Segment, Parallel, Limit, ...).
func (tt *TypedTable[T]) Scan(filter Filter, opts ...ScanOption) *Results[T] {
	return &Results[T]{tt: tt, rs: tt.t.Scan(filter, opts...)}
}

// BatchGet reads the items with the given keys, decoded into T, 100 keys
// a request; see Table.BatchGet for the options and for what happens to
// keys DynamoDB leaves unprocessed.
func (tt *TypedTable[T]) BatchGet(keys []Key, opts ...BatchGetOption) *Results[T] {
	return &Results[T]{tt: tt, rs: tt.t.BatchGet(keys, opts...)}
}

// run checks the model, then runs the ResultSet, calling each with the
// raw item, the number left in its page, or the error that ends it.
func (r *Results[T]) run(ctx context.Context, each func(av map[string]types.AttributeValue, left int, err error) bool) {
	if _, err := r.tt.schema(ctx); err != nil {
		each(nil, 0, err)
		return
	}
	r.rs.run(ctx, func(_ *plan, av map[string]types.AttributeValue, left int, err error) bool {
		return each(av, left, err)
	})
}

// All returns the items one at a time, decoded into T. Pages are fetched
// only as needed; breaking out of the loop stops fetching. An error
// (including a *ValueError for an item that does not decode) is yielded
// once, with a zero T, and ends the sequence.
func (r *Results[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		d := tableDecoder[T](r.tt.t)
		v := new(T) // decoded into afresh for each item, yielded by copy
		r.run(ctx, func(av map[string]types.AttributeValue, _ int, err error) bool {
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

// Collect reads every item into a []T. On error it returns the items
// decoded so far and the error.
func (r *Results[T]) Collect(ctx context.Context) ([]T, error) {
	if _, err := r.tt.schema(ctx); err != nil {
		return nil, err
	}
	return Collect[T](ctx, r.rs)
}

// Count returns the number of matching items (Select=COUNT for Query and
// Scan; BatchGet reads the items), as ResultSet.Count.
func (r *Results[T]) Count(ctx context.Context) (int64, error) {
	if _, err := r.tt.schema(ctx); err != nil {
		return 0, err
	}
	return r.rs.Count(ctx)
}

// Cursor returns the token that resumes this read after the last item
// yielded so far (see ResultSet.Cursor).
func (r *Results[T]) Cursor() string { return r.rs.Cursor() }

// ScannedCount returns how many items DynamoDB evaluated so far (see
// ResultSet.ScannedCount).
func (r *Results[T]) ScannedCount() int64 { return r.rs.ScannedCount() }

// ConsumedCapacity returns the read capacity units consumed so far (see
// ResultSet.ConsumedCapacity).
func (r *Results[T]) ConsumedCapacity() float64 { return r.rs.ConsumedCapacity() }

// ResultSet returns the untyped ResultSet beneath (sharing its cursor and
// counters).
func (r *Results[T]) ResultSet() *ResultSet { return r.rs }
