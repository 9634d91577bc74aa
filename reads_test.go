package dynamap

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the read side of issue #9: the resume position is
// the pager's own, key attribute names are literal in every read, reads
// with Attributes keep the table key, a Limit with a filter costs no extra
// requests, cursors are validated as DynamoDB would, and Cursor() is ""
// once a Limit read the last item.

// intOf returns the named number attribute of it as an int.
func intOf(t *testing.T, it *Item, name string) int {
	t.Helper()
	n, ok := it.GetNumber(name)
	require.True(t, ok, "attribute %q is a number in %v", name, it.Names())
	v, err := n.Int64()
	require.NoError(t, err)
	return int(v)
}

// putItems writes items with BatchWriteItem (25 a request), re-sending
// what DynamoDB leaves unprocessed.
func putItems(t *testing.T, tbl *Table, items []map[string]any) {
	t.Helper()
	ctx := context.Background()
	for chunk := range slices.Chunk(items, 25) {
		var wr []types.WriteRequest
		for _, m := range chunk {
			av, err := marshalMap(m)
			require.NoError(t, err)
			wr = append(wr, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
		for len(wr) > 0 {
			out, err := tbl.c.API().BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{tbl.name: wr}})
			require.NoError(t, err)
			wr = out.UnprocessedItems[tbl.name]
		}
	}
}

// rawCursor encodes a cursor from its JSON form, as a client could forge it.
func rawCursor(t *testing.T, c cursorJSON) string {
	t.Helper()
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// firstErr returns the first error an iteration yields, or nil.
func firstErr(ctx context.Context, rs *ResultSet) error {
	for _, err := range rs.All(ctx) {
		if err != nil {
			return err
		}
	}
	return nil
}

// rankTable is a table whose local index ByRank orders the items of pk by
// rank: PartialSave of a changed rank moves an item within the index.
func rankTable(t *testing.T, pks ...string) *Table {
	t.Helper()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("pk"), RangeKey("n", N)},
		WithIndexes(AllIndex("ByRank", HashKey("pk"), RangeKey("rank", N))))
	var items []map[string]any
	for _, pk := range pks {
		for i := range 10 {
			items = append(items, map[string]any{"pk": pk, "n": i, "rank": i * 10})
		}
	}
	putItems(t, tbl, items)
	return tbl
}

// A job that PartialSaves every item it reads, moving it out of the key
// range it reads, and checkpoints the cursor every 3 items, visits every
// item exactly once: the cursor resumes at the original position of the
// last item yielded, not at its new index key.
func TestCursorIsNotMovedByPartialSave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := rankTable(t, "brk", "lim")
	for _, variant := range []string{"brk", "lim"} {
		visited := map[int]int{}
		cursor, rounds := "", 0
		for ; rounds < 10; rounds++ {
			opts := []QueryOption{Index("ByRank"), Consistent(), StartFrom(cursor)}
			if variant == "lim" {
				opts = append(opts, Limit(3))
			}
			rs := tbl.Query(Filter{"pk__eq": variant, "rank__lt": 1000}, opts...)
			n := 0
			for it, err := range rs.All(ctx) {
				require.NoError(t, err)
				visited[intOf(t, it, "n")]++
				require.NoError(t, it.Set("rank", intOf(t, it, "rank")+1000))
				require.NoError(t, it.PartialSave(ctx))
				if n++; n == 3 {
					break
				}
			}
			cursor = rs.Cursor()
			if cursor == "" {
				break
			}
		}
		want := map[int]int{}
		for i := range 10 {
			want[i] = 1
		}
		assert.Equal(t, want, visited, "%s: every item exactly once", variant)
		assert.Empty(t, cursor, "%s: the job ends with the read", variant)
		assert.Equal(t, 3, rounds, "%s: four rounds of 3, 3, 3 and 1 items", variant)
	}
}

