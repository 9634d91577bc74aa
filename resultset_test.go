package dynamap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixItem is one item of the shared query fixture, modelled in Go so every
// expectation is computed from the data, not hard-coded.
type fixItem struct {
	User  string   `dynamodbav:"user"`
	TS    int      `dynamodbav:"ts"`
	Name  string   `dynamodbav:"name"`
	Age   int      `dynamodbav:"age"`
	Score int      `dynamodbav:"score"`
	Grp   string   `dynamodbav:"grp,omitempty"`
	Tags  []string `dynamodbav:"tags,stringset,omitempty"`
	City  string   `dynamodbav:"-"`
	Email string   `dynamodbav:"email,omitempty"`
}

func (f fixItem) key() string { return fmt.Sprintf("%s/%d", f.User, f.TS) }

func (f fixItem) av() map[string]types.AttributeValue {
	m := map[string]any{
		"user": f.User, "ts": f.TS, "name": f.Name, "age": f.Age, "score": f.Score,
		"address": map[string]any{"city": f.City},
	}
	if f.Grp != "" {
		m["grp"] = f.Grp
	}
	if len(f.Tags) > 0 {
		m["tags"] = StringSet(f.Tags)
	}
	if f.Email != "" {
		m["email"] = f.Email
	}
	av, err := marshalMap(m)
	if err != nil {
		panic(err)
	}
	return av
}

const (
	fixUsers   = 6
	fixPerUser = 500
)

var (
	fixSchema  = []KeyField{HashKey("user"), RangeKey("ts", N)}
	fixIndexes = []SecondaryIndex{
		AllIndex("ByName", HashKey("user"), RangeKey("name")),
		KeysOnlyIndex("ByAge", HashKey("user"), RangeKey("age", N)),
		GlobalAllIndex("ByGroup", HashKey("grp"), RangeKey("score", N)),
	}
	allTags = []string{"red", "green", "blue", "gold"}
)

func fixData() []fixItem {
	cities := []string{"Oslo", "Lima", "Pune", "Kyiv"}
	var out []fixItem
	for u := range fixUsers {
		for ts := range fixPerUser {
			n := u*fixPerUser + ts
			f := fixItem{
				User:  fmt.Sprintf("u%d", u),
				TS:    ts,
				Name:  fmt.Sprintf("%c%03d", 'A'+rune(ts%7), (ts*37)%1000),
				Age:   18 + (n*13)%60,
				Score: (n * 7919) % 1009,
				City:  cities[(n/3)%len(cities)],
			}
			if n%3 != 0 {
				f.Grp = fmt.Sprintf("g%d", n%4)
			}
			for i, tag := range allTags {
				if (n>>i)&1 == 1 {
					f.Tags = append(f.Tags, tag)
				}
			}
			if n%5 == 0 {
				f.Email = fmt.Sprintf("%s@example.org", f.key())
			}
			out = append(out, f)
		}
	}
	return out
}

