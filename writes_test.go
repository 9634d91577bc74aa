package dynamap

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests of issue #9's write side (§3 names and paths, §6 Save
// semantics, §7 expression limits), against DynamoDB Local.

func TestKeyNameWithDotIsLiteralEverywhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("user.id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"user.id": "u1", "n": 1}))
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"user.id": "u2", "n": 2}))

	// Where: a filter key equal to a key attribute's name is that name.
	items, err := tbl.Scan(nil, Where(Filter{"user.id__eq": "u1"}), Consistent()).Collect(ctx)
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, "u1", items[0].Get("user.id"), "Item.Get of a key name is literal")

	// If and Expected.
	_, err = tbl.UpdateItem(ctx, Key{"user.id": "u1"}, SetValue("n", 10), If(Filter{"user.id__eq": "u1"}))
	require.NoError(t, err)
	err = tbl.PutItem(ctx, map[string]any{"user.id": "u2", "n": 20}, Overwrite(), Expected(Filter{"user.id__eq": "u2", "n__eq": 2}))
	require.NoError(t, err)
	deleted, err := tbl.DeleteItem(ctx, Key{"user.id": "u1"}, Expected(Filter{"user.id__eq": "u1", "n__eq": 10}))
	require.NoError(t, err)
	assert.True(t, deleted)
	got, err := tbl.GetItem(ctx, Key{"user.id": "u2"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, Number("20"), got.Get("n"))
}

func TestLiteralDottedAttributeWithName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "a.b": 1, "a": map[string]any{"b": 100}}))

	items, err := tbl.Scan(Filter{Name("a.b") + "__eq": 1}, Consistent()).Collect(ctx)
	require.NoError(t, err)
	assert.Len(t, items, 1, "Name reaches the top-level attribute a.b")
	items, err = tbl.Scan(Filter{"a.b__eq": 100}, Consistent()).Collect(ctx)
	require.NoError(t, err)
	assert.Len(t, items, 1, "a dotted string is a document path")

	_, err = tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue(Name("a.b"), 2), Add("a.b", 1))
	require.NoError(t, err)
	got, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, Number("2"), got.Get(Name("a.b")))
	assert.Equal(t, Number("101"), got.Get("a.b"))
	assert.True(t, got.Has(Name("a.b")))

	require.NoError(t, got.Set(Name("a.b"), 3))
	require.NoError(t, got.Set("a.b", 102))
	require.NoError(t, got.PartialSave(ctx))
	require.NoError(t, tbl.RemoveAttributes(ctx, Key{"id": "a"}, "a.b"))
	again, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, Number("3"), again.Get(Name("a.b")))
	assert.Equal(t, map[string]any{}, again.Get("a"), "RemoveAttributes of a path removed the map key only")
	assert.Equal(t, []string{"a", "a.b", "id"}, again.Names())
}

func TestItemSetNestedPathThenPartialSave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a",
		"address": map[string]any{"city": "Paris", "zip": "75001"}, "tags": []any{"x", "y"}}))
	it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)

	require.NoError(t, it.Set("address.city", "Lyon"))
	assert.True(t, it.NeedsSave(), "the loaded map was not changed in place")
	assert.Equal(t, "Lyon", it.Get("address.city"))
	require.NoError(t, it.Set("address.city", "Paris"))
	assert.False(t, it.NeedsSave(), "setting the loaded value back is clean")
	require.NoError(t, it.Set("address.city", "Lyon"))
	require.NoError(t, it.Set("tags[1]", "z"))
	require.NoError(t, it.Set("tags[5]", "appended"))
	require.NoError(t, it.Set("geo.lat", 45.76), "a missing map along the path is created")
	it.Remove("address.zip")
	assert.Equal(t, []string{"address", "geo", "id", "tags"}, it.Names(), "no top-level attribute named by a path")
	err = it.Set("tags.x", 1)
	assert.ErrorIs(t, err, ErrInvalidValue, "a path into a list by name is refused")

	require.NoError(t, it.PartialSave(ctx))
	got, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"city": "Lyon"}, got.Get("address"))
	assert.Equal(t, []any{"x", "z", "appended"}, got.Get("tags"))
	assert.True(t, got.Get("geo.lat").(Number).Equal("45.76"))
	assert.Equal(t, []string{"address", "geo", "id", "tags"}, got.Names())
}

