package dynamap

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTypedTxMixesWithUntyped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	movies, _, rc := typedOn[typedMovie](t)
	c := movies.Table().Conn()
	notes := testTable(t, c, []KeyField{HashKey("id")})

	kept := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8, Studio: "W"}
	gone := typedMovie{Year: 1972, Title: "The Godfather", Genre: "crime", Rating: 9, Studio: "P"}
	require.NoError(t, movies.Put(ctx, &kept))
	require.NoError(t, movies.Put(ctx, &gone))
	require.NoError(t, notes.PutItem(ctx, map[string]any{"id": "n1", "hits": 1}))

	fresh := typedMovie{Year: 1999, Title: "The Matrix", Genre: "scifi", Rating: 8.7, Studio: "W"}
	before := kept
	after := kept
	after.Rating = 8.3
	txs := rc.count("TransactWriteItems")
	require.NoError(t, TransactWrite(ctx, c,
		movies.TxPut(&fresh),
		movies.TxSaveChanges(&before, &after),
		movies.TxDelete(&gone),
		notes.TxUpdate(Key{"id": "n1"}, Add("hits", 1)),
		notes.TxPut(map[string]any{"id": "n2"}),
	))
	assert.Equal(t, 1, rc.count("TransactWriteItems")-txs, "one transaction")
	assert.Equal(t, int64(1), fresh.Version, "the committed put filled the version")
	assert.False(t, fresh.Created.IsZero())
	assert.Equal(t, int64(2), after.Version, "the committed update filled the version")
	assert.Equal(t, int64(1), before.Version)

	got, err := movies.Get(ctx, Key{"year": 1995, "title": "Heat"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, 8.3, got.Rating)
	assert.Equal(t, int64(2), got.Version)
	assert.True(t, got.Updated.Equal(after.Updated))
	back, err := movies.Get(ctx, Key{"year": 1999, "title": "The Matrix"}, Consistent())
	require.NoError(t, err)
	assertSameMovie(t, fresh, back, "what TxPut left in *v is what a read returns")
	_, err = movies.Get(ctx, Key{"year": 1972, "title": "The Godfather"}, Consistent())
	assert.ErrorIs(t, err, ErrItemNotFound)
	n1, err := notes.GetItem(ctx, Key{"id": "n1"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, Number("2"), n1.Get("hits"))

	// A stale copy cancels the whole transaction; nothing is written and
	// the typed values are left as they were.
	stale := before // version 1, stored is 2
	stale.Studio = "X"
	again := typedMovie{Year: 2014, Title: "Interstellar", Genre: "scifi", Studio: "P"}
	err = TransactWrite(ctx, c, movies.TxPut(&again), movies.TxSaveChanges(&before, &stale), notes.TxDelete(Key{"id": "n2"}))
	var tce *TransactionCanceledError
	require.ErrorAs(t, err, &tce)
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	assert.Equal(t, int64(0), again.Version)
	assert.Equal(t, int64(1), stale.Version)
	_, err = movies.Get(ctx, Key{"year": 2014, "title": "Interstellar"}, Consistent())
	assert.ErrorIs(t, err, ErrItemNotFound)
	ok, err := notes.HasItem(ctx, Key{"id": "n2"}, Consistent())
	require.NoError(t, err)
	assert.True(t, ok)

	// A stale typed delete fails too.
	old := got
	old.Version = 1
	err = TransactWrite(ctx, c, movies.TxDelete(&old))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)

	// A second TxPut of a new movie with a taken key fails.
	dup := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Studio: "W"}
	err = TransactWrite(ctx, c, movies.TxPut(&dup))
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
}

func TestTypedTxSaveChangesErrorsBeforeRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	movies, _, rc := typedOn[typedMovie](t)
	c := movies.Table().Conn()
	m := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8, Studio: "W"}
	require.NoError(t, movies.Put(ctx, &m))
	moved := m
	moved.Year = 1996
	n := rc.total()
	err := TransactWrite(ctx, c, movies.TxSaveChanges(&m, &moved))
	var ke *KeyError
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, "year", ke.Attribute)
	assert.Equal(t, n, rc.total(), "no request")

	// Unchanged: a condition check on the version, nothing written.
	same := m
	require.NoError(t, TransactWrite(ctx, c, movies.TxSaveChanges(&m, &same)))
	got, err := movies.Get(ctx, Key{"year": 1995, "title": "Heat"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, int64(1), got.Version)
	stale := m
	stale.Version = 7
	same = stale
	assert.ErrorIs(t, TransactWrite(ctx, c, movies.TxSaveChanges(&stale, &same)), ErrConditionalCheckFailed)
}

func TestTypedTxGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	movies, _, _ := typedOn[typedMovie](t)
	c := movies.Table().Conn()
	notes := testTable(t, c, []KeyField{HashKey("id")})
	m := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8, Studio: "W", Actors: StringSet{"Pacino"}}
	require.NoError(t, movies.Put(ctx, &m))
	require.NoError(t, notes.PutItem(ctx, map[string]any{"id": "n1", "text": "hi"}))

	var got, missing *typedMovie
	missing = &typedMovie{Title: "left over"}
	items, err := TransactGet(ctx, c,
		movies.TxGet(Key{"year": 1995, "title": "Heat"}, &got),
		notes.TxGet(Key{"id": "n1"}),
		movies.TxGet(Key{"year": 2000, "title": "None"}, &missing),
	)
	require.NoError(t, err)
	require.Len(t, items, 3)
	require.NotNil(t, got)
	assertSameMovie(t, m, *got)
	assert.Nil(t, missing, "no item: nil")
	assert.Nil(t, items[2])
	require.NotNil(t, items[1])
	assert.Equal(t, "hi", items[1].Get("text"))

	// Attributes: the fields not read are zero.
	var part *typedMovie
	_, err = TransactGet(ctx, c, movies.TxGet(Key{"year": 1995, "title": "Heat"}, &part, Attributes("rating")))
	require.NoError(t, err)
	require.NotNil(t, part)
	assert.Equal(t, 8.0, part.Rating)
	assert.Equal(t, "Heat", part.Title, "keys are always read")
	assert.Equal(t, "", part.Genre)

	// A bad key is an error before any request, and *dst stays nil.
	var bad *typedMovie
	_, err = TransactGet(ctx, c, movies.TxGet(Key{"year": "x", "title": "Heat"}, &bad))
	var ke *KeyError
	assert.True(t, errors.As(err, &ke), "%v", err)
	assert.Nil(t, bad)
}

// assertSameMovie compares two movies, their unixtime Expires by instant
// (the codec decodes Unix seconds in time.Local).
func assertSameMovie(t *testing.T, want, got typedMovie, msg ...any) {
	t.Helper()
	assert.True(t, want.Expires.Equal(got.Expires), msg...)
	want.Expires, got.Expires = time.Time{}, time.Time{}
	assert.Equal(t, want, got, msg...)
}
