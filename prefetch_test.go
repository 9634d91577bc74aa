package dynamap

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// seen is what a loop saw at one item: the item's key and the cursor right
// after it.
type seen struct {
	key    string
	cursor string
}

// walk ranges over rs, stopping after stop items (0: all), and returns
// what it saw and the error that ended it.
func walk(ctx context.Context, rs *ResultSet, stop int) ([]seen, error) {
	var out []seen
	for it, err := range rs.All(ctx) {
		if err != nil {
			return out, err
		}
		out = append(out, seen{fmt.Sprint(it.Get("pk"), "/", it.Get("sk")), rs.Cursor()})
		if stop > 0 && len(out) == stop {
			break
		}
	}
	return out, nil
}

func loadPrefetch(t *testing.T, tb *Table) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, tb.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for p := range 3 {
			for i := range 47 {
				if err := b.PutItem(ctx, map[string]any{"pk": fmt.Sprint("p", p), "sk": i, "even": i%2 == 0}); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

// Query with Prefetch yields exactly the items, in the same order, and the
// same cursor after each item as the sequential read, with and without
// Limit, a filter and StartFrom, sending the same requests.
func TestPrefetchQueryMatchesSequential(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	c := testConn(t, rc.option)
	tb := testTable(t, c, paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	mid, err := walk(ctx, tb.Query(Filter{"pk__eq": "p1"}, PageSize(5)), 13)
	require.NoError(t, err)
	from := mid[12].cursor
	cases := map[string][]QueryOption{
		"all":            nil,
		"Limit(12)":      {Limit(12)},
		"Limit(10)":      {Limit(10)}, // ends on a page boundary
		"Limit(100)":     {Limit(100)},
		"filter+Limit":   {Where(Filter{"even__eq": true}), Limit(9)},
		"StartFrom":      {StartFrom(from)},
		"StartFrom+Lim":  {StartFrom(from), Limit(7)},
		"Reverse+filter": {Reverse(), Where(Filter{"even__eq": false})},
	}
	for name, opts := range cases {
		for _, n := range []int{1, 3} {
			q := func(extra ...QueryOption) *ResultSet {
				return tb.Query(Filter{"pk__eq": "p1"}, append(append([]QueryOption{PageSize(5)}, opts...), extra...)...)
			}
			before := rc.count("Query")
			want, err := walk(ctx, q(), 0)
			require.NoError(t, err)
			seqReqs := rc.count("Query") - before
			before = rc.count("Query")
			got, err := walk(ctx, q(Prefetch(n)), 0)
			require.NoError(t, err)
			require.Equal(t, want, got, "%s Prefetch(%d)", name, n)
			assert.Equal(t, seqReqs, rc.count("Query")-before, "%s Prefetch(%d): the requests of the sequential read", name, n)
			cnt, err := q(Prefetch(n)).Count(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(len(want)), cnt, "%s: Count unchanged", name)
		}
	}
}

// Scan with Prefetch (and Parallel with it) yields the same set of items;
// a break mid-page leaves a cursor that resumes right after the last item
// yielded.
func TestPrefetchScanMatchesSequential(t *testing.T) {
	t.Parallel()
	c := testConn(t)
	tb := testTable(t, c, paced)
	loadPrefetch(t, tb)
	ctx := context.Background()
	keys := func(s []seen) []string {
		var k []string
		for _, x := range s {
			k = append(k, x.key)
		}
		slices.Sort(k)
		return k
	}
	want, err := walk(ctx, tb.Scan(nil, PageSize(7)), 0)
	require.NoError(t, err)
	require.Len(t, want, 141)
	var evens []string
	for _, x := range want {
		var p string
		var i int
		_, err := fmt.Sscanf(x.key, "%2s/%d", &p, &i)
		require.NoError(t, err)
		if i%2 == 0 {
			evens = append(evens, x.key)
		}
	}
	slices.Sort(evens)
	for name, tc := range map[string]struct {
		opts []ScanOption
		want []string
	}{
		"Prefetch(1)":             {[]ScanOption{Prefetch(1)}, keys(want)},
		"Prefetch(4)":             {[]ScanOption{Prefetch(4)}, keys(want)},
		"Parallel(3)+Prefetch(2)": {[]ScanOption{Parallel(3), Prefetch(2)}, keys(want)},
		"filter+Prefetch(2)":      {[]ScanOption{Where(Filter{"even__eq": true}), Prefetch(2)}, evens},
	} {
		got, err := walk(ctx, tb.Scan(nil, append([]ScanOption{PageSize(7)}, tc.opts...)...), 0)
		require.NoError(t, err)
		assert.Equal(t, tc.want, keys(got), name)
	}
	// Same order for a sequential Scan: DynamoDB's order does not change
	// between two reads of an unchanged table.
	got, err := walk(ctx, tb.Scan(nil, PageSize(7), Prefetch(2)), 0)
	require.NoError(t, err)
	assert.Equal(t, want, got, "a one-segment Scan: same items, order and cursors")
	// Break mid-page and resume.
	for _, stop := range []int{1, 10, 30} {
		rs := tb.Scan(nil, PageSize(7), Prefetch(3))
		first, err := walk(ctx, rs, stop)
		require.NoError(t, err)
		rest, err := walk(ctx, tb.Scan(nil, PageSize(7), Prefetch(3), StartFrom(rs.Cursor())), 0)
		require.NoError(t, err)
		assert.Equal(t, keys(want), keys(append(first, rest...)), "break after %d, resume: every item once", stop)
	}
}

// Breaking out of a prefetching loop stops fetching: at most Prefetch
// pages past the ones read were requested, none after the loop returned,
// and no goroutine is left.
func TestPrefetchBreakStopsFetching(t *testing.T) {
	var rc requestCounter
	tb := testTable(t, testConn(t), paced)
	// A transport that drops idle connections soon: a canceled request's
	// connection is replaced inside the loop, and its goroutines must end.
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.IdleConnTimeout = idleTimeout })
	tb = NewTable(retryingConn(t, testEndpoint(t), rc.option, func(o *conn.Options) { o.HTTPClient = hc }), tb.Name())
	loadPrefetch(t, tb)
	ctx := context.Background()
	for _, n := range []int{1, 3} {
		before := rc.count("Query")
		id := withLabel(ctx, func(ctx context.Context) {
			got, err := walk(ctx, tb.Query(Filter{"pk__eq": "p2"}, PageSize(5), Prefetch(n)), 7) // page 2
			require.NoError(t, err)
			require.Len(t, got, 7)
		})
		assertNoLeak(t, id)
		sent := rc.count("Query") - before
		assert.LessOrEqual(t, sent, 2+n, "Prefetch(%d), break on page 2: pages 1-2 and at most %d ahead", n, n)
		time.Sleep(50 * time.Millisecond)
		assert.Equal(t, sent, rc.count("Query")-before, "no request after the loop returned")
	}
	// The same with Parallel.
	id := withLabel(ctx, func(ctx context.Context) {
		_, err := walk(ctx, tb.Scan(nil, PageSize(5), Parallel(3), Prefetch(2)), 3)
		require.NoError(t, err)
	})
	assertNoLeak(t, id)
}

func TestPrefetchNegativeIsQueryError(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	tb := NewTable(testConn(t, rc.option), "no_such_table_prefetch", WithSchema(paced...))
	_, err := walk(context.Background(), tb.Query(Filter{"pk__eq": "p"}, Prefetch(-1)), 0)
	require.ErrorIs(t, err, ErrQuery)
	assert.Contains(t, err.Error(), "Prefetch(-1)")
	assert.Zero(t, rc.total())
}
