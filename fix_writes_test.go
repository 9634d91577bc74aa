package dynamap

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the adversarial re-check of issue #9, findings A2
// (transaction actions own their data), A5 (items DynamoDB refuses are
// refused before any request, and never sink a batch) and A8 (index keys
// written by updates are checked).

// writeRequests counts the requests that write items.
func writeRequests(rc *requestCounter) int {
	return rc.count("PutItem") + rc.count("UpdateItem") + rc.count("DeleteItem") +
		rc.count("BatchWriteItem") + rc.count("TransactWriteItems")
}

// TestFixWritesTxOwnership: TxPut, TxUpdate, TxDelete, TxCheck and TxGet copy
// the caller's data and keys when called (rule 1), so changes made to them
// afterwards are not seen by TransactWrite or TransactGet.
func TestFixWritesTxOwnership(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})

	t.Run("TxPut map", func(t *testing.T) {
		buf := []byte("AAAA")
		m := map[string]any{"id": "p", "b": buf, "l": []any{buf}, "n": map[string]any{"k": "v"}}
		op := tbl.TxPut(m)
		copy(buf, "BBBB")
		m["extra"] = "added-after"
		m["id"] = "other"
		m["n"].(map[string]any)["k"] = "changed"
		require.NoError(t, TransactWrite(ctx, c, op))
		got, err := tbl.GetItem(ctx, Key{"id": "p"}, Consistent())
		require.NoError(t, err)
		assert.Equal(t, []byte("AAAA"), got.Get("b"))
		assert.Equal(t, []byte("AAAA"), got.Get("l[0]"))
		assert.Equal(t, "v", got.Get("n.k"))
		assert.False(t, got.Has("extra"))
		has, err := tbl.HasItem(ctx, Key{"id": "other"}, Consistent())
		require.NoError(t, err)
		assert.False(t, has)
	})

	t.Run("TxPut struct", func(t *testing.T) {
		type rec struct {
			ID   string `dynamodbav:"id"`
			Data []byte `dynamodbav:"data"`
		}
		r := &rec{ID: "s", Data: []byte("1111")}
		op := tbl.TxPut(r)
		copy(r.Data, "2222")
		r.ID = "s2"
		require.NoError(t, TransactWrite(ctx, c, op))
		got, err := tbl.GetItem(ctx, Key{"id": "s"}, Consistent())
		require.NoError(t, err)
		assert.Equal(t, []byte("1111"), got.Get("data"))
	})

	t.Run("TxUpdate", func(t *testing.T) {
		buf := []byte("CCCC")
		bs := BinarySet{[]byte("x1"), []byte("x2")}
		key := Key{"id": "p"}
		op := tbl.TxUpdate(key, SetValue("u", buf), Add("bs", bs))
		copy(buf, "DDDD")
		copy(bs[0], "x2") // now a duplicate
		key["id"] = "elsewhere"
		require.NoError(t, TransactWrite(ctx, c, op))
		got, err := tbl.GetItem(ctx, Key{"id": "p"}, Consistent())
		require.NoError(t, err)
		assert.Equal(t, []byte("CCCC"), got.Get("u"))
		assert.ElementsMatch(t, BinarySet{[]byte("x1"), []byte("x2")}, got.Get("bs"))
		has, err := tbl.HasItem(ctx, Key{"id": "elsewhere"}, Consistent())
		require.NoError(t, err)
		assert.False(t, has)
	})

	btbl := testTable(t, c, []KeyField{HashKey("k", B)})
	require.NoError(t, btbl.PutItem(ctx, map[string]any{"k": []byte("k1"), "v": 1}))
	require.NoError(t, btbl.PutItem(ctx, map[string]any{"k": []byte("k2"), "v": 2}))

	t.Run("TxCheck key", func(t *testing.T) {
		// The check is on k1 (v = 1); changing the key to k2 afterwards
		// must not move it there, where v = 2 fails the condition.
		kb := []byte("k1")
		check := btbl.TxCheck(Key{"k": kb}, Filter{"v__eq": 1})
		copy(kb, "k2")
		require.NoError(t, TransactWrite(ctx, c, check, tbl.TxPut(map[string]any{"id": "c"})))
	})

	t.Run("TxDelete key", func(t *testing.T) {
		kb := []byte("k1")
		op := btbl.TxDelete(Key{"k": kb})
		copy(kb, "k2")
		require.NoError(t, TransactWrite(ctx, c, op))
		ok1, err := btbl.HasItem(ctx, Key{"k": []byte("k1")}, Consistent())
		require.NoError(t, err)
		ok2, err := btbl.HasItem(ctx, Key{"k": []byte("k2")}, Consistent())
		require.NoError(t, err)
		assert.False(t, ok1, "k1 should have been deleted")
		assert.True(t, ok2, "k2 should remain")
	})

	t.Run("TxGet key and options", func(t *testing.T) {
		kb := []byte("k2")
		key := Key{"k": kb}
		opts := []TxGetOption{Attributes("v")}
		g := btbl.TxGet(key, opts...)
		copy(kb, "zz")
		key["other"] = 1
		opts[0] = Attributes("nothing")
		items, err := TransactGet(ctx, c, g)
		require.NoError(t, err)
		require.NotNil(t, items[0], "TxGet kept the caller's key bytes")
		assert.Equal(t, Number("2"), items[0].Get("v"), "TxGet kept the caller's options")
	})

	t.Run("errors still come from TransactWrite before any request", func(t *testing.T) {
		rc := &requestCounter{}
		c := testConn(t, rc.option)
		tbl := NewTable(c, tbl.Name())
		btbl := NewTable(c, btbl.Name())
		var ve *ValueError
		var ke *KeyError
		put := tbl.TxPut(map[string]any{"id": "nan", "f": math.NaN()})
		err := TransactWrite(ctx, c, put)
		require.ErrorAs(t, err, &ve)
		del := btbl.TxDelete(Key{"k": "a string"})
		err = TransactWrite(ctx, c, del)
		require.ErrorAs(t, err, &ke)
		chk := btbl.TxCheck(Key{"k": NumberSet{"1", "1.0"}}, Filter{"v__eq": 1})
		err = TransactWrite(ctx, c, chk)
		require.ErrorAs(t, err, &ke)
		upd := tbl.TxUpdate(Key{"id": "x", "extra": 1}, SetValue("a", 1))
		err = TransactWrite(ctx, c, upd)
		require.ErrorAs(t, err, &ke)
		_, err = TransactGet(ctx, c, btbl.TxGet(Key{"k": []byte{}}))
		require.ErrorAs(t, err, &ke)
		assert.Zero(t, rc.count("TransactWriteItems")+rc.count("TransactGetItems"))
	})

	t.Run("an Item of the table is read at TransactWrite", func(t *testing.T) {
		it, err := ItemFrom(tbl, map[string]any{"id": "item", "a": 1})
		require.NoError(t, err)
		op := tbl.TxPut(it)
		require.NoError(t, it.Set("a", 2))
		require.NoError(t, TransactWrite(ctx, c, op))
		assert.False(t, it.NeedsSave(), "the committed item is clean")
		got, err := tbl.GetItem(ctx, Key{"id": "item"}, Consistent())
		require.NoError(t, err)
		assert.Equal(t, Number("2"), got.Get("a"))
	})
}