// Cursor may be called from another goroutine while the loop body
// PartialSaves the items yielded (run with -race).
func TestCursorConcurrentWithPartialSave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := rankTable(t, "p")
	rs := tbl.Query(Filter{"pk__eq": "p", "rank__lt": 1000}, Index("ByRank"), Consistent())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var cursors []string
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c := rs.Cursor(); c != "" && (len(cursors) == 0 || cursors[len(cursors)-1] != c) {
				cursors = append(cursors, c)
			}
			runtime.Gosched()
		}
	})
	n := 0
	for it, err := range rs.All(ctx) {
		require.NoError(t, err)
		require.NoError(t, it.Set("rank", intOf(t, it, "rank")+1000))
		require.NoError(t, it.PartialSave(ctx))
		n++
	}
	close(stop)
	wg.Wait()
	assert.Equal(t, 10, n)
	assert.Empty(t, rs.Cursor())
	// Every cursor seen names an original position (rank < 1000).
	for _, c := range cursors {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		require.NoError(t, err)
		var cj cursorJSON
		require.NoError(t, json.Unmarshal(raw, &cj))
		require.Len(t, cj.Segs, 1)
		r, err := Number(cj.Segs[0].Key["rank"]["N"]).Int64()
		require.NoError(t, err, "cursor %s", raw)
		assert.Less(t, r, int64(1000), "cursor %s", raw)
	}
}

// dottedTable has key attribute names with dots, a local index whose range
// key name has a dot too, and 30 + 5 items.
func dottedTable(t *testing.T, c ...*Table) *Table {
	t.Helper()
	var tbl *Table
	if len(c) > 0 {
		tbl = c[0]
	} else {
		tbl = testTable(t, testConn(t), []KeyField{HashKey("user.id"), RangeKey("r.x", N)},
			WithIndexes(AllIndex("by.v", HashKey("user.id"), RangeKey("s.v", N))))
	}
	var items []map[string]any
	for i := range 30 {
		items = append(items, map[string]any{"user.id": "u1", "r.x": i, "s.v": (i * 7) % 30, "first_name": fmt.Sprintf("F%02d", i), "other": "o", "tag": fmt.Sprintf("t%d", i)})
	}
	for i := range 5 {
		items = append(items, map[string]any{"user.id": "u2", "r.x": i, "s.v": i, "first_name": "G", "other": "o", "tag": fmt.Sprintf("t-u2-%d", i)})
	}
	putItems(t, tbl, items)
	return tbl
}

// dkey is the "user/r" string of an item of dottedTable.
func dkey(t *testing.T, it *Item) string {
	t.Helper()
	u, ok := it.GetString("user.id")
	require.True(t, ok, "user.id in %v", it.Names())
	return fmt.Sprintf("%s/%d", u, intOf(t, it, "r.x"))
}

