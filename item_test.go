package dynamap

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// recordingAPI is a conn.API that records item writes and answers them with
// empty successes; every other call returns an error. It does no I/O.
type recordingAPI struct {
	conn.API // nil: calls not overridden below would panic, none are made

	mu      sync.Mutex
	puts    []*dynamodb.PutItemInput
	updates []*dynamodb.UpdateItemInput
	deletes []*dynamodb.DeleteItemInput
	gets    []*dynamodb.GetItemInput
	getItem map[string]types.AttributeValue
}

func (f *recordingAPI) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts = append(f.puts, in)
	return &dynamodb.PutItemOutput{}, nil
}

func (f *recordingAPI) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, in)
	return &dynamodb.UpdateItemOutput{}, nil
}

func (f *recordingAPI) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes = append(f.deletes, in)
	return &dynamodb.DeleteItemOutput{}, nil
}

func (f *recordingAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, in)
	return &dynamodb.GetItemOutput{Item: f.getItem}, nil
}

func (f *recordingAPI) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return nil, errors.New("recordingAPI: DescribeTable must not be called (fakeTable answers it)")
}

// fakeTable returns a table with a known schema (hash "id" S, optional
// range "n" N) on a recording fake, and a counter of requests as the
// conn's OnRequest sees them.
func fakeTable(t *testing.T, withRange bool, opts ...TableOption) (*Table, *recordingAPI, func() int) {
	t.Helper()
	api := &recordingAPI{}
	var mu sync.Mutex
	n := 0
	schema := []KeyField{HashKey("id")}
	if withRange {
		schema = append(schema, RangeKey("n", N))
	}
	// The declared schema is checked with one DescribeTable, answered
	// here and not counted: n counts item requests.
	c := conn.FromClient(withSchemaOf(api, "fake", schema), func(o *conn.Options) {
		o.OnRequest = func(m conn.Measurement) {
			if m.Op != "DescribeTable" {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}
	})
	tbl := NewTable(c, "fake", append([]TableOption{WithSchema(schema...)}, opts...)...)
	return tbl, api, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func loaded(t *Table, m map[string]any) *Item {
	av, err := marshalMap(m)
	if err != nil {
		panic(err)
	}
	return newLoadedItem(t, av)
}

// exprString expands #names and :values of an expression for assertions.
func exprString(expr *string, names map[string]string, values map[string]types.AttributeValue) string {
	if expr == nil {
		return ""
	}
	s := *expr
	keys := make([]string, 0, len(names)+len(values))
	for k := range names {
		keys = append(keys, k)
	}
	for k := range values {
		keys = append(keys, k)
	}
	// Longest first so #n10 is replaced before #n1.
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		if v, ok := names[k]; ok {
			s = strings.ReplaceAll(s, k, v)
		} else {
			s = strings.ReplaceAll(s, k, itemAVString(values[k]))
		}
	}
	return s
}

func itemAVString(av types.AttributeValue) string {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return `"` + x.Value + `"`
	case *types.AttributeValueMemberN:
		return x.Value
	}
	return avKind(av)
}

func TestDirtyTrackingComparesValues(t *testing.T) {
	t.Parallel()
	tbl, _, _ := fakeTable(t, false)
	it := loaded(tbl, map[string]any{"id": "a", "age": 42, "tags": StringSet{"x", "y"}, "ratio": 0.5})
	assert.False(t, it.NeedsSave())

	require.NoError(t, it.Set("age", 42))
	require.NoError(t, it.Set("age", int8(42)))
	require.NoError(t, it.Set("age", 42.0))
	require.NoError(t, it.Set("age", Number("4.2e1")))
	require.NoError(t, it.Set("tags", StringSet{"y", "x"}))
	require.NoError(t, it.Set("tags", map[string]struct{}{"x": {}, "y": {}}))
	require.NoError(t, it.Set("ratio", float32(0.5)))
	assert.False(t, it.NeedsSave(), "same values in other representations are clean")

	require.NoError(t, it.Set("age", 43))
	assert.True(t, it.NeedsSave())
	require.NoError(t, it.Set("age", uint16(42)))
	assert.False(t, it.NeedsSave(), "setting the loaded value back is clean again")

	it.Remove("ratio")
	assert.True(t, it.NeedsSave())
	require.NoError(t, it.Set("ratio", Number("0.50")))
	assert.False(t, it.NeedsSave())

	require.NoError(t, it.Set("new", nil))
	assert.True(t, it.NeedsSave(), "an added NULL is a change")
	assert.True(t, it.Has("new"))
	assert.Nil(t, it.Get("new"))
	it.MarkClean()
	assert.False(t, it.NeedsSave())
}