func TestIncrementListElementAndQuotedPaths(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a",
		"m": map[string]any{"arr": []any{1, 2, 3}, "x.y": 5}, "a.b": 10}))
	key := Key{"id": "a"}

	for _, c := range []struct {
		path string
		by   int
		want Number
	}{
		{"m.arr[1]", 1, "3"},
		{"`a.b`", 5, "15"},
		{"m.`x.y`", 2, "7"},
		{"m.arr[1]", 10, "13"},
	} {
		n, err := tbl.Increment(ctx, key, c.path, c.by)
		require.NoError(t, err, c.path)
		assert.Equal(t, c.want, n, c.path)
	}
	got, err := tbl.GetItem(ctx, key, Consistent())
	require.NoError(t, err)
	assert.Equal(t, []any{Number("1"), Number("13"), Number("3")}, got.Get("m.arr"))
	assert.Equal(t, Number("15"), got.Get(Name("a.b")))
	assert.Equal(t, Number("7"), got.Get("m.`x.y`"))
	assert.Equal(t, []string{"a.b", "id", "m"}, got.Names(), "no attribute created by a misread path")
}

func TestCleanSaveSendsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "n": 1}))
	it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)

	// Another writer adds an attribute after the load.
	_, err = tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("extra", "theirs"))
	require.NoError(t, err)

	before := rc.total()
	require.NoError(t, it.Set("n", 1)) // the loaded value: still clean
	require.NoError(t, it.Save(ctx))
	assert.Equal(t, before, rc.total(), "a clean Save sends no request")
	got, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, "theirs", got.Get("extra"), "the other writer's attribute survives")

	// Overwrite, and a new item, still write.
	puts := rc.count("PutItem")
	require.NoError(t, got.Save(ctx, Overwrite()))
	fresh, err := tbl.NewItem(map[string]any{"id": "b"})
	require.NoError(t, err)
	require.NoError(t, fresh.Save(ctx))
	assert.Equal(t, puts+2, rc.count("PutItem"))
}

func TestTxPutUpdatesItemOnCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")}, WithVersion("v"))
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "n": 1}))
	it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)

	require.NoError(t, it.Set("n", 2))
	require.NoError(t, TransactWrite(ctx, c, tbl.TxPut(it)))
	assert.False(t, it.NeedsSave(), "a committed TxPut leaves the item clean")
	assert.Equal(t, Number("2"), it.Get("v"), "and holding the version written")
	require.NoError(t, it.Set("n", 3))
	require.NoError(t, it.Save(ctx), "the next Save expects the version the transaction wrote")

	// A new item is loaded once its transaction commits.
	fresh, err := tbl.NewItem(map[string]any{"id": "b", "n": 1})
	require.NoError(t, err)
	require.NoError(t, TransactWrite(ctx, c, tbl.TxPut(fresh)))
	assert.True(t, fresh.Loaded())
	assert.False(t, fresh.NeedsSave())
	require.NoError(t, fresh.Set("n", 2))
	require.NoError(t, fresh.PartialSave(ctx))

	// A canceled transaction leaves the item as it was.
	stale, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	_, err = tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("n", 4))
	require.NoError(t, err)
	require.NoError(t, stale.Set("n", 5))
	err = TransactWrite(ctx, c, tbl.TxPut(stale))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	assert.True(t, stale.NeedsSave())
	assert.Equal(t, Number("3"), stale.Get("v"), "version as loaded")
	assert.Equal(t, Number("5"), stale.Get("n"))

	got, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, Number("4"), got.Get("n"))
	assert.Equal(t, Number("4"), got.Get("v"))
}

func TestPartialItemRemoveOfUnloadedAttribute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "a": 1, "b": 2, "c": map[string]any{"x": 1}, "d": 4}))
	part, err := tbl.GetItem(ctx, Key{"id": "a"}, Attributes("id", "a"), Consistent())
	require.NoError(t, err)

	part.Remove("b")
	assert.True(t, part.NeedsSave(), "the removal of an attribute not loaded is recorded")
	assert.ErrorIs(t, part.Save(ctx), ErrInvalidValue, "Save of a partial item stays refused")
	err = part.Remove("c.x")
	assert.ErrorIs(t, err, ErrInvalidValue, "a path into an attribute not loaded cannot be removed")
	require.NoError(t, part.Set("a", 10))
	require.NoError(t, part.PartialSave(ctx))
	assert.False(t, part.NeedsSave())

	got, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"id": "a", "a": 10, "c": map[string]any{"x": 1}, "d": 4}, got)

	// Set after Remove: the Set wins, and like any attribute a partial
	// item sets without having loaded it, it must be absent.
	part.Remove("d")
	require.NoError(t, part.Set("d", "mine"))
	assert.ErrorIs(t, part.PartialSave(ctx), ErrConditionalCheckFailed)
	part.Remove("d")
	require.NoError(t, part.PartialSave(ctx))
	got, err = tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"id": "a", "a": 10, "c": map[string]any{"x": 1}}, got)
}

