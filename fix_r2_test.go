package dynamap

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
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