func TestSetBadValueStoresNothing(t *testing.T) {
	t.Parallel()
	tbl, _, _ := fakeTable(t, false)
	it := loaded(tbl, map[string]any{"id": "a", "x": 1})
	for _, bad := range []any{make(chan int), StringSet{}, map[string]any{"f": func() {}}, []any{1, complex(1, 2)}} {
		err := it.Set("x", bad)
		var ve *ValueError
		require.ErrorAs(t, err, &ve, "%T", bad)
		assert.ErrorIs(t, err, ErrInvalidValue)
		assert.True(t, strings.HasPrefix(ve.Attribute, "x"), ve.Attribute)
		assert.Equal(t, Number("1"), it.Get("x"), "nothing stored")
	}
	assert.False(t, it.NeedsSave())
	assert.Error(t, it.Set("", 1))
}

func TestNewItemNeedsSaveAndKey(t *testing.T) {
	t.Parallel()
	tbl, _, _ := fakeTable(t, true)
	it, err := tbl.NewItem(map[string]any{"id": "k", "n": 7, "name": "x"})
	require.NoError(t, err)
	assert.True(t, it.NeedsSave())
	assert.False(t, it.Loaded())
	k, err := it.Key()
	require.NoError(t, err)
	assert.Equal(t, Key{"id": "k", "n": Number("7")}, k)
	assert.Equal(t, []string{"id", "n", "name"}, it.Names())
	assert.Equal(t, map[string]any{"id": "k", "n": Number("7"), "name": "x"}, it.Map())
	s, ok := it.GetString("name")
	assert.True(t, ok)
	assert.Equal(t, "x", s)
	num, ok := it.GetNumber("n")
	assert.True(t, ok)
	assert.Equal(t, Number("7"), num)
	_, ok = it.GetNumber("name")
	assert.False(t, ok)

	it.Remove("n")
	_, err = it.Key()
	assert.ErrorIs(t, err, ErrMissingKey)

	empty, err := tbl.NewItem(nil)
	require.NoError(t, err)
	assert.False(t, empty.NeedsSave())

	_, err = tbl.NewItem(map[string]any{"id": make(chan int)})
	assert.ErrorIs(t, err, ErrInvalidValue)

	unknown := NewTable(conn.FromClient(&recordingAPI{}), "nosschema")
	it2, err := unknown.NewItem(map[string]any{"id": "k"})
	require.NoError(t, err)
	_, err = it2.Key()
	assert.ErrorIs(t, err, ErrSchema)
}

func TestPartialSaveSendsOnlyChanges(t *testing.T) {
	t.Parallel()
	tbl, api, requests := fakeTable(t, false)
	ctx := context.Background()
	it := loaded(tbl, map[string]any{"id": "a", "keep": "k", "chg": 1, "gone": "g"})

	require.NoError(t, it.PartialSave(ctx))
	assert.Equal(t, 0, requests(), "a clean item sends nothing")

	require.NoError(t, it.Set("chg", 2))
	require.NoError(t, it.Set("keep", "k")) // same value: not sent
	require.NoError(t, it.Set("add", "new"))
	it.Remove("gone")
	require.NoError(t, it.PartialSave(ctx))
	require.Len(t, api.updates, 1)
	in := api.updates[0]
	assert.Equal(t, "fake", *in.TableName)
	assert.Equal(t, map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "a"}}, in.Key)
	upd := exprString(in.UpdateExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	cnd := exprString(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	assert.Contains(t, upd, `add = "new"`)
	assert.Contains(t, upd, `chg = 2`)
	assert.Contains(t, upd, `REMOVE gone`)
	assert.NotContains(t, upd, "keep")
	assert.Contains(t, cnd, `attribute_not_exists (add)`)
	assert.Contains(t, cnd, `chg = 1`)
	assert.Contains(t, cnd, `gone = "g"`)
	assert.NotContains(t, cnd, "keep")
	assert.False(t, it.NeedsSave(), "clean after a successful save")

	require.NoError(t, it.PartialSave(ctx))
	assert.Equal(t, 1, requests())
}

func TestPartialSaveRefusesKeyChange(t *testing.T) {
	t.Parallel()
	tbl, _, requests := fakeTable(t, true)
	it := loaded(tbl, map[string]any{"id": "a", "n": 1, "x": 1})
	require.NoError(t, it.Set("n", 2))
	err := it.PartialSave(context.Background())
	var ke *KeyError
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, "n", ke.Attribute)
	assert.Equal(t, 0, requests())
}

