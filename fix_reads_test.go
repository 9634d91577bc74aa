package dynamap

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/stretchr/testify/require"
)

// fixReadsFill writes items with BatchWriteFunc.
func fixReadsFill(t *testing.T, tbl *Table, items []map[string]any) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, tbl.BatchWriteFunc(ctx, func(b *BatchTable) error {
		for _, it := range items {
			if err := b.PutItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	}))
}

// fixReadsRewriteKey returns cur with key attribute attr of its first
// segment replaced by the typed value {typ: v}.
func fixReadsRewriteKey(t *testing.T, cur, attr, typ, v string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cur)
	require.NoError(t, err)
	var c cursorJSON
	require.NoError(t, json.Unmarshal(raw, &c))
	require.NotEmpty(t, c.Segs)
	require.Contains(t, c.Segs[0].Key, attr)
	c.Segs[0].Key[attr] = map[string]string{typ: v}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// fixReadsCursorAfter runs rs to its end and returns its cursor, which must
// not be "".
func fixReadsCursorAfter(t *testing.T, rs *ResultSet) string {
	t.Helper()
	_, err := rs.Collect(context.Background())
	require.NoError(t, err)
	cur := rs.Cursor()
	require.NotEmpty(t, cur)
	return cur
}

// B1: a cursor whose key lies outside the query's key condition (another
// hash value; a range value the range condition excludes; an index's keys
// likewise) is ErrInvalidCursor before any request, while a cursor inside
// the condition (a different condition, Reverse, a number spelled
// differently) still resumes.
func TestFixReadsCursorOutsideKeyCondition(t *testing.T) {
	var rc requestCounter
	c := testConn(t, rc.option)
	ctx := context.Background()
	tbl := testTable(t, c, []KeyField{HashKey("h"), RangeKey("r", N)},
		WithIndexes(AllIndex("lix", HashKey("h"), RangeKey("lr", N))),
		WithGlobalIndexes(GlobalAllIndex("gix", HashKey("gh"), RangeKey("gr", N))))
	var items []map[string]any
	for _, h := range []string{"ann", "bob"} {
		for i := range 10 {
			items = append(items, map[string]any{"h": h, "r": i, "lr": i, "gh": "g" + h, "gr": i})
		}
	}
	fixReadsFill(t, tbl, items)

	// Ann's cursor after r = 0, 1, 2.
	annCur := fixReadsCursorAfter(t, tbl.Query(Filter{"h__eq": "ann"}, Limit(3), Consistent()))
	gixCur := fixReadsCursorAfter(t, tbl.Query(Filter{"gh__eq": "gann"}, Index("gix"), Limit(3)))
	lixCur := fixReadsCursorAfter(t, tbl.Query(Filter{"h__eq": "ann"}, Index("lix"), Limit(3), Consistent()))

	refused := map[string]*ResultSet{
		"ann's cursor on bob's query":       tbl.Query(Filter{"h__eq": "bob"}, StartFrom(annCur)),
		"hash rewritten":                    tbl.Query(Filter{"h__eq": "ann"}, StartFrom(fixReadsRewriteKey(t, annCur, "h", "S", "bob"))),
		"between above":                     tbl.Query(Filter{"h__eq": "ann", "r__between": []int{5, 7}}, StartFrom(annCur)),
		"between below, reversed":           tbl.Query(Filter{"h__eq": "ann", "r__between": []int{0, 1}}, StartFrom(annCur), Reverse()),
		"eq other":                          tbl.Query(Filter{"h__eq": "ann", "r__eq": 5}, StartFrom(annCur)),
		"gt equal":                          tbl.Query(Filter{"h__eq": "ann", "r__gt": 2}, StartFrom(annCur)),
		"gte above":                         tbl.Query(Filter{"h__eq": "ann", "r__gte": 3}, StartFrom(annCur)),
		"lt equal":                          tbl.Query(Filter{"h__eq": "ann", "r__lt": 2}, StartFrom(annCur)),
		"lte below":                         tbl.Query(Filter{"h__eq": "ann", "r__lte": 1.5}, StartFrom(annCur)),
		"at the end of between":             tbl.Query(Filter{"h__eq": "ann", "r__between": []int{0, 2}}, StartFrom(annCur)),
		"at the end of lte":                 tbl.Query(Filter{"h__eq": "ann", "r__lte": Number("2.0")}, StartFrom(annCur)),
		"at the end of gte, reversed":       tbl.Query(Filter{"h__eq": "ann", "r__gte": 2}, StartFrom(annCur), Reverse()),
		"at the start of between, reversed": tbl.Query(Filter{"h__eq": "ann", "r__between": []int{2, 4}}, StartFrom(annCur), Reverse()),
		"gsi other hash":                    tbl.Query(Filter{"gh__eq": "gbob"}, Index("gix"), StartFrom(gixCur)),
		"gsi range outside":                 tbl.Query(Filter{"gh__eq": "gann", "gr__gt": 7}, Index("gix"), StartFrom(gixCur)),
		"lsi other hash":                    tbl.Query(Filter{"h__eq": "bob"}, Index("lix"), StartFrom(lixCur)),
		"lsi range outside":                 tbl.Query(Filter{"h__eq": "ann", "lr__lt": 0}, Index("lix"), StartFrom(lixCur)),
	}
	for name, rs := range refused {
		before := rc.count("Query")
		_, err := rs.Collect(ctx)
		require.ErrorIs(t, err, ErrInvalidCursor, name)
		require.Equal(t, 0, rc.count("Query")-before, "%s: requests sent", name)
	}

	// Inside the condition: resumed after r = 2.
	accepted := map[string]struct {
		rs   *ResultSet
		want []int
	}{
		"same query":                  {tbl.Query(Filter{"h__eq": "ann"}, StartFrom(annCur), Consistent()), []int{3, 4, 5, 6, 7, 8, 9}},
		"other range condition":       {tbl.Query(Filter{"h__eq": "ann", "r__between": []int{0, 5}}, StartFrom(annCur), Consistent()), []int{3, 4, 5}},
		"gte at the cursor":           {tbl.Query(Filter{"h__eq": "ann", "r__gte": 2}, StartFrom(annCur), Consistent()), []int{3, 4, 5, 6, 7, 8, 9}},
		"reversed":                    {tbl.Query(Filter{"h__eq": "ann", "r__lte": 6}, StartFrom(annCur), Reverse(), Consistent()), []int{1, 0}},
		"lte at the cursor, reversed": {tbl.Query(Filter{"h__eq": "ann", "r__lte": 2}, StartFrom(annCur), Reverse(), Consistent()), []int{1, 0}},
		"eq at the cursor":            {tbl.Query(Filter{"h__eq": "ann", "r__eq": 2}, StartFrom(annCur), Consistent()), nil},
		"range spelled 2.0":           {tbl.Query(Filter{"h__eq": "ann", "r__gt": 1}, StartFrom(fixReadsRewriteKey(t, annCur, "r", "N", "2.0")), Consistent()), []int{3, 4, 5, 6, 7, 8, 9}},
		"gsi, other table keys":       {tbl.Query(Filter{"gh__eq": "gann", "gr__lt": 5}, Index("gix"), StartFrom(gixCur)), []int{3, 4}},
		"lsi, other range bound":      {tbl.Query(Filter{"h__eq": "ann", "lr__between": []int{2, 4}}, Index("lix"), StartFrom(lixCur), Consistent()), []int{3, 4}},
	}
	for name, a := range accepted {
		got, err := a.rs.Collect(ctx)
		require.NoError(t, err, name)
		var rs []int
		for _, it := range got {
			n, ok := it.GetNumber("r")
			require.True(t, ok)
			v, err := n.Int64()
			require.NoError(t, err)
			rs = append(rs, int(v))
		}
		if name == "gsi, other table keys" {
			// A global index's order among equal index keys is its own; compare as sets.
			require.ElementsMatch(t, a.want, rs, name)
			continue
		}
		require.Equal(t, a.want, rs, name)
	}
}

