package dynamap

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamap/dynamap/internal/cond"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A3: before the table's key schema is known, a multi-step path may be a
// key (or index key) name: the item refuses it instead of guessing.
func TestFixItem_DottedNameBeforeSchemaKnown(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	created := testTable(t, c, []KeyField{HashKey("user.id")}, WithIndexes(GlobalAllIndex("byemail", HashKey("e.mail"))))

	rc := &requestCounter{}
	tbl := NewTable(testConn(t, rc.option), created.Name()) // fresh: schema not known yet
	it, err := tbl.NewItem(map[string]any{"user.id": "u1", "n": 1})
	require.NoError(t, err)

	for _, path := range []string{"user.id", "e.mail", "address.city", "tags[0]"} {
		err := it.Set(path, "x")
		require.ErrorIs(t, err, ErrSchema, "Set(%q)", path)
		assert.Contains(t, err.Error(), "not known yet", "Set(%q)", path)
		assert.Equal(t, 1, strings.Count(err.Error(), "dynamap: "), err.Error())
		assert.ErrorIs(t, it.Remove(path), ErrSchema, "Remove(%q)", path)
		assert.Nil(t, it.Get(path), "Get(%q) must not guess", path)
		assert.False(t, it.Has(path), "Has(%q) must not guess", path)
	}
	_, ok := it.GetString("user.id")
	assert.False(t, ok)
	assert.Equal(t, map[string]any{"user.id": "u1", "n": Number("1")}, it.Map(), "refused calls change nothing")
	// One-step names and quoted literal names are unambiguous.
	require.NoError(t, it.Set("n", 2))
	require.NoError(t, it.Set(Name("e.mail"), "x@y"))
	assert.Equal(t, "u1", it.Get(Name("user.id")))
	assert.True(t, it.Has(Name("e.mail")))
	assert.Equal(t, 0, rc.total(), "no request before Save")

	require.NoError(t, it.Save(ctx))
	// The Save learnt the schema: key names are literal now.
	assert.Equal(t, "u1", it.Get("user.id"))
	require.NoError(t, it.Set("e.mail", "z@y"))
	require.NoError(t, it.Set("address.city", "Lyon"))
	require.NoError(t, it.PartialSave(ctx))

	got, err := created.Scan(nil, Consistent()).Collect(ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, map[string]any{"user.id": "u1", "e.mail": "z@y", "n": Number("2"),
		"address": map[string]any{"city": "Lyon"}}, got[0].Map())

	// A declared key schema without WithIndexes does not say which names
	// are index keys: until the table is described, a dotted path is still
	// ambiguous; the declared key itself is literal.
	decl := NewTable(c, created.Name(), WithSchema(HashKey("user.id")))
	it2, err := decl.NewItem(map[string]any{"user.id": "u9"})
	require.NoError(t, err)
	assert.Equal(t, "u9", it2.Get("user.id"))
	assert.ErrorIs(t, it2.Set("e.mail", "a@b"), ErrSchema)
	_, err = decl.KeyNames(ctx)
	require.NoError(t, err)
	require.NoError(t, it2.Set("e.mail", "a@b"))
	assert.Equal(t, map[string]any{"user.id": "u9", "e.mail": "a@b"}, it2.Map())
}