func TestSaveConditions(t *testing.T) {
	t.Parallel()
	tbl, api, _ := fakeTable(t, false)
	ctx := context.Background()

	fresh, err := tbl.NewItem(map[string]any{"id": "n", "a": 1})
	require.NoError(t, err)
	require.NoError(t, fresh.Save(ctx))
	in := api.puts[0]
	assert.Equal(t, "attribute_not_exists (id)", exprString(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues))
	assert.False(t, fresh.NeedsSave())
	assert.True(t, fresh.Loaded())

	it := loaded(tbl, map[string]any{"id": "a", "x": 1, "y": "old"})
	require.NoError(t, it.Set("y", "new"))
	require.NoError(t, it.Set("z", true))
	require.NoError(t, it.Save(ctx))
	in = api.puts[1]
	cnd := exprString(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	assert.Equal(t, []string{`attribute_not_exists (z`, `id = "a"`, `x = 1`, `y = "old"`}, conjuncts(cnd))
	assert.Len(t, in.Item, 4)

	require.NoError(t, it.Set("y", "newer"))
	require.NoError(t, it.Save(ctx, Overwrite()))
	assert.Nil(t, api.puts[2].ConditionExpression)
}

// conjuncts splits an AND-only condition into its sorted terms, so
// assertions do not depend on how the expression package nests them.
func conjuncts(s string) []string {
	var out []string
	for _, p := range strings.Split(s, " AND ") {
		out = append(out, strings.Trim(p, "() "))
	}
	sort.Strings(out)
	return out
}

func TestVersionedWrites(t *testing.T) {
	t.Parallel()
	tbl, api, _ := fakeTable(t, false, WithVersion("v"))
	ctx := context.Background()

	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "v": 9}))
	assert.Equal(t, &types.AttributeValueMemberN{Value: "1"}, api.puts[0].Item["v"], "a created item starts at 1")

	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "v": 9}, Overwrite()))
	assert.Equal(t, &types.AttributeValueMemberN{Value: "10"}, api.puts[1].Item["v"])
	assert.Nil(t, api.puts[1].ConditionExpression)

	it := loaded(tbl, map[string]any{"id": "a", "v": 4, "x": 1})
	require.NoError(t, it.Set("x", 2))
	require.NoError(t, it.PartialSave(ctx))
	in := api.updates[0]
	cnd := exprString(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	upd := exprString(in.UpdateExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	assert.Contains(t, cnd, "v = 4")
	assert.Contains(t, upd, "v = 5")
	assert.Equal(t, Number("5"), it.Get("v"))
	assert.False(t, it.NeedsSave())

	require.NoError(t, it.Save(ctx))
	assert.Len(t, api.puts, 2, "a clean Save sends nothing")
	require.NoError(t, it.Set("x", 3))
	require.NoError(t, it.Save(ctx))
	in2 := api.puts[2]
	assert.Equal(t, "v = 5", exprString(in2.ConditionExpression, in2.ExpressionAttributeNames, in2.ExpressionAttributeValues), "the version alone is the condition")
	assert.Equal(t, &types.AttributeValueMemberN{Value: "6"}, in2.Item["v"])

	require.NoError(t, it.Delete(ctx))
	d := api.deletes[0]
	assert.Equal(t, "v = 6", exprString(d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues))
	assert.False(t, it.Loaded(), "a deleted item counts as new")

	bad := loaded(tbl, map[string]any{"id": "b", "v": "one"})
	require.NoError(t, bad.Set("x", 1))
	assert.ErrorIs(t, bad.Save(ctx), ErrInvalidValue)
}

func TestKeyErrorsBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	tbl, _, requests := fakeTable(t, true)
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"get missing range", func() error { _, err := tbl.GetItem(ctx, Key{"id": "a"}); return err }, ErrMissingKey},
		{"get wrong type", func() error { _, err := tbl.GetItem(ctx, Key{"id": 1, "n": 1}); return err }, ErrInvalidKey},
		{"get empty", func() error { _, err := tbl.GetItem(ctx, Key{"id": "", "n": 1}); return err }, ErrInvalidKey},
		{"get extra", func() error { _, err := tbl.GetItem(ctx, Key{"id": "a", "n": 1, "x": 1}); return err }, ErrInvalidKey},
		{"has", func() error { _, err := tbl.HasItem(ctx, Key{"n": 1}); return err }, ErrMissingKey},
		{"lookup too many", func() error { _, err := tbl.Lookup(ctx, "a", 1, 2); return err }, ErrInvalidKey},
		{"lookup missing", func() error { _, err := tbl.Lookup(ctx, "a"); return err }, ErrMissingKey},
		{"lookup mistyped", func() error { _, err := tbl.Lookup(ctx, "a", "one"); return err }, ErrInvalidKey},
		{"put missing", func() error { return tbl.PutItem(ctx, map[string]any{"id": "a"}) }, ErrMissingKey},
		{"put null", func() error { return tbl.PutItem(ctx, map[string]any{"id": nil, "n": 1}) }, ErrMissingKey},
		{"put struct", func() error {
			return tbl.PutItem(ctx, struct {
				ID string `dynamodbav:"id"`
				N  int    `dynamodbav:"n"`
			}{N: 1})
		}, ErrInvalidKey},
		{"delete", func() error { _, err := tbl.DeleteItem(ctx, Key{"id": []byte("a"), "n": 1}); return err }, ErrInvalidKey},
		{"update", func() error { _, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("x", 1)); return err }, ErrMissingKey},
		{"update key attr", func() error { _, err := tbl.UpdateItem(ctx, Key{"id": "a", "n": 1}, SetValue("n", 2)); return err }, ErrInvalidKey},
		{"increment", func() error { _, err := tbl.Increment(ctx, Key{"n": 1}, "c", 1); return err }, ErrMissingKey},
		{"remove attrs", func() error { return tbl.RemoveAttributes(ctx, Key{"id": "a", "n": "x"}, "c") }, ErrInvalidKey},
		{"item save", func() error {
			it, _ := tbl.NewItem(map[string]any{"id": "a"})
			return it.Save(ctx)
		}, ErrMissingKey},
		{"item partial save", func() error {
			it, _ := tbl.NewItem(map[string]any{"id": "a", "n": 1})
			it.Remove("id")
			return it.PartialSave(ctx)
		}, ErrMissingKey},
		{"item delete", func() error {
			it, _ := tbl.NewItem(map[string]any{"n": 1})
			return it.Delete(ctx)
		}, ErrMissingKey},
	}
	for _, tc := range cases {
		err := tc.call()
		assert.ErrorIs(t, err, tc.want, tc.name)
		var ke *KeyError
		assert.ErrorAs(t, err, &ke, tc.name)
	}
	assert.Equal(t, 0, requests(), "no request may be sent for a bad key")
}

