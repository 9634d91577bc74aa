package dynamap

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scannerInput is n lines that differ in every byte position that matters,
// long enough that bufio.Scanner refills (and so reuses) its buffer many
// times.
func scannerInput(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "line-%03d:%s\n", i, strings.Repeat(string(rune('a'+i%26)), 40+i%7))
	}
	return b.Bytes()
}

func scannerLines(n int) []string {
	return strings.Split(strings.TrimSuffix(string(scannerInput(n)), "\n"), "\n")
}

// TestOwnershipBatchFromScanner feeds a BatchTable from bufio.Scanner.Bytes,
// whose buffer the scanner reuses: every item must be stored as it was when
// PutItem returned.
func TestOwnershipBatchFromScanner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	const n = 100
	want := scannerLines(n)

	t.Run("binary attribute", func(t *testing.T) {
		t.Parallel()
		tbl := testTable(t, c, []KeyField{HashKey("id", N)})
		sc := bufio.NewScanner(bytes.NewReader(scannerInput(n)))
		sc.Buffer(make([]byte, 64), 256) // small: refilled (and overwritten) every line or two
		bt := tbl.BatchWrite()
		i := 0
		for sc.Scan() {
			require.NoError(t, bt.PutItem(ctx, map[string]any{"id": i, "line": sc.Bytes(), "set": BinarySet{sc.Bytes()}}))
			i++
		}
		require.NoError(t, sc.Err())
		require.Equal(t, n, i)
		require.NoError(t, bt.Close(ctx))

		keys := make([]Key, n)
		for i := range keys {
			keys[i] = Key{"id": i}
		}
		got := map[int]string{}
		for it, err := range tbl.BatchGet(keys, Consistent()).All(ctx) {
			require.NoError(t, err)
			id, ok := it.GetNumber("id")
			require.True(t, ok)
			k, err := id.Int64()
			require.NoError(t, err)
			line, _ := it.Get("line").([]byte)
			set, _ := it.Get("set").(BinarySet)
			require.Len(t, set, 1)
			assert.Equal(t, string(line), string(set[0]), "item %d: line and set differ", k)
			got[int(k)] = string(line)
		}
		require.Len(t, got, n)
		for i, w := range want {
			assert.Equal(t, w, got[i], "item %d", i)
		}
	})

	t.Run("binary key", func(t *testing.T) {
		t.Parallel()
		tbl := testTable(t, c, []KeyField{HashKey("k", B)})
		sc := bufio.NewScanner(bytes.NewReader(scannerInput(n)))
		sc.Buffer(make([]byte, 64), 256)
		bt := tbl.BatchWrite()
		for sc.Scan() {
			require.NoError(t, bt.PutItem(ctx, map[string]any{"k": sc.Bytes(), "text": sc.Text()}))
		}
		require.NoError(t, sc.Err())
		require.NoError(t, bt.Close(ctx), "every line is a distinct key")

		keys := make([]Key, n)
		for i, w := range want {
			keys[i] = Key{"k": []byte(w)}
		}
		got := 0
		for it, err := range tbl.BatchGet(keys, Consistent()).All(ctx) {
			require.NoError(t, err)
			k, _ := it.Get("k").([]byte)
			text, _ := it.GetString("text")
			assert.Equal(t, text, string(k), "item stored under another line's key")
			got++
		}
		assert.Equal(t, n, got, "items written")
	})
}

