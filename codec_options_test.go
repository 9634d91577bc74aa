package dynamap

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// jsEvent is stored by a table WithCodec(TagKey "json"): its json tags name
// the attributes, and its times are Unix seconds (EncodeTime).
type jsEvent struct {
	PK    string    `json:"pk"`
	At    time.Time `json:"at"`
	Title string    `json:"title"`
	Where jsPlace   `json:"where"`
	Note  string    `json:"-"`
}

type jsPlace struct {
	City string `json:"city"`
}

// unixCodec is the codec of the json tables: json tags, times as N Unix
// seconds (read back by the default DecodeTime.N).
var unixCodec = CodecOptions{
	TagKey: "json",
	EncodeTime: func(t time.Time) (types.AttributeValue, error) {
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}, nil
	},
}

// rawItem reads an item with the SDK client, past dynamap's codec.
func rawItem(t *testing.T, c *conn.Conn, tbl *Table, key map[string]types.AttributeValue) map[string]types.AttributeValue {
	t.Helper()
	out, err := c.API().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: ptr(tbl.Name()), Key: key, ConsistentRead: ptr(true)})
	require.NoError(t, err)
	require.NotNil(t, out.Item, "no item at %v", key)
	return out.Item
}

func nAV(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func sAV(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func requireEvent(t *testing.T, want, got jsEvent) {
	t.Helper()
	require.Equal(t, want.PK, got.PK)
	require.True(t, want.At.Equal(got.At), "at: want %v, got %v", want.At, got.At)
	require.Equal(t, want.Title, got.Title)
	require.Equal(t, want.Where, got.Where)
	require.Empty(t, got.Note)
}

// Every path of a table WithCodec encodes and decodes with its codec:
// struct puts (PutItem, BatchTable.PutItem, TxPut), keys (GetItem, BatchGet,
// Query's key condition), Item.Set and Decode, Filter and Condition values
// (Where, TxCheck, Expected), update values (UpdateItem, TxUpdate),
// Increment, Collect/First, and ConditionFailedError.Item.
func TestWithCodecEveryPath(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("pk"), RangeKey("at", N)}, WithCodec(unixCodec))
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	ev := func(i int, city string) jsEvent {
		return jsEvent{PK: "p", At: base.Add(time.Duration(i) * time.Hour), Title: "t" + strconv.Itoa(i), Where: jsPlace{city}, Note: "not stored"}
	}
	rawKey := func(e jsEvent) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": sAV("p"), "at": nAV(e.At.Unix())}
	}

	// PutItem of a struct: json names, Unix seconds, nothing under Go names.
	e1 := ev(1, "Oslo")
	require.NoError(t, tbl.PutItem(ctx, &e1))
	raw := rawItem(t, c, tbl, rawKey(e1))
	require.Equal(t, nAV(e1.At.Unix()), raw["at"])
	require.Equal(t, sAV("t1"), raw["title"])
	require.Equal(t, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"city": sAV("Oslo")}}, raw["where"])
	for _, goName := range []string{"PK", "At", "Title", "Where", "Note"} {
		require.NotContains(t, raw, goName)
	}

	// GetItem with a time key value, Item.Decode.
	it, err := tbl.GetItem(ctx, Key{"pk": "p", "at": e1.At}, Consistent())
	require.NoError(t, err)
	var got jsEvent
	require.NoError(t, it.Decode(&got))
	requireEvent(t, e1, got)

	// Item.Set of a time and of a struct, then PartialSave.
	seen := base.Add(100 * time.Hour)
	require.NoError(t, it.Set("seen", seen))
	require.NoError(t, it.Set("where", jsPlace{"Bergen"}))
	require.NoError(t, it.PartialSave(ctx))
	raw = rawItem(t, c, tbl, rawKey(e1))
	require.Equal(t, nAV(seen.Unix()), raw["seen"])
	require.Equal(t, sAV("Bergen"), raw["where"].(*types.AttributeValueMemberM).Value["city"])

	// BatchTable.PutItem of structs, BatchGet with time keys, Collect.
	e2, e3 := ev(2, "Rome"), ev(3, "Rome")
	b := tbl.BatchWrite()
	require.NoError(t, b.PutItem(ctx, e2))
	require.NoError(t, b.PutItem(ctx, &e3))
	require.NoError(t, b.Close(ctx))
	require.Equal(t, sAV("Rome"), rawItem(t, c, tbl, rawKey(e3))["where"].(*types.AttributeValueMemberM).Value["city"])
	batch, err := Collect[jsEvent](ctx, tbl.BatchGet([]Key{{"pk": "p", "at": e2.At}, {"pk": "p", "at": e3.At}}, Consistent()))
	require.NoError(t, err)
	require.Len(t, batch, 2)
	for _, g := range batch {
		if g.At.Equal(e2.At) {
			requireEvent(t, e2, g)
		} else {
			requireEvent(t, e3, g)
		}
	}

	// TxPut of a struct; TxCheck on a struct value and TxUpdate of one.
	e4 := ev(4, "Lima")
	require.NoError(t, TransactWrite(ctx, c, tbl.TxPut(e4)))
	require.Equal(t, nAV(e4.At.Unix()), rawItem(t, c, tbl, rawKey(e4))["at"])
	k4 := Key{"pk": "p", "at": e4.At}
	require.NoError(t, TransactWrite(ctx, c,
		tbl.TxCheck(k4, Filter{"where__eq": jsPlace{"Lima"}, "at__eq": e4.At}),
		tbl.TxUpdate(Key{"pk": "p", "at": e3.At}, SetValue("where", jsPlace{"Quito"}), SetValue("when", seen))))
	raw = rawItem(t, c, tbl, rawKey(e3))
	require.Equal(t, sAV("Quito"), raw["where"].(*types.AttributeValueMemberM).Value["city"])
	require.Equal(t, nAV(seen.Unix()), raw["when"])
	err = TransactWrite(ctx, c, tbl.TxCheck(k4, Filter{"where__eq": jsPlace{"Oslo"}}))
	require.True(t, IsConditionFailed(err), "TxCheck on another place: %v", err)

	// Query: a time in the key condition, a struct and a time in Where.
	rs := tbl.Query(Filter{"pk__eq": "p", "at__gte": e2.At}, Where(Filter{"where__eq": jsPlace{"Rome"}}), Consistent())
	found, err := Collect[jsEvent](ctx, rs)
	require.NoError(t, err)
	require.Len(t, found, 1)
	requireEvent(t, e2, found[0])
	first, err := First[jsEvent](ctx, tbl.Query(Filter{"pk__eq": "p", "at__between": []time.Time{e3.At, e4.At}}, Consistent()))
	require.NoError(t, err)
	require.True(t, first.At.Equal(e3.At))
	n, err := tbl.Scan(Filter{"at__lt": e2.At}, Consistent()).Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	n, err = tbl.Scan(Filter{"when__eq": seen}, Consistent()).Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	// UpdateItem of a struct value, returned item decoded; Increment.
	upd, err := tbl.UpdateItem(ctx, k4, SetValue("where", jsPlace{"Paris"}), If(Filter{"at__eq": e4.At}), ReturnNew())
	require.NoError(t, err)
	require.NoError(t, upd.Decode(&got))
	require.Equal(t, jsPlace{"Paris"}, got.Where)
	cnt, err := tbl.Increment(ctx, k4, "count", 2)
	require.NoError(t, err)
	require.Equal(t, Number("2"), cnt)

	// A failed condition: ConditionFailedError.Item decodes with the codec;
	// Expected's struct value is encoded with it.
	err = tbl.PutItem(ctx, e1, Overwrite(), Expected(Filter{"where__eq": jsPlace{"Oslo"}}))
	var cf *ConditionFailedError
	require.ErrorAs(t, err, &cf)
	require.NotNil(t, cf.Item)
	require.NoError(t, cf.Item.Decode(&got))
	require.Equal(t, jsPlace{"Bergen"}, got.Where)
	require.NoError(t, tbl.PutItem(ctx, e1, Overwrite(), Expected(Filter{"where__eq": jsPlace{"Bergen"}})))
}

