package dynamap

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const digits38 = "1234567890123456789.0123456789012345678" // 38 significant digits

// allKinds is one value of every kind dynamap stores.
func allKinds(id string) map[string]any {
	return map[string]any{
		"id":          id,
		"max":         int64(9223372036854775807),
		"neg":         -0.5,
		"tiny":        Number("1e-130"),
		"exact":       Number(digits38),
		"u8":          uint8(255),
		"f32":         float32(1.25),
		"str":         "héllo",
		"bin":         []byte{0, 1, 2, 255},
		"yes":         true,
		"no":          false,
		"null":        nil,
		"ss":          StringSet{"a", "b"},
		"ns":          NumberSet{"1", "-2.5", "1e100"},
		"bs":          BinarySet{{1}, {2, 3}},
		"setmap":      map[int]struct{}{3: {}, 4: {}},
		"list":        []any{"x", 1, []any{true, nil}, map[string]any{"k": "v"}},
		"map":         map[string]any{"a": map[string]any{"b": []any{Number("2")}}, "empty": map[string]any{}},
		"dotted.name": "literal dot",
		"with-dash":   "and a dash",
	}
}

func requireSameItem(t *testing.T, want map[string]any, got *Item) {
	t.Helper()
	wav, err := marshalMap(want)
	require.NoError(t, err)
	require.Equal(t, len(wav), got.Len(), "attribute names: %v", got.Names())
	for name, av := range wav {
		g, ok := got.data[name]
		require.True(t, ok, "missing %q", name)
		assert.True(t, equalAV(av, g), "%q: want %#v, got %#v", name, unmarshalValue(av), unmarshalValue(g))
	}
}