// Key attribute names are literal in every read: HasItem, GetItem,
// Query and Scan with Attributes, broken off mid-page and resumed.
func TestDottedKeyNamesInReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &requestCounter{}
	tbl := testTable(t, testConn(t, rc.option), []KeyField{HashKey("user.id"), RangeKey("r.x", N)},
		WithIndexes(AllIndex("by.v", HashKey("user.id"), RangeKey("s.v", N))))
	dottedTable(t, tbl)

	ok, err := tbl.HasItem(ctx, Key{"user.id": "u1", "r.x": 3}, Consistent())
	require.NoError(t, err)
	assert.True(t, ok, "HasItem finds an existing item")
	ok, err = tbl.HasItem(ctx, Key{"user.id": "u1", "r.x": 99}, Consistent())
	require.NoError(t, err)
	assert.False(t, ok)

	it, err := tbl.GetItem(ctx, Key{"user.id": "u1", "r.x": 3}, Attributes("first_name"), Consistent())
	require.NoError(t, err)
	assert.Equal(t, []string{"first_name", "r.x", "user.id"}, it.Names())
	assert.Equal(t, "F03", it.Get("first_name"))

	var all []string
	for i := range 30 {
		all = append(all, fmt.Sprintf("u1/%d", i))
	}
	// A Query broken off mid-page resumes exactly after the last item.
	rs := tbl.Query(Filter{"user.id__eq": "u1"}, Attributes("first_name"), Consistent())
	var got []string
	for it, err := range rs.All(ctx) {
		require.NoError(t, err)
		got = append(got, dkey(t, it))
		if len(got) == 15 {
			break
		}
	}
	rest := tbl.Query(Filter{"user.id__eq": "u1"}, Attributes("first_name"), Consistent(), StartFrom(rs.Cursor()))
	for it, err := range rest.All(ctx) {
		require.NoError(t, err)
		assert.Equal(t, []string{"first_name", "r.x", "user.id"}, it.Names())
		got = append(got, dkey(t, it))
	}
	assert.Equal(t, all, got, "query: exact continuation")

	// The same on the index (its key s.v rides in the cursor, not in the items).
	var byV []int
	rs = tbl.Query(Filter{"user.id__eq": "u1"}, Index("by.v"), Attributes("first_name"), Consistent())
	for it, err := range rs.All(ctx) {
		require.NoError(t, err)
		assert.Equal(t, []string{"first_name", "r.x", "user.id"}, it.Names())
		byV = append(byV, (intOf(t, it, "r.x")*7)%30)
		if len(byV) == 12 {
			break
		}
	}
	for it, err := range tbl.Query(Filter{"user.id__eq": "u1"}, Index("by.v"), Attributes("first_name"), Consistent(), StartFrom(rs.Cursor())).All(ctx) {
		require.NoError(t, err)
		byV = append(byV, (intOf(t, it, "r.x")*7)%30)
	}
	wantV := make([]int, 30)
	for i := range wantV {
		wantV[i] = i
	}
	assert.Equal(t, wantV, byV, "index query: exact continuation in s.v order")

	// Scans, one segment and parallel.
	var every []string
	for i := range 30 {
		every = append(every, fmt.Sprintf("u1/%d", i))
	}
	for i := range 5 {
		every = append(every, fmt.Sprintf("u2/%d", i))
	}
	for _, par := range []int{0, 3} {
		opts := []ScanOption{Attributes("first_name"), Consistent()}
		if par > 0 {
			opts = append(opts, Parallel(par))
		}
		rs := tbl.Scan(nil, opts...)
		var seen []string
		for it, err := range rs.All(ctx) {
			require.NoError(t, err)
			seen = append(seen, dkey(t, it))
			if len(seen) == 17 {
				break
			}
		}
		for it, err := range tbl.Scan(nil, append(opts, StartFrom(rs.Cursor()))...).All(ctx) {
			require.NoError(t, err)
			seen = append(seen, dkey(t, it))
		}
		assert.ElementsMatch(t, every, seen, "scan Parallel(%d): every item exactly once", par)
	}

	// A cursor without its key (or with part of it) is invalid, before any request.
	before := rc.count("Query") + rc.count("Scan")
	for name, c := range map[string]cursorJSON{
		"no key":      {Table: tbl.name, Segs: []cursorSegJS{{}}},
		"empty key":   {Table: tbl.name, Segs: []cursorSegJS{{Key: map[string]map[string]string{}}}},
		"partial key": {Table: tbl.name, Segs: []cursorSegJS{{Key: map[string]map[string]string{"user.id": {"S": "u1"}}}}},
	} {
		err := firstErr(ctx, tbl.Query(Filter{"user.id__eq": "u1"}, StartFrom(rawCursor(t, c))))
		assert.ErrorIs(t, err, ErrInvalidCursor, name)
		err = firstErr(ctx, tbl.Scan(nil, StartFrom(rawCursor(t, c))))
		assert.ErrorIs(t, err, ErrInvalidCursor, name)
	}
	// A parallel scan's segment that has not started carries no key, but a
	// key that is there must be complete.
	par := cursorJSON{Table: tbl.name, Total: 2, Segs: []cursorSegJS{{Seg: 0}, {Seg: 1, Key: map[string]map[string]string{"user.id": {"S": "u1"}}}}}
	assert.ErrorIs(t, firstErr(ctx, tbl.Scan(nil, Parallel(2), StartFrom(rawCursor(t, par)))), ErrInvalidCursor)
	assert.Equal(t, before, rc.count("Query")+rc.count("Scan"), "invalid cursors send nothing")
	par.Segs[1].Key = nil
	assert.NoError(t, firstErr(ctx, tbl.Scan(nil, Parallel(2), StartFrom(rawCursor(t, par)))))
}