// TestOwnershipMutationAfterCall changes the caller's bytes after each call
// that accepted them: what is stored, and what Get returns, must not change.
func TestOwnershipMutationAfterCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id"), RangeKey("bin", B)})
	orig := []byte("original")
	fresh := func() []byte { return slices.Clone(orig) }
	scribble := func(b []byte) { copy(b, "SCRIBBLE") }
	stored := func(t *testing.T, id string) *Item {
		t.Helper()
		it, err := tbl.GetItem(ctx, Key{"id": id, "bin": orig}, Consistent())
		require.NoError(t, err, "item %s under its original key", id)
		return it
	}
	checkPayload := func(t *testing.T, it *Item) {
		t.Helper()
		assert.Equal(t, orig, it.Get("payload"), "B attribute")
		assert.ElementsMatch(t, BinarySet{orig, []byte("other")}, it.Get("set"), "BS attribute")
	}

	t.Run("Table.PutItem", func(t *testing.T) {
		k, p, s := fresh(), fresh(), fresh()
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "put", "bin": k, "payload": p, "set": BinarySet{s, []byte("other")}}))
		scribble(k)
		scribble(p)
		scribble(s)
		checkPayload(t, stored(t, "put"))
	})
	t.Run("NewItem", func(t *testing.T) {
		k, p, s := fresh(), fresh(), fresh()
		it, err := tbl.NewItem(map[string]any{"id": "new", "bin": k, "payload": p, "set": BinarySet{s, []byte("other")}})
		require.NoError(t, err)
		scribble(k)
		scribble(p)
		scribble(s)
		require.NoError(t, it.Save(ctx))
		checkPayload(t, stored(t, "new"))
	})
	t.Run("ItemFrom map of attribute values", func(t *testing.T) {
		k, p, s := fresh(), fresh(), fresh()
		it, err := ItemFrom(tbl, map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: "fromav"}, "bin": &types.AttributeValueMemberB{Value: k},
			"payload": &types.AttributeValueMemberB{Value: p}, "set": &types.AttributeValueMemberBS{Value: [][]byte{s, []byte("other")}},
		})
		require.NoError(t, err)
		scribble(k)
		scribble(p)
		scribble(s)
		require.NoError(t, it.Save(ctx))
		checkPayload(t, stored(t, "fromav"))
	})
	t.Run("ItemFrom struct", func(t *testing.T) {
		type rec struct {
			ID      string    `dynamodbav:"id"`
			Bin     []byte    `dynamodbav:"bin"`
			Payload []byte    `dynamodbav:"payload"`
			Set     BinarySet `dynamodbav:"set"`
		}
		r := rec{ID: "fromstruct", Bin: fresh(), Payload: fresh(), Set: BinarySet{fresh(), []byte("other")}}
		it, err := ItemFrom(tbl, &r)
		require.NoError(t, err)
		scribble(r.Bin)
		scribble(r.Payload)
		scribble(r.Set[0])
		require.NoError(t, it.Save(ctx))
		checkPayload(t, stored(t, "fromstruct"))
	})
	t.Run("Item.Set", func(t *testing.T) {
		it, err := tbl.NewItem(map[string]any{"id": "set"})
		require.NoError(t, err)
		k, p, s := fresh(), fresh(), fresh()
		require.NoError(t, it.Set("bin", k))
		require.NoError(t, it.Set("payload", p))
		require.NoError(t, it.Set("set", BinarySet{s, []byte("other")}))
		scribble(k)
		scribble(p)
		scribble(s)
		key, err := it.Key()
		require.NoError(t, err)
		assert.Equal(t, orig, key["bin"], "Item.Key")
		require.NoError(t, it.Save(ctx))
		checkPayload(t, stored(t, "set"))
	})
	t.Run("Get returns copies", func(t *testing.T) {
		it := stored(t, "put")
		b := it.Get("payload").([]byte)
		scribble(b)
		bs := it.Get("set").(BinarySet)
		scribble(bs[0])
		scribble(bs[1])
		m := it.Map()
		scribble(m["payload"].([]byte))
		key, err := it.Key()
		require.NoError(t, err)
		scribble(key["bin"].([]byte))
		checkPayload(t, it)
		assert.Equal(t, orig, it.Get("bin"))
		assert.False(t, it.NeedsSave(), "changing what Get returned changed the item")
		var out struct {
			Payload []byte    `dynamodbav:"payload"`
			Set     BinarySet `dynamodbav:"set"`
		}
		require.NoError(t, it.Decode(&out))
		scribble(out.Payload)
		scribble(out.Set[0])
		checkPayload(t, it)
	})
	t.Run("BatchGet keys", func(t *testing.T) {
		k := fresh()
		rs := tbl.BatchGet([]Key{{"id": "put", "bin": k}}, Consistent())
		scribble(k)
		n := 0
		for it, err := range rs.All(ctx) {
			require.NoError(t, err)
			checkPayload(t, it)
			n++
		}
		assert.Equal(t, 1, n, "items read by the key as it was when BatchGet returned")
	})
	t.Run("batch put and delete keys", func(t *testing.T) {
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "del", "bin": orig}))
		bt := tbl.BatchWrite()
		k := fresh()
		require.NoError(t, bt.DeleteItem(ctx, Key{"id": "del", "bin": k}))
		scribble(k)
		av := map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: "batchav"}, "bin": &types.AttributeValueMemberB{Value: fresh()},
			"payload": &types.AttributeValueMemberB{Value: fresh()}, "set": &types.AttributeValueMemberBS{Value: [][]byte{fresh(), []byte("other")}},
		}
		require.NoError(t, bt.PutItem(ctx, av))
		scribble(av["bin"].(*types.AttributeValueMemberB).Value)
		scribble(av["payload"].(*types.AttributeValueMemberB).Value)
		scribble(av["set"].(*types.AttributeValueMemberBS).Value[0])
		require.NoError(t, bt.Close(ctx))
		ok, err := tbl.HasItem(ctx, Key{"id": "del", "bin": orig}, Consistent())
		require.NoError(t, err)
		assert.False(t, ok, "the delete went to another key")
		checkPayload(t, stored(t, "batchav"))
	})
}