// B1 with a string range key (beginswith, bytewise order) and a number hash
// key (compared as a decimal).
func TestFixReadsCursorKeyConditionTypes(t *testing.T) {
	var rc requestCounter
	c := testConn(t, rc.option)
	ctx := context.Background()
	strs := testTable(t, c, []KeyField{HashKey("h"), RangeKey("r")})
	fixReadsFill(t, strs, []map[string]any{
		{"h": "a", "r": "ca"}, {"h": "a", "r": "cb"}, {"h": "a", "r": "cc"}, {"h": "a", "r": "d"}, {"h": "a", "r": "é"},
	})
	cur := fixReadsCursorAfter(t, strs.Query(Filter{"h__eq": "a"}, Limit(1), Consistent())) // after "ca"
	before := rc.count("Query")
	_, err := strs.Query(Filter{"h__eq": "a", "r__beginswith": "d"}, StartFrom(cur)).Collect(ctx)
	require.ErrorIs(t, err, ErrInvalidCursor)
	_, err = strs.Query(Filter{"h__eq": "a", "r__gt": "é"}, StartFrom(cur)).Collect(ctx)
	require.ErrorIs(t, err, ErrInvalidCursor)
	require.Equal(t, before, rc.count("Query"))
	got, err := strs.Query(Filter{"h__eq": "a", "r__beginswith": "c"}, StartFrom(cur), Consistent()).Collect(ctx)
	require.NoError(t, err)
	require.Len(t, got, 2)

	nums := testTable(t, c, []KeyField{HashKey("h", N), RangeKey("r", N)})
	fixReadsFill(t, nums, []map[string]any{{"h": 5, "r": 1}, {"h": 5, "r": 2}, {"h": 5, "r": 3}})
	cur = fixReadsCursorAfter(t, nums.Query(Filter{"h__eq": 5}, Limit(1), Consistent()))
	got, err = nums.Query(Filter{"h__eq": Number("5.00")}, StartFrom(cur), Consistent()).Collect(ctx)
	require.NoError(t, err)
	require.Len(t, got, 2)
	before = rc.count("Query")
	_, err = nums.Query(Filter{"h__eq": Number("5.001")}, StartFrom(cur)).Collect(ctx)
	require.ErrorIs(t, err, ErrInvalidCursor)
	require.Equal(t, before, rc.count("Query"))
}