// Items read with Attributes know their key: Key() works and PartialSave
// writes only what changed.
func TestProjectedItemsKeepTheirKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := dottedTable(t)
	key := Key{"user.id": "u1", "r.x": 3}
	reads := []struct {
		name string
		read func() (*Item, error)
	}{
		{"GetItem", func() (*Item, error) { return tbl.GetItem(ctx, key, Attributes("first_name"), Consistent()) }},
		{"Query", func() (*Item, error) {
			return first(tbl.Query(Filter{"user.id__eq": "u1", "r.x__eq": 3}, Attributes("first_name"), Consistent()).Collect(ctx))
		}},
		{"Query index", func() (*Item, error) {
			return first(tbl.Query(Filter{"user.id__eq": "u1", "s.v__eq": 21}, Index("by.v"), Attributes("first_name"), Consistent()).Collect(ctx))
		}},
		{"Scan", func() (*Item, error) {
			return first(tbl.Scan(Filter{"tag__eq": "t3"}, Attributes("first_name"), Consistent()).Collect(ctx))
		}},
		{"BatchGet", func() (*Item, error) {
			return first(tbl.BatchGet([]Key{key}, Attributes("first_name"), Consistent()).Collect(ctx))
		}},
		{"TransactGet", func() (*Item, error) {
			return first(TransactGet(ctx, tbl.c, tbl.TxGet(key, Attributes("first_name"))))
		}},
	}
	for _, r := range reads {
		it, err := r.read()
		require.NoError(t, err, r.name)
		assert.Equal(t, []string{"first_name", "r.x", "user.id"}, it.Names(), r.name)
		k, err := it.Key()
		require.NoError(t, err, r.name)
		assert.Equal(t, Key{"user.id": "u1", "r.x": Number("3")}, k, r.name)
		// Behind the item's back: another attribute changes.
		_, err = tbl.c.API().UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &tbl.name, Key: map[string]types.AttributeValue{"user.id": &types.AttributeValueMemberS{Value: "u1"}, "r.x": &types.AttributeValueMemberN{Value: "3"}},
			UpdateExpression:          ptr("SET #o = :o"),
			ExpressionAttributeNames:  map[string]string{"#o": "other"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":o": &types.AttributeValueMemberS{Value: "by " + r.name}},
		})
		require.NoError(t, err)
		require.NoError(t, it.Set("first_name", "set by "+r.name))
		require.NoError(t, it.PartialSave(ctx), r.name)
		full, err := tbl.GetItem(ctx, key, Consistent())
		require.NoError(t, err)
		assert.Equal(t, "set by "+r.name, full.Get("first_name"), r.name)
		assert.Equal(t, "by "+r.name, full.Get("other"), "%s: PartialSave wrote only first_name", r.name)
		assert.Equal(t, Number("21"), full.Get("s.v"), r.name)
		assert.Equal(t, []string{"first_name", "other", "r.x", "s.v", "tag", "user.id"}, full.Names(), r.name)
	}
}