// A4: attributes whose names hold "[" or "]" (which PutItem and other
// clients write fine) are saved, conditioned and removed like any other.
func TestFixItem_BracketNamesSave(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	stored := func(id string) map[string]any {
		got, err := tbl.GetItem(ctx, Key{"id": id}, Consistent())
		require.NoError(t, err)
		return got.Map()
	}
	rawSet := func(id, name string, v int) { // another writer
		_, err := c.API().UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: ptr(tbl.Name()),
			Key:                       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
			UpdateExpression:          ptr("SET #n = :v"),
			ExpressionAttributeNames:  map[string]string{"#n": name},
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": numAV(strconv.Itoa(v))}})
		require.NoError(t, err)
	}
	for i, name := range []string{"x[1]", "a]b", "[", "]", "a[b", "x[1][2]"} {
		id := string(rune('a' + i))
		// A loaded item holding the name: Save and PartialSave of another attribute.
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": id, name: 1, "n": 0}))
		it, err := tbl.GetItem(ctx, Key{"id": id}, Consistent())
		require.NoError(t, err)
		require.NoError(t, it.Set("n", 1))
		require.NoError(t, it.Save(ctx), "Save of an item holding %q", name)
		require.NoError(t, it.Remove("n"))
		require.NoError(t, it.PartialSave(ctx), "PartialSave of an item holding %q", name)
		assert.Equal(t, map[string]any{"id": id, name: Number("1")}, stored(id), name)

		// The name itself changed, by Set and PartialSave, then by Save.
		require.NoError(t, it.Set(Name(name), 2))
		assert.Equal(t, Number("2"), it.Get(Name(name)))
		require.NoError(t, it.PartialSave(ctx), "PartialSave of %q", name)
		assert.Equal(t, map[string]any{"id": id, name: Number("2")}, stored(id), name)
		require.NoError(t, it.Set(Name(name), 3))
		require.NoError(t, it.Save(ctx), "Save of %q", name)
		assert.Equal(t, map[string]any{"id": id, name: Number("3")}, stored(id), name)
		require.NoError(t, it.Set("n", 6))
		require.NoError(t, TransactWrite(ctx, c, tbl.TxPut(it)), "TxPut of an item holding %q", name)
		require.NoError(t, it.Remove("n"))
		require.NoError(t, it.Save(ctx))
		assert.Equal(t, map[string]any{"id": id, name: Number("3")}, stored(id), name)

		// The condition on the name is really there: another writer's
		// change to it fails both saves, and nothing is written.
		rawSet(id, name, 7)
		require.NoError(t, it.Set("n", 5))
		assert.ErrorIs(t, it.Save(ctx), ErrConditionalCheckFailed, "Save after %q changed", name)
		require.NoError(t, it.Set(Name(name), 4))
		assert.ErrorIs(t, it.PartialSave(ctx), ErrConditionalCheckFailed, "PartialSave after %q changed", name)
		assert.Equal(t, map[string]any{"id": id, name: Number("7")}, stored(id), name)

		// Removing it from a loaded item.
		it, err = tbl.GetItem(ctx, Key{"id": id}, Consistent())
		require.NoError(t, err)
		require.NoError(t, it.Remove(Name(name)))
		require.NoError(t, it.PartialSave(ctx), "PartialSave removing %q", name)
		assert.Equal(t, map[string]any{"id": id}, stored(id), name)

		// New items: PartialSave and Save write it.
		nid := id + "-new"
		nit, err := tbl.NewItem(map[string]any{"id": nid, name: 1})
		require.NoError(t, err)
		require.NoError(t, nit.PartialSave(ctx), "PartialSave of a new item holding %q", name)
		assert.Equal(t, map[string]any{"id": nid, name: Number("1")}, stored(nid), name)
		nit, err = tbl.NewItem(map[string]any{"id": nid + "2", name: 1})
		require.NoError(t, err)
		require.NoError(t, nit.Save(ctx), "Save of a new item holding %q", name)
		assert.Equal(t, map[string]any{"id": nid + "2", name: Number("1")}, stored(nid+"2"), name)

		// A partial item: removing it unloaded, setting it afresh.
		rawSet(id, name, 8)
		pit, err := tbl.GetItem(ctx, Key{"id": id}, Attributes("n"), Consistent())
		require.NoError(t, err)
		require.NoError(t, pit.Remove(Name(name)))
		require.NoError(t, pit.PartialSave(ctx), "PartialSave of a partial item removing %q", name)
		assert.Equal(t, map[string]any{"id": id}, stored(id), name)
		require.NoError(t, pit.Set(Name(name), 9))
		require.NoError(t, pit.PartialSave(ctx), "PartialSave of a partial item adding %q", name)
		assert.Equal(t, map[string]any{"id": id, name: Number("9")}, stored(id), name)
	}
}

// A4 with a version attribute: the version condition and the SET of the
// next version name an odd attribute too.
func TestFixItem_BracketVersionName(t *testing.T) {
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")}, WithVersion("v[0]"))
	it, err := tbl.NewItem(map[string]any{"id": "a", "n": 1})
	require.NoError(t, err)
	require.NoError(t, it.Save(ctx))
	require.NoError(t, it.Set("n", 2))
	require.NoError(t, it.PartialSave(ctx))
	require.NoError(t, it.Set("n", 3))
	require.NoError(t, it.Save(ctx))
	got, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": "a", "n": Number("3"), "v[0]": Number("3")}, got.Map())
	require.NoError(t, got.Delete(ctx))
	ok, err := tbl.HasItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.False(t, ok)
}