// numberText is the text of an N, or a description of what av is instead.
func numberText(av types.AttributeValue) string {
	if n, ok := av.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return fmt.Sprintf("not a number: %s %#v", avKind(av), av)
}

// Celsius is a named float32, to check float32 precision through every path.
type Celsius float32

// codecSample is a value whose encoding must not depend on how it came in.
type codecSample struct {
	name string
	v    any
	want types.AttributeValue
}

func codecSamples() []codecSample {
	ss := func(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }
	ns := func(v ...string) types.AttributeValue { return &types.AttributeValueMemberNS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	return []codecSample{
		{"StringSet", StringSet{"b", "a"}, ss("a", "b")},
		{"NumberSet", NumberSet{"2", "1.5"}, ns("1.5", "2")},
		{"BinarySet", BinarySet{{2}, {1}}, &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}}},
		{"map[string]struct{}", map[string]struct{}{"x": {}, "y": {}}, ss("x", "y")},
		{"map[int]struct{}", map[int]struct{}{3: {}, 4: {}}, ns("3", "4")},
		{"named float32", Celsius(0.1), n("0.1")},
		{"float32", float32(0.1), n("0.1")},
		{"*big.Int", big.NewInt(-42), n("-42")},
		{"nil *big.Int", (*big.Int)(nil), &types.AttributeValueMemberNULL{Value: true}},
		{"big.Int", *big.NewInt(7), n("7")},
		{"*big.Float", big.NewFloat(2.5), n("2.5")},
		{"*big.Rat", big.NewRat(1, 4), n("0.25")},
		{"Number", Number("12.50"), n("12.50")},
		{"[]byte", []byte{1, 2}, &types.AttributeValueMemberB{Value: []byte{1, 2}}},
		{"nil StringSet", StringSet(nil), &types.AttributeValueMemberNULL{Value: true}},
	}
}