// wideItem returns an item of n attributes besides its key "id".
func wideItem(id string, n int, value any) map[string]any {
	m := map[string]any{"id": id}
	for i := range n {
		m[fmt.Sprintf("attr%04d", i)] = value
	}
	return m
}

func TestWideItemsSave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	for _, n := range []int{150, 300, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			id := func(s string) string { return fmt.Sprintf("%s-%d", s, n) }
			load := func(k string) *Item {
				it, err := tbl.GetItem(ctx, Key{"id": k}, Consistent())
				require.NoError(t, err)
				return it
			}

			// Save: new, then loaded with one change, then loaded with all changed.
			it, err := tbl.NewItem(wideItem(id("save"), n, 1))
			require.NoError(t, err)
			require.NoError(t, it.Save(ctx))
			loadedIt := load(id("save"))
			require.NoError(t, loadedIt.Set("attr0000", 2))
			require.NoError(t, loadedIt.Save(ctx))
			for name := range wideItem("", n, nil) {
				if name != "id" {
					require.NoError(t, loadedIt.Set(name, 3))
				}
			}
			require.NoError(t, loadedIt.Save(ctx))
			requireSameItem(t, wideItem(id("save"), n, 3), load(id("save")))

			// PartialSave of a new item.
			fresh, err := tbl.NewItem(wideItem(id("partial"), n, "v"))
			require.NoError(t, err)
			require.NoError(t, fresh.PartialSave(ctx))
			requireSameItem(t, wideItem(id("partial"), n, "v"), load(id("partial")))
			dup, err := tbl.NewItem(wideItem(id("partial"), n, "dup"))
			require.NoError(t, err)
			assert.ErrorIs(t, dup.PartialSave(ctx), ErrConditionalCheckFailed, "a new item never clobbers")

			// PartialSave of a loaded item: every attribute changed, while
			// another writer adds one.
			p := load(id("partial"))
			_, err = tbl.UpdateItem(ctx, Key{"id": id("partial")}, SetValue("theirs", true))
			require.NoError(t, err)
			for name := range wideItem("", n, nil) {
				if name != "id" {
					require.NoError(t, p.Set(name, "w"))
				}
			}
			require.NoError(t, p.PartialSave(ctx))
			want := wideItem(id("partial"), n, "w")
			want["theirs"] = true
			requireSameItem(t, want, load(id("partial")))

			// TxPut of a loaded item.
			tx := load(id("save"))
			for name := range wideItem("", n, nil) {
				if name != "id" {
					require.NoError(t, tx.Set(name, 4))
				}
			}
			require.NoError(t, TransactWrite(ctx, c, tbl.TxPut(tx)))
			assert.False(t, tx.NeedsSave())
			requireSameItem(t, wideItem(id("save"), n, 4), load(id("save")))
		})
	}
}

func TestStaleWideSaveFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	const n = 1000
	require.NoError(t, tbl.PutItem(ctx, wideItem("w", n, 1)))
	load := func() *Item {
		it, err := tbl.GetItem(ctx, Key{"id": "w"}, Consistent())
		require.NoError(t, err)
		return it
	}
	save, partial, tx := load(), load(), load()

	// Another writer changes the last attribute, the one least likely to
	// fit in a condition.
	_, err := tbl.UpdateItem(ctx, Key{"id": "w"}, SetValue("attr0999", "theirs"))
	require.NoError(t, err)

	require.NoError(t, save.Set("attr0000", "mine"))
	puts, gets := rc.count("PutItem"), rc.count("GetItem")
	err = save.Save(ctx)
	assert.ErrorIs(t, err, ErrConditionalCheckFailed, "a stale wide Save fails")
	assert.True(t, IsConditionFailed(err))
	assert.Equal(t, puts, rc.count("PutItem"), "nothing was written")
	assert.Equal(t, gets+1, rc.count("GetItem"), "the attributes beyond the condition were checked by one read")
	assert.True(t, save.NeedsSave())

	for name := range wideItem("", n, nil) {
		if name != "id" && name != "attr0999" {
			require.NoError(t, partial.Set(name, "mine"))
		}
	}
	assert.ErrorIs(t, partial.PartialSave(ctx), ErrConditionalCheckFailed, "a stale wide PartialSave fails")

	require.NoError(t, tx.Set("attr0000", "mine"))
	err = TransactWrite(ctx, c, tbl.TxPut(tx))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed, "a stale wide TxPut fails")
	assert.True(t, tx.NeedsSave())

	got := load()
	assert.Equal(t, "theirs", got.Get("attr0999"))
	assert.Equal(t, Number("1"), got.Get("attr0000"))
	assert.Equal(t, Number("1"), got.Get("attr0500"))
}