func TestRoundTripEveryKind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})

	// map → PutItem → GetItem
	require.NoError(t, tbl.PutItem(ctx, allKinds("viaMap")))
	got, err := tbl.GetItem(ctx, Key{"id": "viaMap"}, Consistent())
	require.NoError(t, err)
	requireSameItem(t, allKinds("viaMap"), got)
	assert.False(t, got.NeedsSave())

	max, ok := got.GetNumber("max")
	require.True(t, ok)
	i, err := max.Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(9223372036854775807), i)
	assert.True(t, got.Get("neg").(Number).Equal("-0.5"))
	assert.True(t, got.Get("tiny").(Number).Equal("1e-130"))
	r, err := got.Get("exact").(Number).Rat()
	require.NoError(t, err)
	want, _ := parseDecimal(digits38)
	assert.Zero(t, r.Cmp(want), "38 digits exact: %s", got.Get("exact"))
	assert.Nil(t, got.Get("null"))
	assert.True(t, got.Has("null"))
	assert.Equal(t, []byte{0, 1, 2, 255}, got.Get("bin"))
	assert.Equal(t, "literal dot", got.Get(Name("dotted.name")), "a literal name with a dot is reached with Name")
	assert.Nil(t, got.Get("dotted.name"), "a dotted string is a document path")
	assert.ElementsMatch(t, NumberSet{"3", "4"}, got.Get("setmap"))

	// A loaded item of every kind saves under conditions on every kind:
	// DynamoDB must accept equality on lists, maps, sets, NULL and binary.
	require.NoError(t, got.Set("str", "changed"))
	require.NoError(t, got.Save(ctx))
	require.NoError(t, got.Set("list", []any{"y"}))
	require.NoError(t, got.Set("map", map[string]any{"a": 1}))
	got.Remove("ns", "null")
	require.NoError(t, got.PartialSave(ctx))
	again, err := tbl.GetItem(ctx, Key{"id": "viaMap"}, Consistent())
	require.NoError(t, err)
	exp := allKinds("viaMap")
	exp["str"] = "changed"
	exp["list"] = []any{"y"}
	exp["map"] = map[string]any{"a": 1}
	delete(exp, "ns")
	delete(exp, "null")
	requireSameItem(t, exp, again)

	// Item → Save → GetItem
	it, err := tbl.NewItem(allKinds("viaItem"))
	require.NoError(t, err)
	require.NoError(t, it.Save(ctx))
	got, err = tbl.GetItem(ctx, Key{"id": "viaItem"}, Consistent())
	require.NoError(t, err)
	requireSameItem(t, allKinds("viaItem"), got)
	assert.True(t, equalAVMap(it.data, got.data))

	// struct → PutItem → GetItem → Decode
	type nested struct {
		Tags []string `dynamodbav:"tags,stringset"`
		Note *string  `dynamodbav:"note"`
	}
	type record struct {
		ID     string           `dynamodbav:"id"`
		Max    int64            `dynamodbav:"max"`
		Neg    float64          `dynamodbav:"neg"`
		Tiny   Number           `dynamodbav:"tiny"`
		Exact  Number           `dynamodbav:"exact"`
		Bin    []byte           `dynamodbav:"bin"`
		Yes    bool             `dynamodbav:"yes"`
		Null   *string          `dynamodbav:"null"`
		SS     []string         `dynamodbav:"ss,stringset"`
		NS     []int            `dynamodbav:"ns,numberset"`
		BS     [][]byte         `dynamodbav:"bs,binaryset"`
		List   []any            `dynamodbav:"list"`
		Nested nested           `dynamodbav:"nested"`
		Map    map[string]int64 `dynamodbav:"map"`
	}
	in := record{
		ID: "viaStruct", Max: 9223372036854775807, Neg: -0.5, Tiny: "1e-130", Exact: digits38,
		Bin: []byte{9, 8}, Yes: true, SS: []string{"p", "q"}, NS: []int{1, 2}, BS: [][]byte{{7}},
		List: []any{"a", 1.5, true}, Nested: nested{Tags: []string{"t"}}, Map: map[string]int64{"k": -3},
	}
	require.NoError(t, tbl.PutItem(ctx, in))
	err = tbl.PutItem(ctx, &in)
	assert.ErrorIs(t, err, ErrConditionalCheckFailed, "PutItem refuses to clobber")
	var ccf *types.ConditionalCheckFailedException
	assert.ErrorAs(t, err, &ccf, "the SDK error stays reachable")
	require.NoError(t, tbl.PutItem(ctx, &in, Overwrite()))

	got, err = tbl.GetItem(ctx, Key{"id": "viaStruct"}, Consistent())
	require.NoError(t, err)
	var out record
	require.NoError(t, got.Decode(&out))
	assert.Equal(t, in.Max, out.Max)
	assert.Equal(t, in.Neg, out.Neg)
	assert.True(t, out.Tiny.Equal(in.Tiny))
	assert.True(t, out.Exact.Equal(in.Exact))
	assert.Equal(t, in.Bin, out.Bin)
	assert.Equal(t, in.Yes, out.Yes)
	assert.Nil(t, out.Null)
	assert.ElementsMatch(t, in.SS, out.SS)
	assert.ElementsMatch(t, in.NS, out.NS)
	assert.ElementsMatch(t, in.BS, out.BS)
	assert.Equal(t, []any{"a", Number("1.5"), true}, out.List, "numbers load into any as Number, as Item.Get returns them")
	assert.Equal(t, in.Nested, out.Nested)
	assert.Equal(t, in.Map, out.Map)
	_, isSet := got.Get("ss").(StringSet)
	assert.True(t, isSet, "a []string tagged stringset loads as a StringSet")

	// ItemFrom a struct, then Save.
	in.ID = "viaItemFrom"
	it, err = ItemFrom(tbl, in)
	require.NoError(t, err)
	require.NoError(t, it.Save(ctx))
	got, err = tbl.GetItem(ctx, Key{"id": "viaItemFrom"}, Consistent())
	require.NoError(t, err)
	assert.True(t, equalAVMap(it.data, got.data))
}

func TestGetHasLookup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("user"), RangeKey("ts", N)})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"user": "ann", "ts": 5, "first": "Ann", "last": "Lee", "n": 1}))

	_, err := tbl.GetItem(ctx, Key{"user": "ann", "ts": 6})
	assert.ErrorIs(t, err, ErrItemNotFound)
	assert.True(t, IsNotFound(err))
	ok, err := tbl.HasItem(ctx, Key{"user": "ann", "ts": 5}, Consistent())
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = tbl.HasItem(ctx, Key{"user": "ann", "ts": 6})
	require.NoError(t, err)
	assert.False(t, ok)

	it, err := tbl.Lookup(ctx, "ann", 5)
	require.NoError(t, err)
	assert.Equal(t, "Ann", it.Get("first"))
	k, err := it.Key()
	require.NoError(t, err)
	assert.Equal(t, Key{"user": "ann", "ts": Number("5")}, k)

	// A projection: PartialSave works and keeps what was not loaded; Save is refused.
	part, err := tbl.GetItem(ctx, Key{"user": "ann", "ts": 5}, Attributes("user", "ts", "first"), Consistent())
	require.NoError(t, err)
	assert.Equal(t, []string{"first", "ts", "user"}, part.Names())
	require.NoError(t, part.Set("first", "Anne"))
	assert.ErrorIs(t, part.Save(ctx), ErrInvalidValue)
	require.NoError(t, part.PartialSave(ctx))
	full, err := tbl.GetItem(ctx, Key{"user": "ann", "ts": 5}, Consistent())
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"user": "ann", "ts": 5, "first": "Anne", "last": "Lee", "n": 1}, full)
}