// encodings returns how v is stored when it comes in as a map value, with
// Item.Set, as a struct field of its own type, as an any struct field, and
// nested in a list, a map and a struct.
func encodings(t *testing.T, tbl *Table, v any) map[string]types.AttributeValue {
	t.Helper()
	out := map[string]types.AttributeValue{}
	m, err := marshalItem(map[string]any{"v": v})
	require.NoError(t, err, "map")
	out["map"] = m["v"]

	it, err := tbl.NewItem(nil)
	require.NoError(t, err)
	require.NoError(t, it.Set("v", v), "Item.Set")
	out["Item.Set"] = it.data["v"]

	st := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "V", Type: reflect.TypeOf(v), Tag: `dynamodbav:"v"`}}))
	st.Elem().Field(0).Set(reflect.ValueOf(v))
	m, err = marshalItem(st.Interface())
	require.NoError(t, err, "typed struct field")
	out["typed field"] = m["v"]

	m, err = marshalItem(struct {
		V any `dynamodbav:"v"`
	}{v})
	require.NoError(t, err, "any field")
	out["any field"] = m["v"]

	m, err = marshalItem(map[string]any{"l": []any{v}, "m": map[string]any{"v": v}})
	require.NoError(t, err, "nested")
	out["in a list"] = m["l"].(*types.AttributeValueMemberL).Value[0]
	out["in a map"] = m["m"].(*types.AttributeValueMemberM).Value["v"]

	m, err = marshalItem(map[string]any{"s": st.Interface()})
	require.NoError(t, err, "nested struct")
	out["in a struct"] = m["s"].(*types.AttributeValueMemberM).Value["v"]
	return out
}

// TestCodecOneEncoding checks that a value stores the same whichever way it
// comes in, and the same as DynamoDB would store it.
func TestCodecOneEncoding(t *testing.T) {
	t.Parallel()
	tbl := NewTable(nil, "codec", WithSchema(HashKey("id")))
	for _, s := range codecSamples() {
		t.Run(s.name, func(t *testing.T) {
			for path, av := range encodings(t, tbl, s.v) {
				assert.Equal(t, avKind(s.want), avKind(av), "%s: stored as %s", path, avKind(av))
				assert.True(t, equalAV(s.want, av), "%s: want %#v, got %#v", path, unmarshalValue(s.want), unmarshalValue(av))
				if _, ok := s.want.(*types.AttributeValueMemberN); ok {
					assert.Equal(t, numberText(s.want), numberText(av), "%s: number text", path)
				}
			}
		})
	}
}

// TestCodecRefusesBeforeRequest checks that what DynamoDB refuses, and
// values with no exact DynamoDB form, fail with ErrInvalidValue through
// every path, and no request is sent.
func TestCodecRefusesBeforeRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &requestCounter{}
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	type withChan struct {
		Name string   `dynamodbav:"name"`
		C    chan int `dynamodbav:"c"`
	}
	bad := []struct {
		name string
		v    any
	}{
		{"39 digits", Number("123456789012345678901234567890123456789")},
		{"1e200 float64", 1e200},
		{"1e-200 float64", 1e-200},
		{"1E+126", Number("1E+126")},
		{"1E-131", Number("1E-131")},
		{"json-like spaces", Number(" 7")},
		{"NumberSet 1 and 1.0", NumberSet{"1", "1.0"}},
		{"NumberSet 39 digits", NumberSet{"123456789012345678901234567890123456789"}},
		{"StringSet twice", StringSet{"a", "a"}},
		{"BinarySet twice", BinarySet{{1}, {1}}},
		{"map set 1 and 1.0", map[Number]struct{}{"1": {}, "1.0": {}}},
		{"empty StringSet", StringSet{}},
		{"*big.Rat 1/3", big.NewRat(1, 3)},
		{"*big.Int 10^40+1", new(big.Int).Add(new(big.Int).Exp(big.NewInt(10), big.NewInt(40), nil), big.NewInt(1))},
		{"struct with a chan", withChan{Name: "x", C: make(chan int)}},
		{"attribute value NS twice", &types.AttributeValueMemberNS{Value: []string{"5", "5.0"}}},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			before := rc.total()
			paths := map[string]error{}
			paths["PutItem map"] = tbl.PutItem(ctx, map[string]any{"id": "x", "v": b.v})
			paths["PutItem nested"] = tbl.PutItem(ctx, map[string]any{"id": "x", "v": []any{map[string]any{"w": b.v}}})
			st := reflect.New(reflect.StructOf([]reflect.StructField{
				{Name: "ID", Type: reflect.TypeOf(""), Tag: `dynamodbav:"id"`},
				{Name: "V", Type: reflect.TypeOf(b.v), Tag: `dynamodbav:"v"`},
			}))
			st.Elem().Field(0).SetString("x")
			st.Elem().Field(1).Set(reflect.ValueOf(b.v))
			paths["PutItem struct"] = tbl.PutItem(ctx, st.Interface())
			it, err := tbl.NewItem(map[string]any{"id": "x"})
			require.NoError(t, err)
			paths["Item.Set"] = it.Set("v", b.v)
			assert.False(t, it.Has("v"), "a refused value is not stored")
			bt := tbl.BatchWrite()
			paths["BatchTable.PutItem"] = bt.PutItem(ctx, map[string]any{"id": "x", "v": b.v})
			require.NoError(t, bt.Close(ctx))
			paths["TxPut"] = TransactWrite(ctx, c, tbl.TxPut(map[string]any{"id": "x", "v": b.v}))
			for path, err := range paths {
				var ve *ValueError
				assert.ErrorIs(t, err, ErrInvalidValue, path)
				assert.ErrorAs(t, err, &ve, path)
			}
			assert.Equal(t, before, rc.total(), "requests sent")
		})
	}
}