func TestOversizedFiltersAndReversedBetweenFailBeforeRequests(t *testing.T) {
	t.Parallel()
	var rc requestCounter
	c := testConn(t, rc.option)
	ctx := context.Background()
	tbl := testTable(t, c, []KeyField{HashKey("id"), RangeKey("n", N)})
	before := rc.total()

	many := Filter{}
	for i := range 151 {
		many[fmt.Sprintf("a%d__eq", i)] = 1 // 151 comparisons and 150 ANDs: 301 operators
	}
	long := Filter{}
	for i := range 140 {
		long[fmt.Sprintf("m.x%d.y.z.w.v.u.t__eq", i)] = 1 // 279 operators, over 4 KB
	}
	checks := map[string]func() error{
		"scan operators": func() error { _, err := tbl.Scan(many).Collect(ctx); return err },
		"scan size":      func() error { _, err := tbl.Scan(long).Collect(ctx); return err },
		"query where": func() error {
			_, err := tbl.Query(Filter{"id__eq": "a"}, Where(many)).Collect(ctx)
			return err
		},
		"put expected":    func() error { return tbl.PutItem(ctx, map[string]any{"id": "a", "n": 1}, Expected(many)) },
		"delete expected": func() error { _, err := tbl.DeleteItem(ctx, Key{"id": "a", "n": 1}, Expected(long)); return err },
		"update if": func() error {
			_, err := tbl.UpdateItem(ctx, Key{"id": "a", "n": 1}, SetValue("x", 1), If(many))
			return err
		},
		"tx check":        func() error { return TransactWrite(ctx, c, tbl.TxCheck(Key{"id": "a", "n": 1}, long)) },
		"between numbers": func() error { _, err := tbl.Scan(Filter{"x__between": []any{10, 9}}).Collect(ctx); return err },
		"between decimals": func() error {
			_, err := tbl.Scan(Filter{"x__between": []Number{"1e2", "99.5"}}).Collect(ctx)
			return err
		},
		"between strings": func() error { _, err := tbl.Scan(Filter{"x__between": []string{"b", "a"}}).Collect(ctx); return err },
		"between bytes": func() error {
			_, err := tbl.Scan(Filter{"x__between": [][]byte{{2}, {1, 9}}}).Collect(ctx)
			return err
		},
		"between key": func() error {
			_, err := tbl.Query(Filter{"id__eq": "a", "n__between": []int{5, 1}}).Collect(ctx)
			return err
		},
	}
	for name, call := range checks {
		err := call()
		var fe *FilterError
		assert.ErrorAs(t, err, &fe, name)
		assert.ErrorIs(t, err, ErrInvalidFilter, name)
	}
	assert.Equal(t, before, rc.total(), "no request was sent")

	// What DynamoDB accepts still goes through: equal bounds, numbers
	// compared as numbers (9 < 10 although "10" < "9" as text), 100
	// functions ANDed (199 operators, about 3.3 KB).
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "n": 1, "x": 9}))
	for _, f := range []Filter{{"x__between": []int{9, 9}}, {"x__between": []int{9, 10}}, {"x__between": []string{"a", "b"}}} {
		_, err := tbl.Scan(f).Collect(ctx)
		require.NoError(t, err)
	}
	ok := Filter{}
	for i := range 100 {
		ok[fmt.Sprintf("a%d__null", i)] = true
	}
	items, err := tbl.Scan(ok, Consistent()).Collect(ctx)
	require.NoError(t, err)
	assert.Len(t, items, 1)
	require.False(t, errors.Is(err, ErrInvalidFilter))
}
