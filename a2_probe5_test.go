package dynamap

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A ResultSet ranged again after a break behaves the same with and without
// Prefetch (and with Parallel + Limit), item for item, cursor for cursor,
// and sends the same requests plus at most n pages requested ahead and
// dropped at the break.
func TestA2PrefetchReiterateSameAsSequential(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	tb := testTable(t, testConn(t, rc.option), paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	run := func(opts ...QueryOption) ([]seen, []seen, int) {
		before := rc.count("Query")
		rs := tb.Query(Filter{"pk__eq": "p2"}, append([]QueryOption{PageSize(4), Limit(21)}, opts...)...)
		a, err := walk(ctx, rs, 9)
		require.NoError(t, err)
		b, err := walk(ctx, rs, 0)
		require.NoError(t, err)
		return a, b, rc.count("Query") - before
	}
	a0, b0, r0 := run()
	for _, n := range []int{1, 4} {
		a, b, r := run(Prefetch(n))
		assert.Equal(t, a0, a, "Prefetch(%d) first loop", n)
		assert.Equal(t, b0, b, "Prefetch(%d) second loop", n)
		assert.GreaterOrEqual(t, r, r0, "Prefetch(%d) requests", n)
		assert.LessOrEqual(t, r, r0+n, "Prefetch(%d): the break drops at most n pages requested ahead", n)
	}
	var srs []int
	for _, n := range []int{0, 2} {
		rs := tb.Scan(nil, PageSize(4), Parallel(3), Limit(50), Prefetch(n))
		got, err := walk(ctx, rs, 0)
		require.NoError(t, err)
		srs = append(srs, len(got))
	}
	assert.Equal(t, []int{50, 50}, srs, "Parallel + Limit(50), with and without Prefetch")
}