// B2: an over-limit projection is the same typed error, before any
// request, for every read.
func TestFixReadsProjectionOverLimit(t *testing.T) {
	var rc requestCounter
	c := testConn(t, rc.option)
	ctx := context.Background()
	tbl := testTable(t, c, []KeyField{HashKey("h"), RangeKey("r", N)})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"h": "a", "r": 1, "attr001": 1}))
	names := make([]string, 900)
	for i := range names {
		names[i] = fmt.Sprintf("attr%03d", i)
	}
	key := Key{"h": "a", "r": 1}
	reads := []struct {
		name, op string
		read     func() error
	}{
		{"GetItem", "GetItem", func() error { _, err := tbl.GetItem(ctx, key, Attributes(names...)); return err }},
		{"BatchGet", "BatchGetItem", func() error {
			_, err := tbl.BatchGet([]Key{key}, Attributes(names...)).Collect(ctx)
			return err
		}},
		{"TransactGet", "TransactGetItems", func() error {
			_, err := TransactGet(ctx, c, tbl.TxGet(key, Attributes(names...)))
			return err
		}},
		{"Query", "Query", func() error {
			_, err := tbl.Query(Filter{"h__eq": "a"}, Attributes(names...)).Collect(ctx)
			return err
		}},
		{"Scan", "Scan", func() error { _, err := tbl.Scan(nil, Attributes(names...)).Collect(ctx); return err }},
	}
	for _, r := range reads {
		before := rc.count(r.op)
		err := r.read()
		var fe *FilterError
		require.ErrorAs(t, err, &fe, r.name)
		require.ErrorIs(t, err, ErrInvalidFilter, r.name)
		require.Contains(t, err.Error(), "projection", r.name)
		require.Equal(t, 0, rc.count(r.op)-before, "%s: requests sent", r.name)
	}
	// Within the limits, the same reads work.
	it, err := tbl.GetItem(ctx, key, Attributes(names[:100]...))
	require.NoError(t, err)
	require.True(t, it.Has("attr001"))
}