func TestPartialSaveConcurrentCopies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "x", "a": 1, "b": 1, "c": 1, "d": "keep"}))
	load := func() *Item {
		it, err := tbl.GetItem(ctx, Key{"id": "x"}, Consistent())
		require.NoError(t, err)
		return it
	}
	first, colliding, other := load(), load(), load()

	require.NoError(t, first.Set("a", 2))
	require.NoError(t, first.Set("new", "from first"))
	require.NoError(t, colliding.Set("a", 3))
	require.NoError(t, colliding.Set("c", 3))
	require.NoError(t, other.Set("c", 5))
	other.Remove("b")

	require.NoError(t, first.PartialSave(ctx))
	err := colliding.PartialSave(ctx)
	assert.ErrorIs(t, err, ErrConditionalCheckFailed, "a was changed behind its back")
	assert.True(t, IsConditionFailed(err))
	assert.True(t, colliding.NeedsSave(), "a failed save leaves the item dirty")
	require.NoError(t, other.PartialSave(ctx), "c and b were not touched by anyone else")

	stored := load()
	requireSameItem(t, map[string]any{"id": "x", "a": 2, "c": 5, "d": "keep", "new": "from first"}, stored)

	// Adding an attribute someone else added meanwhile collides too.
	late := load()
	require.NoError(t, first.Set("z", 1))
	require.NoError(t, first.PartialSave(ctx))
	require.NoError(t, late.Set("z", 2))
	assert.ErrorIs(t, late.PartialSave(ctx), ErrConditionalCheckFailed)
}

func TestSaveRefusesStaleItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "s", "a": 1, "b": "x"}))
	it, err := tbl.GetItem(ctx, Key{"id": "s"}, Consistent())
	require.NoError(t, err)

	// Behind its back.
	_, err = tbl.UpdateItem(ctx, Key{"id": "s"}, SetValue("b", "changed"))
	require.NoError(t, err)

	require.NoError(t, it.Set("a", 99))
	assert.ErrorIs(t, it.Save(ctx), ErrConditionalCheckFailed)
	stored, err := tbl.GetItem(ctx, Key{"id": "s"}, Consistent())
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"id": "s", "a": 1, "b": "changed"}, stored)

	// An attribute the item added that someone else added meanwhile collides.
	require.NoError(t, stored.Set("extra", 1))
	_, err = tbl.UpdateItem(ctx, Key{"id": "s"}, SetValue("extra", true))
	require.NoError(t, err)
	assert.ErrorIs(t, stored.Save(ctx), ErrConditionalCheckFailed)

	require.NoError(t, it.Save(ctx, Overwrite()))
	final, err := tbl.GetItem(ctx, Key{"id": "s"}, Consistent())
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"id": "s", "a": 99, "b": "x"}, final)

	// A new item never clobbers an existing one.
	dup, err := tbl.NewItem(map[string]any{"id": "s", "other": 1})
	require.NoError(t, err)
	assert.ErrorIs(t, dup.Save(ctx), ErrConditionalCheckFailed)
	assert.ErrorIs(t, dup.PartialSave(ctx), ErrConditionalCheckFailed)
}

