package dynamap

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/internal/faultproxy"
)

// A zero whose exponent DynamoDB cannot parse is refused before any
// request, alone and in a batch, whose other items are written.
func TestZeroWithHugeExponentRefused(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	c := testConn(t, rc.option)
	tb := testTable(t, c, batchSchema)
	ctx := context.Background()
	for _, n := range []Number{"0e-99999999999", "0e-2147483648", "0e2147483648", "0.0e-2147483647"} {
		before := rc.total()
		err := tb.PutItem(ctx, map[string]any{"pk": "a", "n": 1, "v": n})
		require.ErrorIs(t, err, ErrInvalidValue, "%s", n)
		err = tb.PutItem(ctx, map[string]any{"pk": "a", "n": 1, "s": NumberSet{"1", n}})
		require.ErrorIs(t, err, ErrInvalidValue, "%s in a set", n)
		_, err = tb.Increment(ctx, Key{"pk": "a", "n": 1}, "v", n)
		require.ErrorIs(t, err, ErrInvalidValue, "Increment by %s", n)
		require.Equal(t, before, rc.total(), "%s reached DynamoDB", n)
	}
	b := tb.BatchWrite()
	for i := range 24 {
		require.NoError(t, b.PutItem(ctx, batchItem(i)))
	}
	require.ErrorIs(t, b.PutItem(ctx, map[string]any{"pk": "p", "n": 99, "v": Number("0e-99999999999")}), ErrInvalidValue)
	require.NoError(t, b.Close(ctx))
	require.Equal(t, int64(24), consistentCount(t, tb))
}

// Channels and functions are refused, nil or not, wherever they stand.
func TestNilChanAndFuncRefused(t *testing.T) {
	t.Parallel()
	type withChan struct{ C chan int }
	type withFunc struct{ F func() }
	for name, v := range map[string]any{
		"struct with a nil chan": withChan{},
		"nil chan":               (chan int)(nil),
		"nil func":               (func())(nil),
		"in a list":              []any{withChan{}},
		"struct with a nil func": withFunc{},
		"pointer to a nil chan":  new(chan int),
	} {
		_, err := marshalValue(v)
		require.ErrorIs(t, err, ErrInvalidValue, name)
		it := &Item{}
		require.ErrorIs(t, it.Set("v", v), ErrInvalidValue, name)
		_, err = marshalItem(map[string]any{"id": "a", "v": v})
		require.ErrorIs(t, err, ErrInvalidValue, name)
	}
}

// Requests superseded in a buffer (a put, then a delete, then a put of one
// key) travel with the request that superseded them: when it is not
// written, they are reported unprocessed too, in order, and not counted as
// written.
func TestBatchWriteSupersededReportedWithTheirSuccessor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	p := newProxy(t, faultproxy.Config{})
	viaProxy := NewTable(endpointConn(t, p.URL), tb.name, WithSchema(batchSchema...))
	var last [2]int
	b := viaProxy.BatchWrite(MaxResends(1), Backoff(time.Millisecond, 2*time.Millisecond),
		OnProgress(func(w, pend int) { last = [2]int{w, pend} }))
	key := Key{"pk": "a", "n": 1}
	require.NoError(t, b.PutItem(ctx, map[string]any{"pk": "a", "n": 1, "v": 1}))
	require.NoError(t, b.Flush(ctx))
	p.Update(func(c *faultproxy.Config) { c.RefuseAll = true })
	require.NoError(t, b.PutItem(ctx, map[string]any{"pk": "a", "n": 1, "v": 2}))
	require.NoError(t, b.DeleteItem(ctx, key))
	require.NoError(t, b.PutItem(ctx, map[string]any{"pk": "a", "n": 1, "v": 4}))
	err := b.Close(ctx)
	var ue *UnprocessedError
	require.ErrorAs(t, err, &ue)
	require.Len(t, ue.Puts, 2, "the put of v2 and of v4")
	require.Len(t, ue.Deletes, 1, "the delete between them")
	require.Equal(t, "2", ue.Puts[0]["v"].(*types.AttributeValueMemberN).Value)
	require.Equal(t, "4", ue.Puts[1]["v"].(*types.AttributeValueMemberN).Value)
	require.Equal(t, [2]int{1, 0}, last, "only the first put was written; nothing is pending")

	// And when the successor is written, so are the ones it superseded.
	p.Update(func(c *faultproxy.Config) { c.RefuseAll = false })
	b = viaProxy.BatchWrite(OnProgress(func(w, pend int) { last = [2]int{w, pend} }))
	require.NoError(t, b.PutItem(ctx, map[string]any{"pk": "a", "n": 1, "v": 5}))
	require.NoError(t, b.DeleteItem(ctx, key))
	require.NoError(t, b.Close(ctx))
	require.Equal(t, [2]int{2, 0}, last)
	ok, err := tb.HasItem(ctx, key, Consistent())
	require.NoError(t, err)
	require.False(t, ok)
}