// B4: a Query filter on a key attribute of what is queried is refused
// before the request, exactly as DynamoDB refuses it; the same attributes
// stay allowed where DynamoDB allows them.
func TestFixReadsQueryFilterOnKey(t *testing.T) {
	var rc requestCounter
	c := testConn(t, rc.option)
	ctx := context.Background()
	tbl := testTable(t, c, []KeyField{HashKey("h"), RangeKey("r", N)},
		WithIndexes(AllIndex("lix", HashKey("h"), RangeKey("lr", N))),
		WithGlobalIndexes(GlobalAllIndex("gix", HashKey("gh"), RangeKey("gr", N))))
	var items []map[string]any
	for i := range 6 {
		items = append(items, map[string]any{"h": "a", "r": i, "lr": i, "gh": "g", "gr": i, "v": i})
	}
	fixReadsFill(t, tbl, items)

	hasR := expression.Name("r").Size().GreaterThan(expression.Value(0))
	refused := map[string]*ResultSet{
		"table range":        tbl.Query(Filter{"h__eq": "a"}, Where(Filter{"r__gt": 0})),
		"table hash":         tbl.Query(Filter{"h__eq": "a"}, Where(Filter{"h__eq": "a"})),
		"path in a key":      tbl.Query(Filter{"h__eq": "a"}, Where(Filter{"r.x__eq": 1})),
		"raw builder size":   tbl.Query(Filter{"h__eq": "a"}, Where(Expr(hasR))),
		"among others, any":  tbl.Query(Filter{"h__eq": "a"}, Where(AnyOf(Filter{"v__gt": 1, "r__null": false}))),
		"lsi range":          tbl.Query(Filter{"h__eq": "a"}, Index("lix"), Where(Filter{"lr__gt": 0})),
		"lsi hash":           tbl.Query(Filter{"h__eq": "a"}, Index("lix"), Where(Filter{"h__eq": "a"})),
		"gsi hash":           tbl.Query(Filter{"gh__eq": "g"}, Index("gix"), Where(Filter{"gh__eq": "g"})),
		"gsi range":          tbl.Query(Filter{"gh__eq": "g"}, Index("gix"), Where(Filter{"gr__in": []int{1, 2}})),
		"gsi range, counted": tbl.Query(Filter{"gh__eq": "g"}, Index("gix"), Where(Filter{"gr__lt": 3})),
	}
	for name, rs := range refused {
		before := rc.count("Query")
		var err error
		if name == "gsi range, counted" {
			_, err = rs.Count(ctx)
		} else {
			_, err = rs.Collect(ctx)
		}
		var fe *FilterError
		require.ErrorAs(t, err, &fe, name)
		require.ErrorIs(t, err, ErrInvalidFilter, name)
		require.Contains(t, err.Error(), "key condition", name)
		require.Equal(t, 0, rc.count("Query")-before, "%s: requests sent", name)
	}

	allowed := map[string]struct {
		rs   *ResultSet
		want int
	}{
		"lsi, table range":  {tbl.Query(Filter{"h__eq": "a"}, Index("lix"), Where(Filter{"r__gt": 3}), Consistent()), 2},
		"gsi, table keys":   {tbl.Query(Filter{"gh__eq": "g"}, Index("gix"), Where(Filter{"h__eq": "a", "r__lt": 2})), 2},
		"scan, table keys":  {tbl.Scan(Filter{"h__eq": "a", "r__gte": 4}, Consistent()), 2},
		"scan gsi, its key": {tbl.Scan(Filter{"gr__gte": 5}, Index("gix")), 1},
		"non-key attribute": {tbl.Query(Filter{"h__eq": "a"}, Where(Filter{"v__gt": 3}), Consistent()), 2},
	}
	for name, a := range allowed {
		got, err := a.rs.Collect(ctx)
		require.NoError(t, err, name)
		require.Len(t, got, a.want, name)
	}
}