// nestedMaps returns v wrapped in n maps {"d": ...}.
func nestedMaps(n int, v any) any {
	for range n {
		v = map[string]any{"d": v}
	}
	return v
}

// nestedLists returns v wrapped in n lists [...].
func nestedLists(n int, v any) any {
	for range n {
		v = []any{v}
	}
	return v
}

// TestFixWritesBadItemRefused: items DynamoDB refuses (key values over its
// size limits, empty attribute names, values nested deeper than 32 levels)
// are refused by PutItem and BatchTable.PutItem before any request; in a
// batch only the bad item is refused and the rest of its buffer is written.
func TestFixWritesBadItemRefused(t *testing.T) {
	ctx := context.Background()
	rc := &requestCounter{}
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id"), RangeKey("r")},
		WithIndexes(GlobalAllIndex("gix", HashKey("g"), RangeKey("gr")), AllIndex("lix", HashKey("id"), RangeKey("l"))))
	cases := []struct {
		name  string
		item  map[string]any
		isKey bool
	}{
		{"longhash", map[string]any{"id": strings.Repeat("h", 2049), "r": "r"}, true},
		{"longhashutf8", map[string]any{"id": strings.Repeat("é", 1025), "r": "r"}, true}, // 2050 bytes
		{"longrange", map[string]any{"id": "x", "r": strings.Repeat("r", 1025)}, true},
		{"longgsihash", map[string]any{"id": "x", "r": "r", "g": strings.Repeat("g", 2049)}, true},
		{"longgsirange", map[string]any{"id": "x", "r": "r", "gr": strings.Repeat("g", 1025)}, true},
		{"longlsirange", map[string]any{"id": "x", "r": "r", "l": strings.Repeat("l", 1025)}, true},
		{"emptyname", map[string]any{"id": "x", "r": "r", "": 1}, false},
		{"emptymapkey", map[string]any{"id": "x", "r": "r", "m": map[string]any{"a": map[string]any{"": 1}}}, false},
		{"emptymapkeyinlist", map[string]any{"id": "x", "r": "r", "m": []any{map[string]any{"": 1}}}, false},
		{"deepmaps", map[string]any{"id": "x", "r": "r", "m": nestedMaps(32, "x")}, false},
		{"deeplists", map[string]any{"id": "x", "r": "r", "m": nestedLists(32, "x")}, false},
		{"deepemptymap", map[string]any{"id": "x", "r": "r", "m": nestedMaps(31, map[string]any{})}, false},
		{"verydeep", map[string]any{"id": "x", "r": "r", "m": nestedMaps(40, "x")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				var ke *KeyError
				var ve *ValueError
				if tc.isKey {
					assert.ErrorAs(t, err, &ke, what)
				} else {
					assert.ErrorAs(t, err, &ve, what)
				}
			}
			before := writeRequests(rc)
			check("PutItem", tbl.PutItem(ctx, tc.item, Overwrite()))
			it, err := ItemFrom(tbl, tc.item)
			require.NoError(t, err)
			check("Save", it.Save(ctx))
			check("TransactWrite(TxPut)", TransactWrite(ctx, c, tbl.TxPut(tc.item)))
			assert.Equal(t, before, writeRequests(rc), "requests sent for a bad item")

			b := tbl.BatchWrite()
			for i := range 10 {
				require.NoError(t, b.PutItem(ctx, map[string]any{"id": tc.name + "-good", "r": fmt.Sprint(i)}))
			}
			check("BatchTable.PutItem", b.PutItem(ctx, tc.item))
			require.NoError(t, b.Close(ctx))
			n, err := tbl.Query(Filter{"id__eq": tc.name + "-good"}, Consistent()).Count(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(10), n, "good items written")
		})
	}

	t.Run("at the limits", func(t *testing.T) {
		ok := []map[string]any{
			{"id": strings.Repeat("h", 2048), "r": strings.Repeat("r", 1024)},
			{"id": "x", "r": "1", "g": strings.Repeat("g", 2048), "gr": strings.Repeat("g", 1024), "l": strings.Repeat("l", 1024)},
			{"id": "x", "r": "2", "m": nestedMaps(31, "x"), "n": nestedLists(31, "x"), "e": nestedMaps(30, map[string]any{})},
			{"id": "x", "r": "3", "s": nestedMaps(31, StringSet{"a"})},
		}
		for i, item := range ok {
			require.NoError(t, tbl.PutItem(ctx, item, Overwrite()), "item %d", i)
		}
	})

	t.Run("keys of reads and deletes", func(t *testing.T) {
		before := rc.total()
		var ke *KeyError
		_, err := tbl.GetItem(ctx, Key{"id": strings.Repeat("h", 2049), "r": "r"})
		assert.ErrorAs(t, err, &ke)
		_, err = tbl.GetItem(ctx, Key{"id": "x", "r": strings.Repeat("r", 1025)})
		assert.ErrorAs(t, err, &ke)
		_, err = tbl.DeleteItem(ctx, Key{"id": "x", "r": strings.Repeat("r", 1025)})
		assert.ErrorAs(t, err, &ke)
		_, err = tbl.BatchGet([]Key{{"id": strings.Repeat("h", 2049), "r": "r"}}).Collect(ctx)
		assert.ErrorAs(t, err, &ke)
		assert.Equal(t, before, rc.total(), "requests sent for a bad key")
	})
}