// TestCodecSetsRoundTrip stores set-typed struct fields through DynamoDB
// Local and reads them back: they are SS, NS and BS there (what boto3 and
// every other client read as sets), and they decode into every set-shaped
// field type.
func TestCodecSetsRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	type inner struct {
		Tags StringSet `dynamodbav:"tags"`
	}
	type rec struct {
		ID     string              `dynamodbav:"id"`
		Tags   StringSet           `dynamodbav:"tags"`
		Nums   NumberSet           `dynamodbav:"nums"`
		Bins   BinarySet           `dynamodbav:"bins"`
		Words  map[string]struct{} `dynamodbav:"words"`
		Ints   map[int]struct{}    `dynamodbav:"ints"`
		Temp   Celsius             `dynamodbav:"temp"`
		Big    *big.Int            `dynamodbav:"big"`
		Inner  inner               `dynamodbav:"inner"`
		Nested []inner             `dynamodbav:"nested"`
	}
	huge, _ := new(big.Int).SetString("12345678901234567890123456789012345678", 10)
	in := rec{
		ID: "r", Tags: StringSet{"b", "a"}, Nums: NumberSet{"1.5", "-2", "100.25"}, Bins: BinarySet{{1}, {2, 3}},
		Words: map[string]struct{}{"x": {}, "y": {}}, Ints: map[int]struct{}{7: {}, 8: {}}, Temp: 0.1, Big: huge,
		Inner: inner{Tags: StringSet{"i"}}, Nested: []inner{{Tags: StringSet{"n1", "n2"}}},
	}
	require.NoError(t, tbl.PutItem(ctx, &in))

	raw, err := c.API().GetItem(ctx, &dynamodb.GetItemInput{TableName: ptr(tbl.Name()), Key: map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "r"}}, ConsistentRead: ptr(true)})
	require.NoError(t, err)
	for name, kind := range map[string]string{"tags": "SS", "nums": "NS", "bins": "BS", "words": "SS", "ints": "NS", "temp": "N", "big": "N"} {
		assert.Equal(t, kind, avKind(raw.Item[name]), "attribute %s as stored", name)
	}
	assert.Equal(t, "0.1", numberText(raw.Item["temp"]), "a float32 keeps float32 digits")
	assert.Equal(t, huge.String(), numberText(raw.Item["big"]))
	inM, _ := raw.Item["inner"].(*types.AttributeValueMemberM)
	require.NotNil(t, inM, "inner is a map")
	assert.Equal(t, "SS", avKind(inM.Value["tags"]), "a set nested in a struct")
	nested, _ := raw.Item["nested"].(*types.AttributeValueMemberL)
	require.NotNil(t, nested, "nested is a list")
	require.Len(t, nested.Value, 1)
	nestedM, _ := nested.Value[0].(*types.AttributeValueMemberM)
	require.NotNil(t, nestedM, "nested[0] is a map")
	assert.Equal(t, "SS", avKind(nestedM.Value["tags"]), "a set nested in a list")

	got, err := tbl.GetItem(ctx, Key{"id": "r"}, Consistent())
	require.NoError(t, err)
	var out rec
	require.NoError(t, got.Decode(&out))
	assert.ElementsMatch(t, in.Tags, out.Tags)
	assert.ElementsMatch(t, in.Nums, out.Nums)
	assert.ElementsMatch(t, in.Bins, out.Bins)
	assert.Equal(t, in.Words, out.Words)
	assert.Equal(t, in.Ints, out.Ints)
	assert.Equal(t, in.Temp, out.Temp)
	assert.Equal(t, 0, in.Big.Cmp(out.Big))
	assert.ElementsMatch(t, in.Inner.Tags, out.Inner.Tags)
	require.Len(t, out.Nested, 1)
	assert.ElementsMatch(t, in.Nested[0].Tags, out.Nested[0].Tags)

	// The same sets load into plain slices and other set shapes too, with
	// Decode, Items and Collect.
	type plain struct {
		Tags  []string            `dynamodbav:"tags"`
		Nums  []Number            `dynamodbav:"nums"`
		Bins  [][]byte            `dynamodbav:"bins"`
		Words StringSet           `dynamodbav:"words"`
		Ints  []int               `dynamodbav:"ints"`
		TagM  map[string]struct{} `dynamodbav:"tags_again"`
	}
	require.NoError(t, got.Set("tags_again", StringSet{"p", "q"}))
	var p plain
	require.NoError(t, got.Decode(&p))
	assert.ElementsMatch(t, []string{"a", "b"}, p.Tags)
	assert.ElementsMatch(t, []Number{"1.5", "-2", "100.25"}, p.Nums)
	assert.ElementsMatch(t, [][]byte{{1}, {2, 3}}, p.Bins)
	assert.ElementsMatch(t, StringSet{"x", "y"}, p.Words)
	assert.ElementsMatch(t, []int{7, 8}, p.Ints)
	assert.Equal(t, map[string]struct{}{"p": {}, "q": {}}, p.TagM)
	rows, err := Collect[plain](ctx, tbl.Query(Filter{"id__eq": "r"}, Consistent()))
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.ElementsMatch(t, []Number{"1.5", "-2", "100.25"}, rows[0].Nums)
	for r, err := range Items[rec](ctx, tbl.Query(Filter{"id__eq": "r"}, Consistent())) {
		require.NoError(t, err)
		assert.ElementsMatch(t, in.Nums, r.Nums)
		assert.Equal(t, in.Words, r.Words)
	}
}