// Attributes follows the names rule: dotted strings are paths, backquoted
// steps literal names, and a bad path is an error before any request.
func TestAttributesFollowTheNamesRule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &requestCounter{}
	tbl := testTable(t, testConn(t, rc.option), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{
		"id": "a", "a.b": "literal", "a": map[string]any{"b": "nested", "c": "other"}, "l": []any{"x", "y"}, "z": 1,
	}))
	for _, tc := range []struct {
		attrs []string
		want  map[string]any
	}{
		{[]string{"a.b"}, map[string]any{"id": "a", "a": map[string]any{"b": "nested"}}},
		{[]string{"`a.b`"}, map[string]any{"id": "a", "a.b": "literal"}},
		{[]string{Name("a.b"), "l[1]"}, map[string]any{"id": "a", "a.b": "literal", "l": []any{"y"}}},
		{[]string{"z", "z"}, map[string]any{"id": "a", "z": Number("1")}},
	} {
		it, err := tbl.GetItem(ctx, Key{"id": "a"}, Attributes(tc.attrs...), Consistent())
		require.NoError(t, err, "%v", tc.attrs)
		assert.Equal(t, tc.want, it.Map(), "GetItem %v", tc.attrs)
		items, err := tbl.Query(Filter{"id__eq": "a"}, Attributes(tc.attrs...), Consistent()).Collect(ctx)
		require.NoError(t, err, "%v", tc.attrs)
		require.Len(t, items, 1)
		assert.Equal(t, tc.want, items[0].Map(), "Query %v", tc.attrs)
		items, err = tbl.BatchGet([]Key{{"id": "a"}}, Attributes(tc.attrs...)).Collect(ctx)
		require.NoError(t, err, "%v", tc.attrs)
		require.Len(t, items, 1)
		assert.Equal(t, tc.want, items[0].Map(), "BatchGet %v", tc.attrs)
	}
	before := rc.total()
	for _, bad := range []string{"a..b", "`unclosed", "l[x]", ""} {
		_, err := tbl.GetItem(ctx, Key{"id": "a"}, Attributes(bad))
		assert.ErrorIs(t, err, ErrInvalidValue, "GetItem %q", bad)
		assert.ErrorIs(t, firstErr(ctx, tbl.Query(Filter{"id__eq": "a"}, Attributes(bad))), ErrInvalidValue, "Query %q", bad)
		assert.ErrorIs(t, firstErr(ctx, tbl.Scan(nil, Attributes(bad))), ErrInvalidValue, "Scan %q", bad)
		assert.ErrorIs(t, firstErr(ctx, tbl.BatchGet([]Key{{"id": "a"}}, Attributes(bad))), ErrInvalidValue, "BatchGet %q", bad)
	}
	assert.Equal(t, before, rc.total(), "bad Attributes send nothing")
}

// hitsTable holds 200 items under one hash key, 1 in 20 of them (n%20 == 7)
// matching the filter m = "hit".
func hitsTable(t *testing.T) (*Table, *requestCounter) {
	t.Helper()
	rc := &requestCounter{}
	tbl := testTable(t, testConn(t, rc.option), []KeyField{HashKey("pk"), RangeKey("n", N)})
	var items []map[string]any
	for i := range 200 {
		m := "miss"
		if i%20 == 7 {
			m = "hit"
		}
		items = append(items, map[string]any{"pk": "p", "n": i, "m": m})
	}
	putItems(t, tbl, items)
	return tbl, rc
}

// requests runs read and returns the items' n values and the number of
// requests of op it sent.
func requests(t *testing.T, rc *requestCounter, op string, read func() ([]*Item, error)) ([]int, int) {
	t.Helper()
	before := rc.count(op)
	items, err := read()
	require.NoError(t, err)
	var ns []int
	for _, it := range items {
		ns = append(ns, intOf(t, it, "n"))
	}
	return ns, rc.count(op) - before
}

