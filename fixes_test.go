package dynamap

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

func TestMarshalItemRejectsNonItems(t *testing.T) {
	for _, v := range []any{make(chan int), 42, "text", []int{1}, (*int)(nil)} {
		_, err := marshalItem(v)
		assert.ErrorIs(t, err, ErrInvalidValue, "%T", v)
		var ke *KeyError
		assert.False(t, errors.As(err, &ke), "%T is a value error, not a key error", v)
	}
	type s struct{ A int }
	av, err := marshalItem(&s{A: 1})
	require.NoError(t, err)
	assert.Contains(t, av, "A")
}

func TestSegmentWithZeroTotalIsAnError(t *testing.T) {
	var rc requestCounter
	var api conn.API // nil: any request would panic
	tbl := NewTable(conn.FromClient(api, rc.option), "t", WithSchema(HashKey("id")))
	n := 0
	for _, err := range tbl.Scan(nil, Segment(0, 0)).All(context.Background()) {
		assert.ErrorIs(t, err, ErrQuery)
		n++
	}
	assert.Equal(t, 1, n)
	assert.Zero(t, rc.total())
}

func TestProjectedReadsGivePartialItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")}, WithIndexes(GlobalKeysOnlyIndex("ByKind", HashKey("kind"))))
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "kind": "k", "secret": "keep me"}))

	reads := map[string]func() (*Item, error){
		"query Attributes": func() (*Item, error) {
			items, err := tbl.Query(Filter{"id__eq": "a"}, Attributes("id", "kind")).Collect(ctx)
			return first(items, err)
		},
		"scan Attributes": func() (*Item, error) {
			items, err := tbl.Scan(nil, Attributes("id")).Collect(ctx)
			return first(items, err)
		},
		"keys-only index": func() (*Item, error) {
			items, err := tbl.Query(Filter{"kind__eq": "k"}, Index("ByKind")).Collect(ctx)
			return first(items, err)
		},
		"batch get Attributes": func() (*Item, error) {
			items, err := tbl.BatchGet([]Key{{"id": "a"}}, Attributes("id")).Collect(ctx)
			return first(items, err)
		},
	}
	for name, read := range reads {
		it, err := read()
		require.NoError(t, err, name)
		require.NoError(t, it.Set("note "+name, "x"))
		err = it.Save(ctx)
		assert.ErrorIs(t, err, ErrInvalidValue, "%s: Save of a partial item is refused", name)
		require.NoError(t, it.PartialSave(ctx), name)
	}
	got, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, "keep me", got.Get("secret"), "nothing was dropped")
	for name := range reads {
		assert.Equal(t, "x", got.Get("note "+name), "PartialSave of a partial item writes")
	}

	full, err := tbl.Scan(nil).Collect(ctx)
	require.NoError(t, err)
	require.Len(t, full, 1)
	require.NoError(t, full[0].Set("note", "y"))
	require.NoError(t, full[0].Save(ctx), "items of a full read save normally")
}

func first(items []*Item, err error) (*Item, error) {
	if err != nil {
		return nil, err
	}
	if len(items) != 1 {
		return nil, errors.New("want exactly one item")
	}
	return items[0], nil
}

func TestTxPutChecksAndBumpsVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")}, WithVersion("v"))

	require.NoError(t, TransactWrite(ctx, c, tbl.TxPut(map[string]any{"id": "a", "n": 1})))
	it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	v, _ := it.GetNumber("v")
	assert.Equal(t, Number("1"), v, "a new item starts at version 1")

	err = TransactWrite(ctx, c, tbl.TxPut(map[string]any{"id": "a", "n": 2}))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed, "refuses to clobber")

	stale, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	require.NoError(t, it.Set("n", 3))
	require.NoError(t, TransactWrite(ctx, c, tbl.TxPut(it)), "a loaded item puts like Save")
	require.NoError(t, stale.Set("n", 4))
	err = TransactWrite(ctx, c, tbl.TxPut(stale))
	var tce *TransactionCanceledError
	require.ErrorAs(t, err, &tce, "a stale copy fails")
	assert.Equal(t, "ConditionalCheckFailed", tce.Reasons[0].Code)

	got, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	n, _ := got.GetNumber("n")
	v, _ = got.GetNumber("v")
	assert.Equal(t, Number("3"), n)
	assert.Equal(t, Number("2"), v)
}

func TestNumberRefusesHugeExponentsCheaply(t *testing.T) {
	for _, s := range []string{"1e999999", "1E-5000", "1e", "1e+x"} {
		_, err := Number(s).Rat()
		assert.ErrorIs(t, err, ErrInvalidValue, s)
		_, err = marshalValue(Number(s))
		assert.ErrorIs(t, err, ErrInvalidValue, s)
	}
	for _, s := range []string{"1e125", "-1E-130", "1e+2", "12.5e-3"} {
		_, err := Number(s).Rat()
		assert.NoError(t, err, s)
	}
	assert.True(t, Number("1e999999").Equal("1e999999"), "identical text stays equal")
}

func TestCanonicalNumberFastPathAgreesWithExact(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "-7", "007", "10", "-10", "1.0", "1e1", "12345678901234567890123456789012345678", "-", ""} {
		r, ok := parseDecimal(s)
		want := s
		if ok {
			want = r.RatString()
		}
		assert.Equal(t, want, canonicalNumber(s), s)
	}
}