func TestUpdateActionsValidation(t *testing.T) {
	t.Parallel()
	tbl, api, requests := fakeTable(t, false)
	ctx := context.Background()
	k := Key{"id": "a"}
	for _, acts := range [][]UpdateItemOption{
		nil,
		{Strict()},
		{Add("x", "str")},
		{DeleteFromSet("x", 1)},
		{SetValue("x", make(chan int))},
		{SetValue("", 1)},
	} {
		_, err := tbl.UpdateItem(ctx, k, acts...)
		assert.ErrorIs(t, err, ErrInvalidValue)
	}
	_, err := tbl.Increment(ctx, k, "c", "abc")
	assert.ErrorIs(t, err, ErrInvalidValue)
	assert.Equal(t, 0, requests())

	_, err = tbl.UpdateItem(ctx, k, SetValue("a.b", 1), SetDefault("d", 0), Add("n", 2), Add("tags", StringSet{"t"}),
		RemoveAttr("old"), DeleteFromSet("s", NumberSet{"1"}), Strict(),
		If(Expr(expression.Name("n").LessThan(expression.Value(10)))))
	require.NoError(t, err)
	in := api.updates[0]
	upd := exprString(in.UpdateExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	cnd := exprString(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	assert.Contains(t, upd, "a.b = 1")
	assert.Contains(t, upd, "d = if_not_exists(d, 0)")
	assert.Contains(t, upd, "ADD ")
	assert.Contains(t, upd, "REMOVE old")
	assert.Contains(t, upd, "DELETE s NS")
	assert.Contains(t, cnd, "attribute_exists (id)")
	assert.Contains(t, cnd, "n < 10")
}