// With a filter, Limit costs no more requests than the same read without
// it (+1), for Query, Scan, Parallel and Count, and the cursor resumes
// right after the last item yielded.
func TestLimitWithFilterCostsNoExtraRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl, rc := hitsTable(t)
	hits := []int{7, 27, 47, 67, 87, 107, 127, 147, 167, 187}
	hit := Filter{"m__eq": "hit"}

	// Query.
	kc := Filter{"pk__eq": "p"}
	all, unlimited := requests(t, rc, "Query", func() ([]*Item, error) { return tbl.Query(kc, Where(hit), Consistent()).Collect(ctx) })
	assert.Equal(t, hits, all)
	rs := tbl.Query(kc, Where(hit), Consistent(), Limit(5))
	got, limited := requests(t, rc, "Query", func() ([]*Item, error) { return rs.Collect(ctx) })
	assert.Equal(t, hits[:5], got)
	assert.LessOrEqual(t, limited, unlimited+1, "Query: %d requests with Limit(5), %d without", limited, unlimited)
	t.Logf("Query: %d requests with Limit(5), %d without", limited, unlimited)
	require.NotEmpty(t, rs.Cursor())
	got, _ = requests(t, rc, "Query", func() ([]*Item, error) {
		return tbl.Query(kc, Where(hit), Consistent(), StartFrom(rs.Cursor())).Collect(ctx)
	})
	assert.Equal(t, hits[5:], got, "the cursor resumes right after the last item yielded")
	// Limit(1): one request, as without a Limit.
	got, limited = requests(t, rc, "Query", func() ([]*Item, error) { return tbl.Query(kc, Where(hit), Consistent(), Limit(1)).Collect(ctx) })
	assert.Equal(t, hits[:1], got)
	assert.LessOrEqual(t, limited, unlimited+1, "Query Limit(1): %d requests", limited)
	// With a PageSize, pages are PageSize, never trimmed.
	_, unlimitedPS := requests(t, rc, "Query", func() ([]*Item, error) { return tbl.Query(kc, Where(hit), Consistent(), PageSize(50)).Collect(ctx) })
	got, limited = requests(t, rc, "Query", func() ([]*Item, error) {
		return tbl.Query(kc, Where(hit), Consistent(), PageSize(50), Limit(3)).Collect(ctx)
	})
	assert.Equal(t, hits[:3], got)
	assert.LessOrEqual(t, limited, unlimitedPS+1)
	assert.Equal(t, 1, limited, "the first page (n 0-49) holds the hits 7, 27 and 47")

	// Count with Limit and a filter.
	before := rc.count("Query")
	n, err := tbl.Query(kc, Where(hit), Consistent(), Limit(5)).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 5, n)
	assert.LessOrEqual(t, rc.count("Query")-before, unlimited+1, "Count with Limit(5)")

	// Scan.
	all, unlimited = requests(t, rc, "Scan", func() ([]*Item, error) { return tbl.Scan(hit, Consistent()).Collect(ctx) })
	assert.ElementsMatch(t, hits, all)
	srs := tbl.Scan(hit, Consistent(), Limit(5))
	got, limited = requests(t, rc, "Scan", func() ([]*Item, error) { return srs.Collect(ctx) })
	assert.Len(t, got, 5)
	assert.LessOrEqual(t, limited, unlimited+1, "Scan: %d requests with Limit(5), %d without", limited, unlimited)
	t.Logf("Scan: %d requests with Limit(5), %d without", limited, unlimited)
	rest, _ := requests(t, rc, "Scan", func() ([]*Item, error) { return tbl.Scan(hit, Consistent(), StartFrom(srs.Cursor())).Collect(ctx) })
	assert.ElementsMatch(t, hits, append(got, rest...), "scan: resumed exactly")
	before = rc.count("Scan")
	n, err = tbl.Scan(hit, Consistent(), Limit(5)).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 5, n)
	assert.LessOrEqual(t, rc.count("Scan")-before, unlimited+1, "Scan Count with Limit(5)")

	// Parallel.
	all, unlimited = requests(t, rc, "Scan", func() ([]*Item, error) { return tbl.Scan(hit, Consistent(), Parallel(4)).Collect(ctx) })
	assert.ElementsMatch(t, hits, all)
	prs := tbl.Scan(hit, Consistent(), Parallel(4), Limit(5))
	got, limited = requests(t, rc, "Scan", func() ([]*Item, error) { return prs.Collect(ctx) })
	assert.Len(t, got, 5)
	assert.LessOrEqual(t, limited, unlimited+1, "Parallel: %d requests with Limit(5), %d without", limited, unlimited)
	t.Logf("Parallel(4): %d requests with Limit(5), %d without", limited, unlimited)
	rest, _ = requests(t, rc, "Scan", func() ([]*Item, error) {
		return tbl.Scan(hit, Consistent(), Parallel(4), StartFrom(prs.Cursor())).Collect(ctx)
	})
	assert.ElementsMatch(t, hits, append(got, rest...), "parallel: resumed exactly")
}