func TestOptimisticLocking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	base := testTable(t, c, []KeyField{HashKey("id")})
	tbl := NewTable(c, base.Name(), WithSchema(HashKey("id")), WithVersion("version"))

	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "v", "a": 1}))
	a, err := tbl.GetItem(ctx, Key{"id": "v"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, Number("1"), a.Get("version"))
	b, err := tbl.GetItem(ctx, Key{"id": "v"}, Consistent())
	require.NoError(t, err)

	require.NoError(t, a.Set("a", 2))
	require.NoError(t, a.Save(ctx))
	assert.Equal(t, Number("2"), a.Get("version"))

	// b is stale: every write fails even though it touches other fields.
	require.NoError(t, b.Set("other", "x"))
	assert.ErrorIs(t, b.PartialSave(ctx), ErrConditionalCheckFailed)
	assert.ErrorIs(t, b.Save(ctx), ErrConditionalCheckFailed)
	assert.ErrorIs(t, b.Delete(ctx), ErrConditionalCheckFailed)
	stored, err := tbl.GetItem(ctx, Key{"id": "v"}, Consistent())
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"id": "v", "a": 2, "version": 2}, stored)

	// The fresh copy writes and bumps; UpdateItem bumps too.
	require.NoError(t, stored.Set("other", "y"))
	require.NoError(t, stored.PartialSave(ctx))
	assert.Equal(t, Number("3"), stored.Get("version"))
	_, err = tbl.UpdateItem(ctx, Key{"id": "v"}, SetValue("a", 3))
	require.NoError(t, err)
	require.NoError(t, stored.Set("a", 4))
	assert.ErrorIs(t, stored.PartialSave(ctx), ErrConditionalCheckFailed)
	now, err := tbl.GetItem(ctx, Key{"id": "v"}, Consistent())
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"id": "v", "a": 3, "other": "y", "version": 4}, now)
	require.NoError(t, now.Delete(ctx))
	ok, err := tbl.HasItem(ctx, Key{"id": "v"}, Consistent())
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestIncrementConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	const workers, each = 20, 10
	seen := make(chan Number, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				var by any = 1
				if w%2 == 1 {
					by = int8(1)
				}
				n, err := tbl.Increment(ctx, Key{"id": "counter"}, "hits", by)
				if err != nil {
					t.Error(err)
					return
				}
				seen <- n
			}
		}()
	}
	wg.Wait()
	close(seen)
	values := map[int64]bool{}
	for n := range seen {
		i, err := n.Int64()
		require.NoError(t, err)
		assert.False(t, values[i], "value %d returned twice", i)
		values[i] = true
	}
	assert.Len(t, values, workers*each, "every increment saw its own new value")
	it, err := tbl.GetItem(ctx, Key{"id": "counter"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, Number(fmt.Sprint(workers*each)), it.Get("hits"))

	n, err := tbl.Increment(ctx, Key{"id": "counter"}, "hits", -0.5)
	require.NoError(t, err)
	assert.True(t, n.Equal(numberSub(Number(fmt.Sprint(workers*each)+".0"), "0.5")))
}

// numberSub is test arithmetic on Numbers: n - m.
func numberSub(n, m Number) Number {
	a, _ := n.Rat()
	b, _ := m.Rat()
	return Number(a.Sub(a, b).FloatString(10))
}

func TestUpdateItemStrictAndUpsert(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	k := Key{"id": "u"}

	_, err := tbl.UpdateItem(ctx, k, SetValue("a", 1), Strict())
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	ok, err := tbl.HasItem(ctx, k, Consistent())
	require.NoError(t, err)
	assert.False(t, ok, "a strict update creates nothing")

	old, err := tbl.UpdateItem(ctx, k, SetValue("a", 1), Add("tags", StringSet{"x", "y"}), ReturnOld())
	require.NoError(t, err)
	assert.Nil(t, old, "the item did not exist before the upsert")

	it, err := tbl.UpdateItem(ctx, k, Add("a", 2), DeleteFromSet("tags", StringSet{"x"}), SetDefault("d", "dflt"),
		SetValue("m", map[string]any{"in": 1}), Strict(), ReturnNew())
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"id": "u", "a": 3, "tags": StringSet{"y"}, "d": "dflt", "m": map[string]any{"in": 1}}, it)

	it, err = tbl.UpdateItem(ctx, k, SetValue("m.in", 2), SetDefault("d", "ignored"), RemoveAttr("tags"), ReturnNew(),
		If(Expr(expression.Name("a").Equal(expression.Value(3)))))
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"id": "u", "a": 3, "d": "dflt", "m": map[string]any{"in": 2}}, it)

	_, err = tbl.UpdateItem(ctx, k, SetValue("a", 0), If(Expr(expression.Name("a").Equal(expression.Value(4)))))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)

	n, err := tbl.Increment(ctx, k, "m.in", 5)
	require.NoError(t, err)
	assert.Equal(t, Number("7"), n)

	require.NoError(t, tbl.RemoveAttributes(ctx, k, "d", "m", "absent"))
	got, err := tbl.GetItem(ctx, k, Consistent())
	require.NoError(t, err)
	requireSameItem(t, map[string]any{"id": "u", "a": 3}, got)
	err = tbl.RemoveAttributes(ctx, Key{"id": "nobody"}, "a")
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	ok, err = tbl.HasItem(ctx, Key{"id": "nobody"}, Consistent())
	require.NoError(t, err)
	assert.False(t, ok, "RemoveAttributes never creates an item")
}

