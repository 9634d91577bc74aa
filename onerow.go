package dynamap

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
)

// head reads at most n items of rs (fewer when rs has a smaller Limit),
// asking DynamoDB for no more: without a filter a request's Limit is the
// items still wanted, never one more (First and One need no cursor that
// knows the read is complete). It returns the plan the items were read
// with.
func (rs *ResultSet) head(ctx context.Context, n int) (p *plan, avs []map[string]types.AttributeValue, err error) {
	if rs.pg.Limit > 0 && rs.pg.Limit < n {
		n = rs.pg.Limit
	}
	rs.pg.Run(ctx, n, false, func(pp *plan, av map[string]types.AttributeValue, _ int, e error) bool {
		if e != nil {
			err = e
			return false
		}
		p = pp
		avs = append(avs, av)
		return len(avs) < n
	})
	return p, avs, err
}

// notFound is ErrItemNotFound for a read of rs that matched no item.
func (rs *ResultSet) notFound() error {
	if rs.t == nil {
		return ErrItemNotFound
	}
	return fmt.Errorf("%w in %q", ErrItemNotFound, rs.t.name)
}

// tooMany is ErrTooManyItems for a read of rs that matched several items.
func (rs *ResultSet) tooMany() error {
	if rs.t == nil {
		return ErrTooManyItems
	}
	return fmt.Errorf("%w in %q", ErrTooManyItems, rs.t.name)
}

// First returns the first item of rs (pgx's CollectOneRow for the first
// row): the lowest range key of a Query (the highest with Reverse), the
// first item a Scan or BatchGet reads. It reads no more than it needs:
// without a filter one request with Limit 1; with a filter (Where, a Scan
// filter) pages of PageSize until one item matches. No item is
// ErrItemNotFound. Errors are All's (a bad filter before any request).
// Cursor afterwards resumes right after the item.
func (rs *ResultSet) First(ctx context.Context) (*Item, error) {
	p, avs, err := rs.head(ctx, 1)
	if err != nil {
		return nil, err
	}
	if len(avs) == 0 {
		return nil, rs.notFound()
	}
	it := newLoadedItem(rs.t, avs[0])
	it.markLoaded(p.Partial, rs.attrs)
	return it, nil
}

// One returns the only item of rs (guregu/dynamo's One): no item is
// ErrItemNotFound, more than one is ErrTooManyItems. It reads at most two
// matching items: without a filter one request with Limit 2 (and more
// only when a page ends early, as DynamoDB's 1 MB pages may); with a
// filter pages of PageSize until a second item matches or the read ends.
// A Limit(1) on rs makes One read one item and never report
// ErrTooManyItems. Errors are All's.
func (rs *ResultSet) One(ctx context.Context) (*Item, error) {
	p, avs, err := rs.head(ctx, 2)
	if err != nil {
		return nil, err
	}
	switch len(avs) {
	case 0:
		return nil, rs.notFound()
	case 1:
		it := newLoadedItem(rs.t, avs[0])
		it.markLoaded(p.Partial, rs.attrs)
		return it, nil
	}
	return nil, rs.tooMany()
}

// First decodes the first item of rs into a T (see ResultSet.First, and
// Items for the decoding): ErrItemNotFound when there is none, a
// *ValueError when it does not decode.
func First[T any](ctx context.Context, rs *ResultSet) (T, error) {
	var v T
	_, avs, err := rs.head(ctx, 1)
	if err != nil {
		return v, err
	}
	if len(avs) == 0 {
		return v, rs.notFound()
	}
	return decodeOne[T](rs.t.codec(), avs[0])
}

// One decodes the only item of rs into a T (see ResultSet.One, and Items
// for the decoding): ErrItemNotFound when there is none, ErrTooManyItems
// when there are several, a *ValueError when it does not decode.
func One[T any](ctx context.Context, rs *ResultSet) (T, error) {
	var v T
	_, avs, err := rs.head(ctx, 2)
	if err != nil {
		return v, err
	}
	switch len(avs) {
	case 0:
		return v, rs.notFound()
	case 1:
		return decodeOne[T](rs.t.codec(), avs[0])
	}
	return v, rs.tooMany()
}

// decodeOne decodes av into a T with cd, the codec of av's table; on
// error the T is the zero value.
func decodeOne[T any](cd *codec.Codec, av map[string]types.AttributeValue) (T, error) {
	var v T
	if err := newItemDecoder[T](cd).decode(av, &v); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}