// Cursors holding values DynamoDB would refuse are ErrInvalidCursor before
// any request; values at DynamoDB's limits are accepted.
func TestCursorValuesValidated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &requestCounter{}
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("pk"), RangeKey("n", N)})
	stbl := testTable(t, c, []KeyField{HashKey("pk", B), RangeKey("r")})
	cur := func(tb *Table, key map[string]map[string]string) string {
		return rawCursor(t, cursorJSON{Table: tb.name, Segs: []cursorSegJS{{Key: key}}})
	}
	num := func(n string) string { return cur(tbl, map[string]map[string]string{"pk": {"S": "p"}, "n": {"N": n}}) }
	hash := func(pk string) string {
		return cur(tbl, map[string]map[string]string{"pk": {"S": pk}, "n": {"N": "1"}})
	}
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	bin := func(pk, r string) string {
		return cur(stbl, map[string]map[string]string{"pk": {"B": pk}, "r": {"S": r}})
	}
	badNum := map[string]string{
		"1e500":          "1e500",
		"leading space":  " 2",
		"trailing space": "2 ",
		"40 digits":      strings.Repeat("1", 40),
		"39 digits":      "1" + strings.Repeat("0", 37) + "1",
		"1E-131":         "1E-131",
		"1E+126":         "1E+126",
		"-1E126":         "-1E126",
		"hex":            "0x10",
		"fraction":       "1/2",
		"Inf":            "Inf",
		"NaN":            "NaN",
		"sign only":      "-",
		"dot only":       ".",
		"exponent only":  "1e",
		"two signs":      "--1",
		"underscore":     "1_000",
	}
	before := rc.count("Query")
	for name, n := range badNum {
		assert.ErrorIs(t, firstErr(ctx, tbl.Query(Filter{"pk__eq": "p"}, StartFrom(num(n)))), ErrInvalidCursor, name)
	}
	for name, pk := range map[string]string{
		"3 KB string hash": strings.Repeat("x", 3000),
		"2049 bytes hash":  strings.Repeat("é", 1024) + "x",
		"empty hash":       "",
	} {
		assert.ErrorIs(t, firstErr(ctx, tbl.Query(Filter{"pk__eq": "p"}, StartFrom(hash(pk)))), ErrInvalidCursor, name)
	}
	for name, cursor := range map[string]string{
		"3 KB binary hash":  bin(b64(3000), "r"),
		"1025 bytes range":  bin(b64(1), strings.Repeat("r", 1025)),
		"empty range":       bin(b64(1), ""),
		"empty binary hash": bin("", "r"),
	} {
		assert.ErrorIs(t, firstErr(ctx, stbl.Query(Filter{"pk__eq": []byte{0}}, StartFrom(cursor))), ErrInvalidCursor, name)
	}
	assert.Equal(t, before, rc.count("Query"), "no request for a bad cursor")

	good := map[string]string{
		"1E-130":    num("1E-130"),
		"max":       num("9.9999999999999999999999999999999999999E+125"),
		"-max":      num("-9.9999999999999999999999999999999999999E+125"),
		"38 digits": num(strings.Repeat("9", 38)),
		"zero":      num("0"),
		"0.000":     num("0.000"),
		"fraction":  num("-0.5"),
	}
	for name, cursor := range good {
		assert.NoError(t, firstErr(ctx, tbl.Query(Filter{"pk__eq": "p"}, StartFrom(cursor))), name)
	}
	long := strings.Repeat("é", 1024) // 2048 bytes
	assert.NoError(t, firstErr(ctx, tbl.Query(Filter{"pk__eq": long}, StartFrom(hash(long)))), "2048 B hash")
	assert.NoError(t, firstErr(ctx, stbl.Query(Filter{"pk__eq": make([]byte, 2048)}, StartFrom(bin(b64(2048), strings.Repeat("r", 1024))))), "2048 B binary hash, 1024 B range")
	assert.Equal(t, before+len(good)+2, rc.count("Query"), "every good cursor was sent")
}