// TestFixWritesIndexKeyOnUpdate: updates (PartialSave, UpdateItem, TxUpdate,
// Increment) that would give an index key attribute the wrong type, an empty
// value or an oversized one are refused with a *KeyError before any
// request; values nested too deep or with empty map keys with a
// *ValueError. Removing an index key is fine.
func TestFixWritesIndexKeyOnUpdate(t *testing.T) {
	ctx := context.Background()
	rc := &requestCounter{}
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")}, WithIndexes(GlobalAllIndex("gidx", HashKey("g"), RangeKey("gr", N))))
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "g": "G", "gr": 1, "m": map[string]any{}}))
	load := func() *Item {
		it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
		require.NoError(t, err)
		return it
	}
	refused := func(what string, wantKey bool, f func() error) {
		t.Helper()
		before := writeRequests(rc)
		err := f()
		if wantKey {
			var ke *KeyError
			assert.ErrorAs(t, err, &ke, what)
		} else {
			var ve *ValueError
			assert.ErrorAs(t, err, &ve, what)
		}
		assert.Equal(t, before, writeRequests(rc), "%s: requests sent", what)
	}
	partialSave := func(name string, v any) func() error {
		return func() error {
			it := load()
			require.NoError(t, it.Set(name, v))
			return it.PartialSave(ctx)
		}
	}
	refused("PartialSave g=5", true, partialSave("g", 5))
	refused("PartialSave gr=x", true, partialSave("gr", "x"))
	refused("PartialSave g empty", true, partialSave("g", ""))
	refused("PartialSave g too long", true, partialSave("g", strings.Repeat("g", 2049)))
	refused("PartialSave deep", false, partialSave("deep", nestedMaps(32, 1)))
	refused("PartialSave m.x deep", false, partialSave("m.x", nestedMaps(31, 1)))
	refused("PartialSave empty map key", false, partialSave("e", map[string]any{"": 1}))
	refused("UpdateItem g empty", true, func() error {
		_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("g", ""))
		return err
	})
	refused("UpdateItem SetDefault gr=x", true, func() error {
		_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetDefault("gr", "x"))
		return err
	})
	refused("UpdateItem g.x", true, func() error {
		_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("g.x", "y"))
		return err
	})
	refused("UpdateItem deep", false, func() error {
		_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("deep", nestedLists(32, 1)))
		return err
	})
	refused("UpdateItem m.x deep", false, func() error {
		_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("m.x", nestedMaps(31, 1)))
		return err
	})
	refused("UpdateItem empty map key", false, func() error {
		_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("m.x", map[string]any{"": 1}))
		return err
	})
	refused("TxUpdate g=5", true, func() error {
		return TransactWrite(ctx, c, tbl.TxUpdate(Key{"id": "a"}, SetValue("g", 5)))
	})
	refused("TxUpdate Add g", true, func() error {
		return TransactWrite(ctx, c, tbl.TxUpdate(Key{"id": "a"}, Add("g", StringSet{"x"})))
	})
	refused("Increment g", true, func() error {
		_, err := tbl.Increment(ctx, Key{"id": "a"}, "g", 1)
		return err
	})

	// What DynamoDB takes still goes through.
	_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("g", "H"), Add("gr", 1), SetValue("m.x", nestedMaps(30, 1)))
	require.NoError(t, err)
	it := load()
	assert.Equal(t, "H", it.Get("g"))
	assert.Equal(t, Number("2"), it.Get("gr"))
	require.NoError(t, it.Set("g", "H2"))
	require.NoError(t, it.PartialSave(ctx))
	n, err := tbl.Increment(ctx, Key{"id": "a"}, "gr", 1)
	require.NoError(t, err)
	assert.Equal(t, Number("3"), n)
	_, err = tbl.UpdateItem(ctx, Key{"id": "a"}, RemoveAttr("g"))
	require.NoError(t, err)
	it = load()
	assert.False(t, it.Has("g"))
	require.NoError(t, it.Set("gr", 7))
	require.NoError(t, it.Remove("m"))
	require.NoError(t, it.PartialSave(ctx))
	assert.Equal(t, Number("7"), load().Get("gr"))
}