func TestDeleteItemExpected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "d", "balance": 10, "status": "open"}))
	k := Key{"id": "d"}

	deleted, err := tbl.DeleteItem(ctx, k, Expected(Expr(expression.Name("balance").Equal(expression.Value(0)))))
	require.ErrorIs(t, err, ErrConditionalCheckFailed, "a failed condition is an error, as for every write")
	assert.False(t, deleted)
	ok, err := tbl.HasItem(ctx, k, Consistent())
	require.NoError(t, err)
	assert.True(t, ok, "the item stays")

	deleted, err = tbl.DeleteItem(ctx, k,
		Expected(Expr(expression.Name("balance").Equal(expression.Value(0)))),
		Expected(Expr(expression.Name("status").Equal(expression.Value("open")))))
	require.ErrorIs(t, err, ErrConditionalCheckFailed, "several Expected are ANDed: balance = 0 AND status = open fails")
	assert.False(t, deleted)
	deleted, err = tbl.DeleteItem(ctx, k, Expected(Or(
		Expr(expression.Name("balance").Equal(expression.Value(0))),
		Expr(expression.Name("status").Equal(expression.Value("open"))))))
	require.NoError(t, err)
	assert.True(t, deleted, "Or ORs the conditions")
	ok, err = tbl.HasItem(ctx, k, Consistent())
	require.NoError(t, err)
	assert.False(t, ok)

	deleted, err = tbl.DeleteItem(ctx, k)
	require.NoError(t, err)
	assert.False(t, deleted, "nothing left to delete")

	// Item.Delete with a failing Expected is an error and deletes nothing.
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "e", "balance": 1}))
	it, err := tbl.GetItem(ctx, Key{"id": "e"})
	require.NoError(t, err)
	err = it.Delete(ctx, Expected(Expr(expression.Name("balance").Equal(expression.Value(0)))))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	require.NoError(t, it.Delete(ctx))
	assert.False(t, errors.Is(err, ErrItemNotFound))
}

func TestWriteConditionsWithFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rc requestCounter
	tbl := testTable(t, testConn(t, rc.option), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "f", "balance": 10, "tags": StringSet{"a"}}))
	k := Key{"id": "f"}

	deleted, err := tbl.DeleteItem(ctx, k, Expected(Filter{"balance__eq": 0}))
	require.ErrorIs(t, err, ErrConditionalCheckFailed)
	assert.False(t, deleted)

	_, err = tbl.UpdateItem(ctx, k, Add("balance", -5), If(Filter{"balance__gte": 5, "tags__contains": "a"}))
	require.NoError(t, err)
	_, err = tbl.UpdateItem(ctx, k, Add("balance", -5), If(Filter{"balance__gte": 6}))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)

	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "f", "balance": 0}, Overwrite(), Expected(Filter{"balance__eq": 5})))
	err = tbl.PutItem(ctx, map[string]any{"id": "f", "balance": 1}, Overwrite(), Expected(Filter{"balance__eq": 5}))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)

	deleted, err = tbl.DeleteItem(ctx, k, Expected(AnyOf(Filter{"balance__eq": 1, "missing__null": true})))
	require.NoError(t, err)
	assert.True(t, deleted)

	// A bad filter fails before any request.
	before := rc.total()
	_, err = tbl.DeleteItem(ctx, k, Expected(Filter{"balance__betwen": 1}))
	assert.ErrorIs(t, err, ErrUnknownFilterType)
	_, err = tbl.UpdateItem(ctx, k, SetValue("a", 1), If(Filter{"balance__between": 1}))
	assert.ErrorIs(t, err, ErrInvalidFilter)
	assert.Equal(t, before, rc.total())
}