// A Filter value frozen before the call (Where, And) is encoded with the
// table's codec when the call runs, from a copy made when it was frozen.
func TestWithCodecFrozenFilterValue(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("pk")}, WithCodec(unixCodec))
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"pk": "a", "where": map[string]any{"city": "Oslo"}}))
	place := &jsPlace{"Oslo"}
	where := Where(And(Filter{"where__eq": place}))
	place.City = "Rome" // after freezing: not seen
	n, err := tbl.Scan(nil, where, Consistent()).Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}

// twoTags names its attributes differently under dynamodbav and json.
type twoTags struct {
	PK    string `dynamodbav:"pk" json:"pk"`
	Title string `dynamodbav:"title_d" json:"title_j"`
}

// Two tables with different codecs, used at once with one struct type,
// each store their own names (the struct cache is per codec).
func TestWithCodecTablesDoNotInterfere(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	plain := testTable(t, c, []KeyField{HashKey("pk")})
	js := testTable(t, c, []KeyField{HashKey("pk")}, WithCodec(CodecOptions{TagKey: "json"}))
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tbl := plain
			if i%2 == 1 {
				tbl = js
			}
			errs <- tbl.PutItem(ctx, twoTags{PK: strconv.Itoa(i), Title: "x"})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i := range 20 {
		tbl, want, not := plain, "title_d", "title_j"
		if i%2 == 1 {
			tbl, want, not = js, "title_j", "title_d"
		}
		raw := rawItem(t, c, tbl, map[string]types.AttributeValue{"pk": sAV(strconv.Itoa(i))})
		require.Contains(t, raw, want)
		require.NotContains(t, raw, not)
		it, err := tbl.GetItem(ctx, Key{"pk": strconv.Itoa(i)})
		require.NoError(t, err)
		var back twoTags
		require.NoError(t, it.Decode(&back))
		require.Equal(t, "x", back.Title)
	}
}