// TestBatchRefusesOneBadItem checks that one item DynamoDB would refuse is
// refused at PutItem, before any request, while the 24 good items of its
// buffer are all written.
func TestBatchRefusesOneBadItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &requestCounter{}
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")},
		WithGlobalIndexes(GlobalAllIndex("ByG", HashKey("g"), RangeKey("r", N))))
	cases := []struct {
		name    string
		bad     map[string]any
		wantErr error
	}{
		{"39-digit number", map[string]any{"n": Number("123456789012345678901234567890123456789")}, ErrInvalidValue},
		{"1e200", map[string]any{"n": 1e200}, ErrInvalidValue},
		{"NumberSet 1 and 1.0", map[string]any{"ns": NumberSet{"1", "1.0"}}, ErrInvalidValue},
		{"duplicate binaries", map[string]any{"bs": BinarySet{{7, 7}, {7, 7}}}, ErrInvalidValue},
		{"GSI hash key of the wrong type", map[string]any{"g": 12}, ErrInvalidKey},
		{"GSI range key of the wrong type", map[string]any{"g": "grp", "r": "not a number"}, ErrInvalidKey},
		{"empty GSI string key", map[string]any{"g": ""}, ErrInvalidKey},
		{"NULL GSI key", map[string]any{"g": nil}, ErrInvalidKey},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bt := tbl.BatchWrite()
			var keys []Key
			for i := range 25 {
				id := fmt.Sprintf("c%d-%02d", ci, i)
				item := map[string]any{"id": id, "g": "grp", "r": i}
				if i == 10 {
					for k, v := range tc.bad {
						item[k] = v
					}
					before := rc.total()
					err := bt.PutItem(ctx, item)
					require.ErrorIs(t, err, tc.wantErr)
					var ke *KeyError
					var ve *ValueError
					assert.True(t, errors.As(err, &ke) || errors.As(err, &ve), "a typed error: %T", err)
					assert.Equal(t, before, rc.total(), "the bad PutItem sent a request")
					continue
				}
				require.NoError(t, bt.PutItem(ctx, item))
				keys = append(keys, Key{"id": id})
			}
			require.NoError(t, bt.Close(ctx), "Close")
			n := 0
			for _, err := range tbl.BatchGet(keys, Consistent()).All(ctx) {
				require.NoError(t, err)
				n++
			}
			assert.Equal(t, 24, n, "good items written")
		})
	}
}