// A6: an attribute loaded through a nested projection holds only the
// projected part of its value: the item refuses changes below it, and a
// change of the whole attribute is conditioned on the projected leaves.
func TestFixItem_PartialNestedProjection(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	addr := map[string]any{"city": "Paris", "street": "Rivoli", "zip": "75001"}
	reset := func() {
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "n": 1, "address": addr}, Overwrite()))
	}
	stored := func() map[string]any {
		got, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
		require.NoError(t, err)
		return got.Map()
	}
	sources := map[string]func() *Item{
		"GetItem": func() *Item {
			it, err := tbl.GetItem(ctx, Key{"id": "a"}, Attributes("address.city", "n"), Consistent())
			require.NoError(t, err)
			return it
		},
		"Query": func() *Item {
			items, err := tbl.Query(Filter{"id__eq": "a"}, Attributes("address.city", "n"), Consistent()).Collect(ctx)
			require.NoError(t, err)
			require.Len(t, items, 1)
			return items[0]
		},
		"Scan": func() *Item {
			items, err := tbl.Scan(nil, Attributes("address.city", "n"), Consistent()).Collect(ctx)
			require.NoError(t, err)
			require.Len(t, items, 1)
			return items[0]
		},
		"BatchGet": func() *Item {
			items, err := tbl.BatchGet([]Key{{"id": "a"}}, Attributes("address.city", "n"), Consistent()).Collect(ctx)
			require.NoError(t, err)
			require.Len(t, items, 1)
			return items[0]
		},
		"TransactGet": func() *Item {
			items, err := TransactGet(ctx, c, tbl.TxGet(Key{"id": "a"}, Attributes("address.city", "n")))
			require.NoError(t, err)
			return items[0]
		},
	}
	for name, src := range sources {
		reset()
		it := src()
		assert.Equal(t, map[string]any{"id": "a", "n": Number("1"), "address": map[string]any{"city": "Paris"}}, it.Map(), name)
		for _, err := range []error{it.Set("address.zip", "75002"), it.Remove("address.city"), it.Remove("address.street")} {
			var ve *ValueError
			require.ErrorAs(t, err, &ve, name)
			assert.Contains(t, err.Error(), "only part of", name)
		}
		assert.False(t, it.NeedsSave(), "%s: refused changes change nothing", name)
		// Other attributes save as usual.
		require.NoError(t, it.Set("n", 2))
		require.NoError(t, it.PartialSave(ctx), name)
		assert.Equal(t, map[string]any{"id": "a", "n": Number("2"), "address": addr}, stored(), name)
		// The whole attribute: conditioned on the city that was loaded, not
		// on the parts never loaded (another writer changed street).
		_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("address.street", "Royale"))
		require.NoError(t, err)
		require.NoError(t, it.Set("address", map[string]any{"city": "Lyon", "zip": "69001"}), name)
		require.NoError(t, it.PartialSave(ctx), name)
		assert.Equal(t, map[string]any{"id": "a", "n": Number("2"), "address": map[string]any{"city": "Lyon", "zip": "69001"}}, stored(), name)
		// Saved whole, the attribute is known whole: nested Sets work again.
		require.NoError(t, it.Set("address.zip", "69002"), name)
		require.NoError(t, it.PartialSave(ctx), name)
		assert.Equal(t, map[string]any{"city": "Lyon", "zip": "69002"}, stored()["address"], name)
	}

	// A change to the loaded leaf by another writer is a conflict.
	reset()
	it := sources["GetItem"]()
	_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("address.city", "Nice"))
	require.NoError(t, err)
	require.NoError(t, it.Set("address", map[string]any{"city": "Lyon"}))
	assert.ErrorIs(t, it.PartialSave(ctx), ErrConditionalCheckFailed)
	require.NoError(t, it.Remove("address"))
	assert.ErrorIs(t, it.PartialSave(ctx), ErrConditionalCheckFailed)
	assert.Equal(t, "Nice", stored()["address"].(map[string]any)["city"])

	// Set whole to exactly the part that was loaded: still a change, since
	// DynamoDB holds more than that part.
	reset()
	it = sources["GetItem"]()
	require.NoError(t, it.Set("address", map[string]any{"city": "Paris"}))
	assert.True(t, it.NeedsSave())
	require.NoError(t, it.PartialSave(ctx))
	assert.False(t, it.NeedsSave())
	assert.Equal(t, map[string]any{"city": "Paris"}, stored()["address"])

	// Removing the whole attribute, unchanged by others.
	reset()
	it = sources["GetItem"]()
	require.NoError(t, it.Remove("address"))
	require.NoError(t, it.PartialSave(ctx))
	assert.Equal(t, map[string]any{"id": "a", "n": Number("1")}, stored())

	// A projected leaf that was absent is required to be still absent.
	reset()
	it, err = tbl.GetItem(ctx, Key{"id": "a"}, Attributes("address.country"), Consistent())
	require.NoError(t, err)
	assert.False(t, it.Has("address"))
	assert.ErrorAs(t, it.Set("address.country", "FR"), new(*ValueError))
	require.NoError(t, it.Set("address", map[string]any{"country": "FR"}))
	require.NoError(t, it.PartialSave(ctx))
	assert.Equal(t, map[string]any{"country": "FR"}, stored()["address"])

	// An attribute projected whole is not partial: nested Sets save.
	reset()
	it, err = tbl.GetItem(ctx, Key{"id": "a"}, Attributes("address"), Consistent())
	require.NoError(t, err)
	require.NoError(t, it.Set("address.zip", "75002"))
	require.NoError(t, it.PartialSave(ctx))
	assert.Equal(t, map[string]any{"city": "Paris", "street": "Rivoli", "zip": "75002"}, stored()["address"])

	// MarkClean keeps the knowledge that only part was loaded.
	reset()
	it = sources["GetItem"]()
	it.MarkClean()
	assert.ErrorAs(t, it.Set("address.zip", "75002"), new(*ValueError))
}