// loadFixture writes items with BatchWriteItem from several goroutines,
// re-sending UnprocessedItems.
func loadFixture(t *testing.T, tbl *Table, items []fixItem) {
	t.Helper()
	ctx := context.Background()
	var reqs [][]types.WriteRequest
	for chunk := range slices.Chunk(items, 25) {
		var wr []types.WriteRequest
		for _, f := range chunk {
			wr = append(wr, types.WriteRequest{PutRequest: &types.PutRequest{Item: f.av()}})
		}
		reqs = append(reqs, wr)
	}
	work := make(chan []types.WriteRequest)
	errs := make(chan error, len(reqs))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for wr := range work {
				for len(wr) > 0 {
					out, err := tbl.c.API().BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{tbl.name: wr}})
					if err != nil {
						errs <- err
						break
					}
					wr = out.UnprocessedItems[tbl.name]
				}
			}
		})
	}
	for _, wr := range reqs {
		work <- wr
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// fixtureTable opens the fixture table on a connection of its own that
// counts requests (the declared schema costs one DescribeTable).
func fixtureTable(t *testing.T, name string) (*Table, *requestCounter) {
	rc := &requestCounter{}
	c := testConn(t, rc.option)
	return NewTable(c, name, WithSchema(fixSchema...), WithIndexes(fixIndexes...)), rc
}

func keysOf(t *testing.T, seq func(func(*Item, error) bool)) []string {
	t.Helper()
	var out []string
	for it, err := range seq {
		require.NoError(t, err)
		out = append(out, itemKeyString(t, it))
	}
	return out
}

func itemKeyString(t *testing.T, it *Item) string {
	t.Helper()
	u, ok := it.data["user"].(*types.AttributeValueMemberS)
	require.True(t, ok, "item without user: %v", it.data)
	ts, ok := it.data["ts"].(*types.AttributeValueMemberN)
	require.True(t, ok, "item without ts: %v", it.data)
	return u.Value + "/" + ts.Value
}

func expectKeys(data []fixItem, keep func(fixItem) bool, less func(a, b fixItem) int) []string {
	var sel []fixItem
	for _, f := range data {
		if keep(f) {
			sel = append(sel, f)
		}
	}
	if less != nil {
		slices.SortStableFunc(sel, less)
	}
	out := make([]string, len(sel))
	for i, f := range sel {
		out[i] = f.key()
	}
	return out
}

func byTS(a, b fixItem) int { return a.TS - b.TS }

// sameKeys asserts that got holds exactly the keys of want, each once, in
// any order, and reports only the differences.
func sameKeys(t *testing.T, want, got []string, msgAndArgs ...any) {
	t.Helper()
	seen := map[string]int{}
	for _, k := range got {
		seen[k]++
	}
	var missing, dup []string
	for _, k := range want {
		switch seen[k] {
		case 0:
			missing = append(missing, k)
		case 1:
		default:
			dup = append(dup, k)
		}
		delete(seen, k)
	}
	extra := slices.Sorted(maps.Keys(seen))
	if len(missing)+len(dup)+len(extra) > 0 {
		assert.Fail(t, fmt.Sprintf("want %d keys, got %d: missing %d %v, duplicated %d %v, unexpected %d %v",
			len(want), len(got), len(missing), head(missing), len(dup), head(dup), len(extra), head(extra)), msgAndArgs...)
	}
}

func head(s []string) []string { return s[:min(len(s), 8)] }

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestResultSet runs every Query/Scan test against one shared table of
// fixUsers*fixPerUser items with a local and a global index; the subtests run
// in parallel and the table is deleted when they are all done.
func TestResultSet(t *testing.T) {
	t.Parallel()
	c := testConn(t)
	tbl := testTable(t, c, fixSchema, WithIndexes(fixIndexes...))
	data := fixData()
	start := time.Now()
	loadFixture(t, tbl, data)
	t.Logf("loaded %d items in %v", len(data), time.Since(start))
	name := tbl.Name()

	t.Run("KeyOps", func(t *testing.T) {
		t.Parallel()
		tb, _ := fixtureTable(t, name)
		ctx := context.Background()
		u := "u1"
		cases := []struct {
			f    Filter
			keep func(fixItem) bool
		}{
			{Filter{"ts__eq": 42}, func(f fixItem) bool { return f.TS == 42 }},
			{Filter{"ts__lt": 100}, func(f fixItem) bool { return f.TS < 100 }},
			{Filter{"ts__lte": 100}, func(f fixItem) bool { return f.TS <= 100 }},
			{Filter{"ts__gt": 400}, func(f fixItem) bool { return f.TS > 400 }},
			{Filter{"ts__gte": Number("400")}, func(f fixItem) bool { return f.TS >= 400 }},
			{Filter{"ts__between": []int{100, 120}}, func(f fixItem) bool { return f.TS >= 100 && f.TS <= 120 }},
			{Filter{}, func(fixItem) bool { return true }},
		}
		for _, cs := range cases {
			kc := Filter{"user__eq": u}
			for k, v := range cs.f {
				kc[k] = v
			}
			want := expectKeys(data, func(f fixItem) bool { return f.User == u && cs.keep(f) }, byTS)
			require.NotEmpty(t, want)
			got := keysOf(t, tb.Query(kc, PageSize(64)).All(ctx))
			assert.Equal(t, want, got, "%v", kc)
			// Reverse is the exact reverse.
			rev := keysOf(t, tb.Query(kc, PageSize(64), Reverse()).All(ctx))
			slices.Reverse(rev)
			assert.Equal(t, want, rev, "reverse %v", kc)
		}
		// beginswith and a string range key, on the local index.
		want := expectKeys(data, func(f fixItem) bool { return f.User == u && strings.HasPrefix(f.Name, "C1") }, func(a, b fixItem) int {
			return strings.Compare(a.Name, b.Name)
		})
		require.NotEmpty(t, want)
		var got []string
		var names []string
		for it, err := range tb.Query(Filter{"user__eq": u, "name__beginswith": "C1"}, Index("ByName")).All(ctx) {
			require.NoError(t, err)
			got = append(got, itemKeyString(t, it))
			names = append(names, it.data["name"].(*types.AttributeValueMemberS).Value)
		}
		sameKeys(t, want, got)
		assert.True(t, slices.IsSorted(names), "index order")
		// A keys-only local index with a number range key.
		want = expectKeys(data, func(f fixItem) bool { return f.User == u && f.Age >= 30 && f.Age <= 40 }, nil)
		got = keysOf(t, tb.Query(Filter{"user__eq": u, "age__between": [2]int{30, 40}}, Index("ByAge"), PageSize(50)).All(ctx))
		sameKeys(t, want, got)
		// The global index, across users.
		want = expectKeys(data, func(f fixItem) bool { return f.Grp == "g2" && f.Score > 900 }, nil)
		var scores []int
		for v, err := range Items[fixItem](ctx, tb.Query(Filter{"grp__eq": "g2", "score__gt": 900}, Index("ByGroup"), PageSize(40))) {
			require.NoError(t, err)
			scores = append(scores, v.Score)
		}
		assert.Len(t, scores, len(want))
		assert.True(t, slices.IsSorted(scores))
	})

	t.Run("FilterOps", func(t *testing.T) {
		t.Parallel()
		tb, _ := fixtureTable(t, name)
		ctx := context.Background()
		has := func(tags []string, tag string) bool { return slices.Contains(tags, tag) }
		cases := []struct {
			f    Filter
			keep func(fixItem) bool
		}{
			{Filter{"age__eq": 30}, func(f fixItem) bool { return f.Age == 30 }},
			{Filter{"age__ne": 30}, func(f fixItem) bool { return f.Age != 30 }},
			{Filter{"score__lt": 100}, func(f fixItem) bool { return f.Score < 100 }},
			{Filter{"score__lte": 100}, func(f fixItem) bool { return f.Score <= 100 }},
			{Filter{"score__gt": 900}, func(f fixItem) bool { return f.Score > 900 }},
			{Filter{"score__gte": 900}, func(f fixItem) bool { return f.Score >= 900 }},
			{Filter{"name__beginswith": "B0"}, func(f fixItem) bool { return strings.HasPrefix(f.Name, "B0") }},
			{Filter{"score__between": []any{10, Number("20")}}, func(f fixItem) bool { return f.Score >= 10 && f.Score <= 20 }},
			{Filter{"age__in": []int{25, 26, 77}}, func(f fixItem) bool { return f.Age == 25 || f.Age == 26 || f.Age == 77 }},
			{Filter{"tags__contains": "gold"}, func(f fixItem) bool { return has(f.Tags, "gold") }},
			{Filter{"tags__ncontains": "red"}, func(f fixItem) bool { return !has(f.Tags, "red") }},
			{Filter{"email__null": true}, func(f fixItem) bool { return f.Email == "" }},
			{Filter{"email__null": false}, func(f fixItem) bool { return f.Email != "" }},
			{Filter{"address.city__eq": "Lima"}, func(f fixItem) bool { return f.City == "Lima" }},
			{Filter{"grp__eq": "g1", "age__lt": 40}, func(f fixItem) bool { return f.Grp == "g1" && f.Age < 40 }},
		}
		for _, cs := range cases {
			want := expectKeys(data, cs.keep, nil)
			require.NotEmpty(t, want, "%v", cs.f)
			got := keysOf(t, tb.Scan(cs.f).All(ctx))
			sameKeys(t, want, got, "scan %v", cs.f)
		}
		// AnyOf ORs a filter's conditions.
		want := expectKeys(data, func(f fixItem) bool { return f.Age == 20 || f.Score < 5 }, nil)
		got := keysOf(t, tb.Scan(nil, Where(AnyOf(Filter{"age__eq": 20, "score__lt": 5}))).All(ctx))
		sameKeys(t, want, got)
		// Query with Where, in range-key order, and Count agrees.
		want = expectKeys(data, func(f fixItem) bool { return f.User == "u4" && f.Age > 50 && f.Email == "" }, byTS)
		rs := tb.Query(Filter{"user__eq": "u4"}, Where(Filter{"age__gt": 50, "email__null": true}), PageSize(90))
		assert.Equal(t, want, keysOf(t, rs.All(ctx)))
		assert.EqualValues(t, fixPerUser, rs.ScannedCount(), "a filter is applied after the key condition")
		n, err := rs.Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, len(want), n)
	})

	t.Run("LimitAcrossPages", func(t *testing.T) {
		t.Parallel()
		tb, rc := fixtureTable(t, name)
		ctx := context.Background()
		want := expectKeys(data, func(f fixItem) bool { return f.User == "u2" }, byTS)[:25]
		got := keysOf(t, tb.Query(Filter{"user__eq": "u2"}, PageSize(7), Limit(25)).All(ctx))
		assert.Equal(t, want, got)
		assert.Equal(t, 4, rc.count("Query"), "7+7+7+4: the last request is trimmed")
		// With a filter the limit still counts returned items exactly.
		want = expectKeys(data, func(f fixItem) bool { return f.User == "u2" && f.Age%2 == 0 }, byTS)[:40]
		got = keysOf(t, tb.Query(Filter{"user__eq": "u2"}, Where(expressionAgeEven()), PageSize(9), Limit(40)).All(ctx))
		assert.Equal(t, want, got)
		// Scans too, and Count honours Limit.
		assert.Len(t, keysOf(t, tb.Scan(nil, PageSize(100), Limit(333)).All(ctx)), 333)
		n, err := tb.Scan(nil, Limit(333), PageSize(100)).Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 333, n)
	})

	t.Run("Projection", func(t *testing.T) {
		t.Parallel()
		tb, _ := fixtureTable(t, name)
		ctx := context.Background()
		rs := tb.Query(Filter{"user__eq": "u0"}, Attributes("name", "address.city"), PageSize(10), Limit(15))
		n := 0
		for it, err := range rs.All(ctx) {
			require.NoError(t, err)
			assert.Equal(t, []string{"address", "name", "ts", "user"}, sorted(mapKeys(it.data)), "the projection and the table key")
			n++
		}
		assert.Equal(t, 15, n)
		// The cursor still knows the key of the last item (mid-page).
		rest := keysOf(t, tb.Query(Filter{"user__eq": "u0"}, StartFrom(rs.Cursor())).All(ctx))
		assert.Equal(t, expectKeys(data, func(f fixItem) bool { return f.User == "u0" && f.TS >= 15 }, byTS), rest)
	})

	t.Run("BreakIsLazy", func(t *testing.T) {
		t.Parallel()
		tb, rc := fixtureTable(t, name)
		ctx := context.Background()
		rs := tb.Query(Filter{"user__eq": "u3"})
		assert.Equal(t, 0, rc.total(), "building a ResultSet does no I/O")
		n := 0
		for _, err := range rs.All(ctx) {
			require.NoError(t, err)
			if n++; n == 3 {
				break
			}
		}
		assert.Equal(t, 1, rc.count("Query"))
		n = 0
		for _, err := range tb.Scan(nil, PageSize(10)).All(ctx) {
			require.NoError(t, err)
			if n++; n == 3 {
				break
			}
		}
		assert.Equal(t, 1, rc.count("Scan"))
		assert.Equal(t, 1, rc.count("DescribeTable"), "the declared schema is checked once")
		assert.Equal(t, 3, rc.total())
	})

	t.Run("CursorResume", func(t *testing.T) {
		t.Parallel()
		tb, _ := fixtureTable(t, name)
		ctx := context.Background()
		kc := Filter{"user__eq": "u5"}
		all := expectKeys(data, func(f fixItem) bool { return f.User == "u5" }, byTS)
		// Break mid-page, resume, and again with a Limit mid-page.
		var got []string
		cursor := ""
		for _, stop := range []int{15, 23, 100, 1000} {
			rs := tb.Query(kc, PageSize(10), StartFrom(cursor), Limit(stop))
			got = append(got, keysOf(t, rs.All(ctx))...)
			cursor = rs.Cursor()
			if cursor == "" {
				break
			}
			n := 0
			rs = tb.Query(kc, PageSize(10), StartFrom(cursor))
			for it, err := range rs.All(ctx) {
				require.NoError(t, err)
				got = append(got, itemKeyString(t, it))
				if n++; n == 7 {
					break
				}
			}
			cursor = rs.Cursor()
		}
		assert.Equal(t, all, got, "no duplicates, no gaps, in order")
		assert.Empty(t, cursor, "exhausted")

		// A scan resumed page by page through the cursor, on the global index.
		var scanned []string
		cursor = ""
		for range 1000 {
			rs := tb.Scan(Filter{"age__lt": 30}, Index("ByGroup"), PageSize(50), Limit(37), StartFrom(cursor))
			scanned = append(scanned, keysOf(t, rs.All(ctx))...)
			if cursor = rs.Cursor(); cursor == "" {
				break
			}
		}
		want := expectKeys(data, func(f fixItem) bool { return f.Grp != "" && f.Age < 30 }, nil)
		sameKeys(t, want, scanned)
		assert.Len(t, scanned, len(want))

		// Parallel: break, then resume the rest.
		rs := tb.Scan(nil, Parallel(4), PageSize(40))
		var first []string
		for it, err := range rs.All(ctx) {
			require.NoError(t, err)
			first = append(first, itemKeyString(t, it))
			if len(first) == 500 {
				break
			}
		}
		rest := keysOf(t, tb.Scan(nil, Parallel(4), PageSize(40), StartFrom(rs.Cursor())).All(ctx))
		both := append(first, rest...)
		assert.Len(t, both, len(data))
		sameKeys(t, expectKeys(data, func(fixItem) bool { return true }, nil), both)
	})

	t.Run("Parallel", func(t *testing.T) {
		t.Parallel()
		tb, rc := fixtureTable(t, name)
		ctx := context.Background()
		got := keysOf(t, tb.Scan(nil, Parallel(4), PageSize(200)).All(ctx))
		assert.Len(t, got, len(data))
		sameKeys(t, expectKeys(data, func(fixItem) bool { return true }, nil), got)
		assert.GreaterOrEqual(t, rc.count("Scan"), 4)
		// Each segment alone adds up to the same.
		var segs []string
		for i := range 3 {
			segs = append(segs, keysOf(t, tb.Scan(nil, Segment(i, 3)).All(ctx))...)
		}
		sameKeys(t, got, segs)
		// Parallel with a filter and a limit.
		got = keysOf(t, tb.Scan(Filter{"score__lt": 500}, Parallel(3), PageSize(100), Limit(250)).All(ctx))
		assert.Len(t, got, 250)
		for _, k := range got {
			assert.True(t, slices.ContainsFunc(data, func(f fixItem) bool { return f.key() == k && f.Score < 500 }))
		}
	})

	t.Run("Count", func(t *testing.T) {
		t.Parallel()
		tb, rc := fixtureTable(t, name)
		ctx := context.Background()
		n, err := tb.Scan(nil, PageSize(700)).Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, len(data), n)
		assert.Equal(t, 5, rc.count("Scan"), "ceil(3000/700) pages of Select=COUNT")
		n, err = tb.Scan(nil, Parallel(4)).Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, len(data), n)
		rs := tb.Query(Filter{"user__eq": "u1", "ts__lt": 321}, PageSize(100))
		n, err = rs.Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 321, n)
		assert.Positive(t, rs.ConsumedCapacity())
		want := expectKeys(data, func(f fixItem) bool { return f.Grp == "g3" && f.Score <= 500 }, nil)
		n, err = tb.Query(Filter{"grp__eq": "g3", "score__lte": 500}, Index("ByGroup")).Count(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, len(want), n)
	})

	t.Run("ContextCanceledBetweenPages", func(t *testing.T) {
		t.Parallel()
		tb, rc := fixtureTable(t, name)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var n int
		var gotErr error
		for _, err := range tb.Query(Filter{"user__eq": "u0"}, PageSize(10)).All(ctx) {
			if err != nil {
				gotErr = err
				continue
			}
			if n++; n == 5 {
				cancel()
			}
		}
		assert.ErrorIs(t, gotErr, context.Canceled)
		assert.Equal(t, 10, n, "the page in hand is finished")
		assert.Equal(t, 1, rc.count("Query"))
		// The parallel scan stops too, and leaves no goroutine behind.
		ctx2, cancel2 := context.WithCancel(context.Background())
		defer cancel2()
		n, gotErr = 0, nil
		for _, err := range tb.Scan(nil, Parallel(4), PageSize(20)).All(ctx2) {
			if err != nil {
				gotErr = err
				continue
			}
			if n++; n == 30 {
				cancel2()
			}
		}
		assert.ErrorIs(t, gotErr, context.Canceled)
		assert.Less(t, n, len(data))
	})

	t.Run("Decode", func(t *testing.T) {
		t.Parallel()
		tb, _ := fixtureTable(t, name)
		ctx := context.Background()
		got, err := Collect[fixItem](ctx, tb.Query(Filter{"user__eq": "u2", "ts__lt": 5}))
		require.NoError(t, err)
		var want []fixItem
		for _, f := range data {
			if f.User == "u2" && f.TS < 5 {
				f.City = ""
				f.Tags = slices.Clone(f.Tags) // sorted below: data is shared by parallel subtests
				want = append(want, f)
			}
		}
		for i := range got {
			slices.Sort(got[i].Tags)
			slices.Sort(want[i].Tags)
		}
		assert.Equal(t, want, got)
		items, err := tb.Query(Filter{"user__eq": "u2", "ts__lt": 5}).Collect(ctx)
		require.NoError(t, err)
		assert.Len(t, items, 5)
		// A type the items do not fit is a *ValueError.
		_, err = Collect[struct {
			Name int `dynamodbav:"name"`
		}](ctx, tb.Query(Filter{"user__eq": "u2", "ts__lt": 5}))
		var ve *ValueError
		assert.ErrorAs(t, err, &ve)
	})

	t.Run("ErrorsBeforeRequests", func(t *testing.T) {
		t.Parallel()
		tb, rc := fixtureTable(t, name)
		ctx := context.Background()
		firstErr := func(rs *ResultSet) error {
			for _, err := range rs.All(ctx) {
				return err
			}
			return nil
		}
		var fe *FilterError
		err := firstErr(tb.Query(Filter{"ts__gt": 5}))
		assert.ErrorIs(t, err, ErrQuery)
		assert.ErrorAs(t, err, &fe)
		assert.ErrorIs(t, firstErr(tb.Query(Filter{"user__gt": "u"})), ErrQuery)
		assert.ErrorIs(t, firstErr(tb.Query(Filter{"user__eq": "u1", "age__eq": 3})), ErrInvalidFilter)
		assert.ErrorIs(t, firstErr(tb.Query(Filter{"user__eq": "u1", "ts__bogus": 3})), ErrUnknownFilterType)
		// On an index, its own key schema applies.
		assert.ErrorIs(t, firstErr(tb.Query(Filter{"score__gt": 1}, Index("ByGroup"))), ErrQuery)
		assert.ErrorIs(t, firstErr(tb.Query(Filter{"user__eq": "u1"}, Index("ByGroup"))), ErrInvalidFilter)
		err = firstErr(tb.Query(Filter{"user__eq": "u1"}, Index("NoSuch")))
		assert.ErrorIs(t, err, ErrQuery)
		assert.Contains(t, err.Error(), "NoSuch")
		assert.ErrorIs(t, firstErr(tb.Query(Filter{"grp__eq": "g1"}, Index("ByGroup"), Consistent())), ErrQuery)
		assert.ErrorIs(t, firstErr(tb.Scan(Filter{"x__in": []int{}})), ErrInvalidFilter)
		assert.ErrorIs(t, firstErr(tb.Scan(nil, Segment(3, 3))), ErrQuery)
		_, err = tb.Query(Filter{"ts__gt": 5}).Count(ctx)
		assert.ErrorIs(t, err, ErrQuery)
		// Cursors: garbage, tampered, another index, another table.
		assert.ErrorIs(t, firstErr(tb.Query(Filter{"user__eq": "u1"}, StartFrom("garbage!"))), ErrInvalidCursor)
		good := encodeCursor(name, "", 0, []segState{{Key: map[string]types.AttributeValue{"user": &types.AttributeValueMemberS{Value: "u1"}, "ts": &types.AttributeValueMemberN{Value: "3"}}}})
		assert.NoError(t, firstErr(tb.Query(Filter{"user__eq": "u1"}, StartFrom(good))))
		assert.ErrorIs(t, firstErr(tb.Query(Filter{"user__eq": "u1"}, StartFrom(good[:len(good)-2]))), ErrInvalidCursor)
		assert.ErrorIs(t, firstErr(tb.Query(Filter{"user__eq": "u1", "name__gt": "A"}, Index("ByName"), StartFrom(good))), ErrInvalidCursor)
		assert.ErrorIs(t, firstErr(tb.Scan(nil, Parallel(2), StartFrom(good))), ErrInvalidCursor)
		// "other" does not exist: a fake answers its schema check.
		other := NewTable(connDescribing(tb.c.API(), "other", fixSchema, rc.option), "other", WithSchema(fixSchema...))
		assert.ErrorIs(t, firstErr(other.Query(Filter{"user__eq": "u1"}, StartFrom(good))), ErrInvalidCursor)
		assert.Equal(t, 1, rc.count("Query"), "only the good cursor made a request")
		assert.Equal(t, 2, rc.count("DescribeTable"), "each declared schema is checked once")
		assert.Equal(t, 3, rc.total())
	})
}

func mapKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func FuzzCursor(f *testing.F) {
	keyAttrs := resumeAttrs([]KeyField{HashKey("user"), RangeKey("ts", N)}, []KeyField{HashKey("user"), RangeKey("bin", B)})
	good := encodeCursor("tbl", "", 0, []segState{{Key: map[string]types.AttributeValue{
		"user": &types.AttributeValueMemberS{Value: "u1"},
		"ts":   &types.AttributeValueMemberN{Value: "3.5"},
		"bin":  &types.AttributeValueMemberB{Value: []byte{0, 1}},
	}}})
	f.Add(good)
	f.Add("")
	f.Add("e30")
	f.Add(good[:10])
	f.Fuzz(func(t *testing.T, cursor string) {
		segs, err := decodeCursor(cursor, "tbl", "", 0, []int{0}, keyAttrs)
		if err != nil {
			if !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// What decodes re-encodes to a cursor that decodes the same.
		again, err := decodeCursor(encodeCursor("tbl", "", 0, segs), "tbl", "", 0, []int{0}, keyAttrs)
		if segs[0].Done {
			return
		}
		if err != nil || len(again) != 1 || !equalAVMap(again[0].Key, segs[0].Key) {
			t.Fatalf("round trip of %q: %v", cursor, err)
		}
	})
}

// expressionAgeEven is a raw condition the mini-language cannot say
// (age is even: one of the even ages in the fixture's range).
func expressionAgeEven() Condition {
	var evens []int
	for a := 18; a < 78; a += 2 {
		evens = append(evens, a)
	}
	return Filter{"age__in": evens}
}