// After Limit(n) read the last item, Cursor() is "" (without asking
// DynamoDB again); with one more item, it resumes to that item.
func TestLimitReadingTheLastItemEndsTheCursor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &requestCounter{}
	tbl := testTable(t, testConn(t, rc.option), []KeyField{HashKey("pk"), RangeKey("n", N)})
	var items []map[string]any
	for i := range 5 {
		items = append(items, map[string]any{"pk": "five", "n": i})
	}
	for i := range 6 {
		items = append(items, map[string]any{"pk": "six", "n": i})
	}
	putItems(t, tbl, items)

	for _, tc := range []struct {
		name     string
		opts     []QueryOption
		requests int
	}{
		{"Limit(5)", []QueryOption{Limit(5)}, 1},
		{"Limit(5) PageSize(2)", []QueryOption{Limit(5), PageSize(2)}, 3},
		{"Limit(5) PageSize(10)", []QueryOption{Limit(5), PageSize(10)}, 1},
	} {
		before := rc.count("Query")
		rs := tbl.Query(Filter{"pk__eq": "five"}, append(tc.opts, Consistent())...)
		got, err := rs.Collect(ctx)
		require.NoError(t, err)
		assert.Len(t, got, 5, tc.name)
		assert.Empty(t, rs.Cursor(), "%s: every item was read", tc.name)
		assert.Equal(t, tc.requests, rc.count("Query")-before, tc.name)

		before = rc.count("Query")
		rs = tbl.Query(Filter{"pk__eq": "six"}, append(tc.opts, Consistent())...)
		got, err = rs.Collect(ctx)
		require.NoError(t, err)
		assert.Len(t, got, 5, tc.name)
		assert.Equal(t, tc.requests, rc.count("Query")-before, tc.name)
		require.NotEmpty(t, rs.Cursor(), tc.name)
		rest := tbl.Query(Filter{"pk__eq": "six"}, append(tc.opts, Consistent(), StartFrom(rs.Cursor()))...)
		last, err := rest.Collect(ctx)
		require.NoError(t, err)
		require.Len(t, last, 1, tc.name)
		assert.Equal(t, 5, intOf(t, last[0], "n"), tc.name)
		assert.Empty(t, rest.Cursor(), tc.name)
	}

	// A Scan of the whole table (11 items).
	before := rc.count("Scan")
	rs := tbl.Scan(nil, Consistent(), Limit(11))
	got, err := rs.Collect(ctx)
	require.NoError(t, err)
	assert.Len(t, got, 11)
	assert.Empty(t, rs.Cursor())
	assert.Equal(t, 1, rc.count("Scan")-before)
	rs = tbl.Scan(nil, Consistent(), Limit(10))
	got, err = rs.Collect(ctx)
	require.NoError(t, err)
	assert.Len(t, got, 10)
	rest, err := tbl.Scan(nil, Consistent(), StartFrom(rs.Cursor())).Collect(ctx)
	require.NoError(t, err)
	assert.Len(t, rest, 1)
}

func TestValidKeyNumber(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"0", "-0", "0.000", "00012", "7", "-7", "1.5", "-0.5", "5.", ".5", "1e5", "1E+5", "1e-5",
		"1E-130", "0.0001E-126", "1000E-133", "9.9999999999999999999999999999999999999E+125",
		"-9.9999999999999999999999999999999999999E+125", strings.Repeat("9", 38),
		"1" + strings.Repeat("0", 125), "0." + strings.Repeat("0", 129) + "1",
		"1" + strings.Repeat("0", 50) + "e-50", "12345678901234567890123456789012345678000",
		"+2", // DynamoDB takes a leading "+"
	} {
		assert.True(t, validKeyNumber(s), "%q", s)
		_, ok := parseDecimal(s)
		assert.True(t, ok, "%q parses", s)
	}
	for _, s := range []string{
		"", " ", " 2", "2 ", "--1", "-", ".", "e5", "1e", "1e+", "1e5.5", "1.2.3", "0x10", "1/2",
		"Inf", "-Infinity", "NaN", "1_000", "1,5", "١", strings.Repeat("1", 39),
		"1" + strings.Repeat("0", 37) + "1", "1E-131", "0.9E-130", "1E+126", "10E+125", "-1E126",
		"1" + strings.Repeat("0", 126), "1e999999999999999999999", "1e-999999999999999999999", "0e999999999999999999999",
		"0e-99999999999", "0e2147483648", "0.0e-2147483647", // zero, but DynamoDB refuses the exponent
	} {
		assert.False(t, validKeyNumber(s), "%q", s)
	}
}