// A1: filters and conditions are frozen when accepted: changing the Filter
// map, a []byte operand or an in/between slice afterwards changes nothing,
// for Query, Scan, Where, Expected, If and TxCheck.
func TestFixReadsFiltersFrozen(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("h"), RangeKey("r", B)})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"h": "a", "r": []byte("r1"), "v": []byte("v1"), "n": 1}))
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"h": "a", "r": []byte("r2"), "v": []byte("v2"), "n": 2}))
	one := func(t *testing.T, rs *ResultSet, wantV string) {
		t.Helper()
		items, err := rs.Collect(ctx)
		require.NoError(t, err)
		require.Len(t, items, 1)
		require.Equal(t, []byte(wantV), items[0].Get("v"))
	}

	t.Run("key condition bytes", func(t *testing.T) {
		rb := []byte("r1")
		rs := tbl.Query(Filter{"h__eq": "a", "r__eq": rb}, Consistent())
		copy(rb, "r2")
		one(t, rs, "v1")
	})
	t.Run("key condition map", func(t *testing.T) {
		kc := Filter{"h__eq": "a", "r__eq": []byte("r1")}
		rs := tbl.Query(kc, Consistent())
		kc["r__eq"] = []byte("r2")
		one(t, rs, "v1")
	})
	t.Run("where bytes", func(t *testing.T) {
		vb := []byte("v1")
		rs := tbl.Query(Filter{"h__eq": "a"}, Where(Filter{"v__eq": vb}), Consistent())
		copy(vb, "v2")
		one(t, rs, "v1")
	})
	t.Run("where map", func(t *testing.T) {
		wf := Filter{"v__eq": []byte("v1")}
		rs := tbl.Query(Filter{"h__eq": "a"}, Where(wf), Consistent())
		wf["n__eq"] = 7
		one(t, rs, "v1")
	})
	t.Run("where plain map", func(t *testing.T) {
		wf := map[string]any{"v__eq": []byte("v1")}
		opt := Where(Filter(wf))
		wf["n__eq"] = 7
		one(t, tbl.Query(Filter{"h__eq": "a"}, opt, Consistent()), "v1")
	})
	t.Run("where in slice", func(t *testing.T) {
		in := []any{[]byte("v1")}
		rs := tbl.Query(Filter{"h__eq": "a"}, Where(Filter{"v__in": in}), Consistent())
		in[0] = []byte("v2")
		one(t, rs, "v1")
	})
	t.Run("where in bytes inside the slice", func(t *testing.T) {
		b := []byte("v1")
		rs := tbl.Scan(nil, Where(Filter{"v__in": [][]byte{b}}), Consistent())
		copy(b, "v2")
		one(t, rs, "v1")
	})
	t.Run("scan filter bytes", func(t *testing.T) {
		sb := []byte("v1")
		rs := tbl.Scan(Filter{"v__eq": sb}, Consistent())
		copy(sb, "v2")
		one(t, rs, "v1")
	})
	t.Run("scan filter map", func(t *testing.T) {
		sf := Filter{"v__eq": []byte("v1")}
		rs := tbl.Scan(sf, Consistent())
		sf["n__eq"] = 9
		one(t, rs, "v1")
	})
	t.Run("scan filter between", func(t *testing.T) {
		b := []any{1, 1}
		rs := tbl.Scan(Filter{"n__between": b}, Consistent())
		b[1] = 0
		one(t, rs, "v1")
	})
	t.Run("raw builder", func(t *testing.T) {
		cb := expression.Name("n").Equal(expression.Value(1))
		rs := tbl.Scan(nil, Where(Expr(cb)), Consistent())
		cb = expression.Name("n").Equal(expression.Value(2))
		one(t, rs, "v1")
	})
	t.Run("expected", func(t *testing.T) {
		vb := []byte("v1")
		opt := Expected(Filter{"v__eq": vb})
		copy(vb, "v2")
		// The stored item holds v1: the frozen condition holds.
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"h": "a", "r": []byte("r1"), "v": []byte("v1"), "n": 1}, Overwrite(), opt))
	})
	t.Run("if", func(t *testing.T) {
		vb := []byte("v1")
		opt := If(Filter{"v__eq": vb})
		copy(vb, "v2")
		_, err := tbl.UpdateItem(ctx, Key{"h": "a", "r": []byte("r1")}, SetValue("w", 1), opt)
		require.NoError(t, err)
	})
	t.Run("txcheck", func(t *testing.T) {
		vb := []byte("v1")
		f := Filter{"v__eq": vb}
		op := tbl.TxCheck(Key{"h": "a", "r": []byte("r1")}, f)
		copy(vb, "v2")
		f["n__eq"] = 2
		require.NoError(t, TransactWrite(ctx, c, op, tbl.TxPut(map[string]any{"h": "b", "r": []byte("x")}, Overwrite())))
	})
	t.Run("a bad operand stays an error", func(t *testing.T) {
		var rc requestCounter
		c2 := testConn(t, rc.option)
		t2 := NewTable(c2, tbl.Name())
		in := []any{math.NaN()}
		rs := t2.Scan(nil, Where(Filter{"n__in": in}))
		in[0] = 1
		_, err := rs.Collect(ctx)
		var ve *ValueError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "n__in", ve.Attribute)
		require.ErrorIs(t, err, ErrInvalidValue)
		require.Equal(t, 0, rc.count("Scan"))

		ch := make(chan int)
		_, err = t2.DeleteItem(ctx, Key{"h": "a", "r": []byte("r1")}, Expected(Filter{"v__eq": ch}))
		require.ErrorAs(t, err, &ve)
		require.Equal(t, 0, rc.count("DeleteItem"))
		require.False(t, errors.Is(err, ErrInvalidCursor))
	})
}