// tagID is a key type with MarshalText/UnmarshalText (hex).
type tagID [3]byte

func (id tagID) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(id[:])), nil }
func (id *tagID) UnmarshalText(b []byte) error {
	_, err := hex.Decode(id[:], b)
	return err
}

// Key values go through the table's codec: with UseEncodingMarshalers a
// TextMarshaler is an S key; without, the same value is a binary, refused
// for an S key before any request.
func TestWithCodecEncodingMarshalerKeys(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	type rec struct {
		ID   tagID `dynamodbav:"id"`
		Name string
	}
	tbl := testTable(t, c, []KeyField{HashKey("id")}, WithCodec(CodecOptions{UseEncodingMarshalers: true, UseEncodingUnmarshalers: true}))
	id := tagID{0xab, 0xcd, 0xef}
	require.NoError(t, tbl.PutItem(ctx, rec{ID: id, Name: "n"}))
	require.Equal(t, sAV("abcdef"), rawItem(t, c, tbl, map[string]types.AttributeValue{"id": sAV("abcdef")})["id"])
	it, err := tbl.GetItem(ctx, Key{"id": id})
	require.NoError(t, err)
	var back rec
	require.NoError(t, it.Decode(&back))
	require.Equal(t, rec{ID: id, Name: "n"}, back)

	plain := NewTable(c, tbl.Name())
	before, gets := rc.total(), rc.count("GetItem")
	_, err = plain.GetItem(ctx, Key{"id": id})
	var ke *KeyError
	require.ErrorAs(t, err, &ke)
	require.Equal(t, "id", ke.Attribute)
	require.Equal(t, 1, rc.total()-before, "only DescribeTable: %v", rc.ops)
	require.Equal(t, gets, rc.count("GetItem"))
	require.False(t, errors.Is(err, ErrItemNotFound))
}

// WithCodec fits NewTable and CreateTable only: Update cannot change a
// Table's codec.
func TestWithCodecIsATableOption(t *testing.T) {
	require.Empty(t, typeCheckUser(t, `dynamap.NewTable(c, "t", dynamap.WithCodec(dynamap.CodecOptions{TagKey: "json"}))`))
	errs := typeCheckUser(t, `t.Update(ctx, dynamap.WithCodec(dynamap.CodecOptions{}))`)
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "does not implement dynamap.UpdateOption (missing method applyUpdate)")
}