// A7: MarkClean on a partial item keeps it partial: Save and TxPut still
// refuse to write it whole (dropping what it did not load).
func TestFixItem_MarkCleanKeepsPartial(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id"), RangeKey("r", N)})
	reset := func() {
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "x", "r": 1, "a": 1, "b": "keep"}, Overwrite()))
	}
	load := func() *Item {
		it, err := tbl.GetItem(ctx, Key{"id": "x", "r": 1}, Attributes("a"), Consistent())
		require.NoError(t, err)
		it.MarkClean()
		assert.False(t, it.NeedsSave())
		assert.True(t, it.Loaded())
		return it
	}
	stored := func() map[string]any {
		got, err := tbl.GetItem(ctx, Key{"id": "x", "r": 1}, Consistent())
		require.NoError(t, err)
		return got.Map()
	}
	reset()
	rc := &requestCounter{}
	it := load()
	require.NoError(t, it.Set("a", 2))
	err := it.Save(ctx)
	var ve *ValueError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, err.Error(), "projection")
	require.ErrorAs(t, TransactWrite(ctx, NewTable(testConn(t, rc.option), tbl.Name()).Conn(), tbl.TxPut(it)), &ve)
	assert.Equal(t, 0, rc.total())
	assert.Equal(t, "keep", stored()["b"])
	// PartialSave works, and Save with Overwrite writes what the item holds.
	require.NoError(t, it.PartialSave(ctx))
	assert.Equal(t, map[string]any{"id": "x", "r": Number("1"), "a": Number("2"), "b": "keep"}, stored())
	require.NoError(t, it.Set("a", 3))
	require.NoError(t, it.Save(ctx, Overwrite()))
	assert.Equal(t, map[string]any{"id": "x", "r": Number("1"), "a": Number("3")}, stored())
}

// A4, the alias itself: a name holding brackets, and a real name that
// looks like an alias, both come back as themselves.
func TestFixItem_ExprNameAlias(t *testing.T) {
	odd := []string{"x[1]", "a]b", "[", "x[1][2]", cond.AliasPrefix + "41", cond.AliasPrefix + "zz", "plain"}
	var conds []expression.ConditionBuilder
	for _, name := range odd {
		conds = append(conds, cond.ExprName(name).Equal(expression.Value(1)))
	}
	expr, err := expression.NewBuilder().WithCondition(expression.And(conds[0], conds[1], conds[2:]...)).Build()
	require.NoError(t, err)
	cond.UnaliasNames(expr.Names())
	var got []string
	for _, n := range expr.Names() {
		got = append(got, n)
	}
	assert.ElementsMatch(t, odd, got)

	// The update shape cache keeps conditions on a path apart from those
	// on the whole attribute.
	p, err := cond.ParsePath("address.city")
	require.NoError(t, err)
	// (internal/cond's TestUpdateShapeKeyKeepsPathsApart checks the keys.)
	whole, part := cond.NewUpdateShape(2), cond.NewUpdateShape(2)
	whole.Set("n", numAV("1"))
	whole.Cond("address", nil, numAV("1"))
	part.Set("n", numAV("1"))
	part.Cond("address", p, numAV("1"))
	bw, err := whole.Build()
	require.NoError(t, err)
	bp, err := part.Build()
	require.NoError(t, err)
	assert.NotEqual(t, *bw.Condition, *bp.Condition)
	assert.Subset(t, slices.Collect(maps.Values(bp.Names)), []string{"address", "city"})
}