// TestIndexKeysCheckedOnEveryWrite checks the index-key rule on the other
// whole-item writes: Table.PutItem, Item.Save and TxPut.
func TestIndexKeysCheckedOnEveryWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc := &requestCounter{}
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id"), RangeKey("rk", N)},
		WithGlobalIndexes(GlobalAllIndex("ByG", HashKey("g"))), WithIndexes(AllIndex("ByL", HashKey("id"), RangeKey("l", B))))
	for name, bad := range map[string]map[string]any{
		"GSI key N for S": {"id": "a", "rk": 1, "g": 1},
		"empty GSI key":   {"id": "a", "rk": 1, "g": ""},
		"LSI key S for B": {"id": "a", "rk": 1, "l": "text"},
		"empty LSI key":   {"id": "a", "rk": 1, "l": []byte{}},
	} {
		before := rc.total()
		err := tbl.PutItem(ctx, bad)
		var ke *KeyError
		assert.ErrorAs(t, err, &ke, "%s: PutItem", name)
		assert.ErrorIs(t, err, ErrInvalidKey, "%s: PutItem", name)
		it, err := tbl.NewItem(bad)
		require.NoError(t, err)
		assert.ErrorIs(t, it.Save(ctx), ErrInvalidKey, "%s: Save", name)
		assert.ErrorIs(t, TransactWrite(ctx, c, tbl.TxPut(bad)), ErrInvalidKey, "%s: TxPut", name)
		assert.Equal(t, before, rc.total(), "%s: requests sent", name)
	}
	// Right types are written; an item without index keys is simply not
	// indexed.
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "ok", "rk": 1, "g": "grp", "l": []byte{1}}))
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "noindex", "rk": 1}))
}

// upperString has a value-receiver Marshaler and a pointer Unmarshaler.
type upperString string

func (u upperString) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberS{Value: strings.ToUpper(string(u))}, nil
}

func (u *upperString) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("not a string: %T", av)
	}
	*u = upperString(strings.ToLower(s.Value))
	return nil
}

type tagBase struct {
	Shared string `dynamodbav:"shared"`
	Deep   int
}

