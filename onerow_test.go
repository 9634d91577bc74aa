package dynamap

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// First and One read no more than they need: without a filter one request
// with Limit 1 (First) or 2 (One), seen in the requests sent and in the
// items DynamoDB evaluated.
func TestFirstAndOne(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("pk"), RangeKey("n", N)})
	for i := range 10 {
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"pk": "many", "n": i, "v": fmt.Sprint("v", i)}))
	}
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"pk": "one", "n": 5, "v": "only"}))

	query := func(pk string, opts ...QueryOption) *ResultSet {
		return tbl.Query(Filter{"pk__eq": pk}, append(opts, Consistent())...)
	}
	reads := func(t *testing.T, rs *ResultSet, call func() error, wantQueries int, wantScanned int64) {
		t.Helper()
		before := rc.count("Query")
		require.NoError(t, call())
		require.Equal(t, wantQueries, rc.count("Query")-before, "requests")
		require.Equal(t, wantScanned, rs.ScannedCount(), "items evaluated")
	}

	t.Run("First", func(t *testing.T) {
		rs := query("many")
		reads(t, rs, func() error {
			it, err := rs.First(ctx)
			if err == nil {
				require.Equal(t, Number("0"), it.Get("n"))
				require.True(t, it.Loaded())
			}
			return err
		}, 1, 1)
		rs = query("many", Reverse())
		reads(t, rs, func() error {
			it, err := rs.First(ctx)
			if err == nil {
				require.Equal(t, Number("9"), it.Get("n"))
			}
			return err
		}, 1, 1)
		next, err := query("many", StartFrom(rs.Cursor()), Reverse()).First(ctx)
		require.NoError(t, err)
		require.Equal(t, Number("8"), next.Get("n"), "the cursor resumes right after the first item")
	})

	t.Run("One", func(t *testing.T) {
		rs := query("one")
		reads(t, rs, func() error {
			it, err := rs.One(ctx)
			if err == nil {
				require.Equal(t, "only", it.Get("v"))
			}
			return err
		}, 1, 1)

		rs = query("many")
		before := rc.count("Query")
		_, err := rs.One(ctx)
		require.ErrorIs(t, err, ErrTooManyItems)
		require.Equal(t, 1, rc.count("Query")-before)
		require.Equal(t, int64(2), rs.ScannedCount(), "reads at most two items")

		it, err := query("many", Limit(1)).One(ctx)
		require.NoError(t, err, "Limit(1) bounds the result set to one item")
		require.Equal(t, Number("0"), it.Get("n"))
	})

	t.Run("none", func(t *testing.T) {
		_, err := query("nobody").First(ctx)
		require.ErrorIs(t, err, ErrItemNotFound)
		_, err = query("nobody").One(ctx)
		require.ErrorIs(t, err, ErrItemNotFound)
		_, err = First[map[string]any](ctx, query("nobody"))
		require.ErrorIs(t, err, ErrItemNotFound)
		_, err = One[map[string]any](ctx, query("nobody"))
		require.ErrorIs(t, err, ErrItemNotFound)
	})

	t.Run("filtered", func(t *testing.T) {
		rs := query("many", Where(Filter{"v__eq": "v7"}))
		it, err := rs.One(ctx)
		require.NoError(t, err)
		require.Equal(t, Number("7"), it.Get("n"))
		it, err = query("many", Where(Filter{"v__in": []string{"v3", "v6"}})).First(ctx)
		require.NoError(t, err)
		require.Equal(t, Number("3"), it.Get("n"))
		_, err = query("many", Where(Filter{"v__in": []string{"v3", "v6"}})).One(ctx)
		require.ErrorIs(t, err, ErrTooManyItems)
		_, err = query("many", Where(Filter{"v__nope": 1})).First(ctx)
		require.ErrorIs(t, err, ErrUnknownFilterType)
	})

	t.Run("generic", func(t *testing.T) {
		type row struct {
			PK string `dynamodbav:"pk"`
			N  int    `dynamodbav:"n"`
			V  string `dynamodbav:"v"`
		}
		r, err := First[row](ctx, query("many", Reverse()))
		require.NoError(t, err)
		require.Equal(t, row{"many", 9, "v9"}, r)
		r, err = One[row](ctx, query("one"))
		require.NoError(t, err)
		require.Equal(t, row{"one", 5, "only"}, r)
		_, err = One[row](ctx, query("many"))
		require.ErrorIs(t, err, ErrTooManyItems)
		_, err = First[struct {
			N string `dynamodbav:"pk"`
			V []int  `dynamodbav:"v"`
		}](ctx, query("one"))
		require.ErrorIs(t, err, ErrInvalidValue)
	})

	t.Run("Scan and BatchGet", func(t *testing.T) {
		rs := tbl.Scan(Filter{"v__eq": "only"}, Consistent())
		it, err := rs.One(ctx)
		require.NoError(t, err)
		require.Equal(t, "one", it.Get("pk"))
		it, err = tbl.BatchGet([]Key{{"pk": "one", "n": 5}, {"pk": "nobody", "n": 1}}, Consistent()).One(ctx)
		require.NoError(t, err)
		require.Equal(t, "only", it.Get("v"))
	})
}