type tagSample struct {
	tagBase
	*TagPtrBase
	Name     string            `dynamodbav:"name"`
	Skip     string            `dynamodbav:"-"`
	Empty    string            `dynamodbav:"empty,omitempty"`
	Zero     int               `dynamodbav:",omitempty"`
	NilPtr   *string           `dynamodbav:"nilptr"`
	AsString int               `dynamodbav:"as_string,string"`
	Unix     time.Time         `dynamodbav:"unix,unixtime"`
	When     time.Time         `dynamodbav:"when"`
	Upper    upperString       `dynamodbav:"upper"`
	Ints     []int             `dynamodbav:"ints,numberset"`
	Strs     []string          `dynamodbav:"strs,stringset"`
	Bins     [][]byte          `dynamodbav:"bins,binaryset"`
	NoStrs   []string          `dynamodbav:"nostrs,stringset"`
	NullE    string            `dynamodbav:"nulle,nullempty"`
	Map      map[string]int    `dynamodbav:"map"`
	List     []any             `dynamodbav:"list,omitemptyelem"`
	Arr      [2]byte           `dynamodbav:"arr"`
	unexport string            //nolint:unused // never stored
	Iface    fmt.Stringer      `dynamodbav:"iface"`
	Nested   map[string][]bool `dynamodbav:"nested"`
}

type TagPtrBase struct {
	Via string `dynamodbav:"via"`
}

// TestCodecKeepsAttributevalueTags checks that structs keep attributevalue's
// encoding wherever it stores the value (tags, embedded structs, Marshaler,
// time.Time), by comparing with attributevalue itself, and decode back.
func TestCodecKeepsAttributevalueTags(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.UTC)
	in := tagSample{
		tagBase: tagBase{Shared: "s", Deep: 3}, TagPtrBase: &TagPtrBase{Via: "v"},
		Name: "n", Skip: "skip", AsString: 42, Unix: when, When: when, Upper: "abc",
		Ints: []int{1, 2}, Strs: []string{"x", "y"}, Bins: [][]byte{{1}}, NoStrs: []string{},
		Map: map[string]int{"a": 1}, List: []any{"x", nil, ""}, Arr: [2]byte{4, 5}, unexport: "u",
		Nested: map[string][]bool{"k": {true}},
	}
	sdk, err := attributevalue.MarshalMap(in)
	require.NoError(t, err)
	ours, err := marshalItem(in)
	require.NoError(t, err)
	assert.True(t, equalAVMap(sdk, ours), "sdk:  %#v\nours: %#v", unmarshalValue(&types.AttributeValueMemberM{Value: sdk}), unmarshalValue(&types.AttributeValueMemberM{Value: ours}))
	for _, name := range []string{"Skip", "-", "empty", "Zero", "unexport"} {
		assert.NotContains(t, ours, name)
	}
	assert.Equal(t, &types.AttributeValueMemberS{Value: "42"}, ours["as_string"])

	it := newLoadedItem(NewTable(nil, "t"), ours)
	var out tagSample
	require.NoError(t, it.Decode(&out))
	assert.Equal(t, "s", out.Shared)
	assert.Equal(t, 3, out.Deep)
	require.NotNil(t, out.TagPtrBase)
	assert.Equal(t, "v", out.Via)
	assert.Equal(t, 42, out.AsString)
	assert.Equal(t, when.Unix(), out.Unix.Unix())
	assert.True(t, when.Truncate(time.Second).Equal(out.When.Truncate(time.Second)))
	assert.Equal(t, upperString("abc"), out.Upper)
	assert.ElementsMatch(t, in.Ints, out.Ints)
	assert.ElementsMatch(t, in.Strs, out.Strs)
	assert.Equal(t, in.Bins, out.Bins)
	assert.Equal(t, in.Map, out.Map)
	assert.Equal(t, in.Arr, out.Arr)
	assert.Equal(t, in.Nested, out.Nested)
	assert.Empty(t, out.Skip)
}
