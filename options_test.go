package dynamap

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNilOptionsAreIgnored passes a nil option, next to a real one, to every
// call that takes options: the nil is skipped (it used to panic in
// NewTable, CreateTable and Table.Update) and the real option still applies.
func TestNilOptionsAreIgnored(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("h")}, nil) // CreateTable
	vt := NewTable(c, tbl.Name(), nil, WithVersion("v"), nil)

	require.NoError(t, vt.PutItem(ctx, map[string]any{"h": "a", "x": 1}, nil))
	require.NoError(t, vt.PutItem(ctx, map[string]any{"h": "a", "x": 2}, nil, Overwrite()))
	got, err := vt.GetItem(ctx, Key{"h": "a"}, nil, Consistent(), Attributes("x", "v"))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"h": "a", "x": Number("2"), "v": Number("1")}, got.Map(),
		"WithVersion and Overwrite applied, Attributes projected")
	ok, err := vt.HasItem(ctx, Key{"h": "b"}, nil, Consistent())
	require.NoError(t, err)
	require.False(t, ok)

	got.Set("x", 3)
	require.NoError(t, got.Save(ctx, nil, Overwrite()))
	upd, err := vt.UpdateItem(ctx, Key{"h": "a"}, nil, SetValue("y", 1), nil, ReturnNew())
	require.NoError(t, err)
	require.Equal(t, Number("3"), upd.Get("x"))

	b := vt.BatchWrite(nil, Concurrency(1))
	require.NoError(t, b.PutItem(ctx, map[string]any{"h": "b"}))
	require.NoError(t, b.Close(ctx))

	items, err := vt.Query(Filter{"h__eq": "a"}, nil, Consistent(), Attributes("y")).Collect(ctx)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, map[string]any{"h": "a", "y": Number("1")}, items[0].Map())
	items, err = vt.Scan(nil, nil, Consistent(), Limit(1)).Collect(ctx)
	require.NoError(t, err)
	require.Len(t, items, 1)
	items, err = vt.BatchGet([]Key{{"h": "a"}, {"h": "b"}}, nil, Consistent(), Attributes("h")).Collect(ctx)
	require.NoError(t, err)
	require.Len(t, items, 2)

	require.NoError(t, TransactWrite(ctx, c, nil,
		vt.TxPut(map[string]any{"h": "c"}, nil, Expected(Filter{"h__null": true})),
		vt.TxUpdate(Key{"h": "b"}, nil, SetValue("y", 2)),
		vt.TxDelete(Key{"h": "a"}, nil, Expected(Filter{"y__eq": 1})),
	))
	txItems, err := TransactGet(ctx, c, vt.TxGet(Key{"h": "b"}, nil, Attributes("y")), vt.TxGet(Key{"h": "a"}, nil))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"h": "b", "y": Number("2")}, txItems[0].Map())
	require.Nil(t, txItems[1], "deleted by TxDelete")

	it, err := vt.GetItem(ctx, Key{"h": "c"}, nil, Consistent())
	require.NoError(t, err)
	require.NoError(t, it.Delete(ctx, nil, Expected(Filter{"h__eq": "c"})))
	deleted, err := vt.DeleteItem(ctx, Key{"h": "b"}, nil, Expected(Filter{"y__eq": 2}))
	require.NoError(t, err)
	require.True(t, deleted)

	require.NoError(t, tbl.Update(ctx, nil, WithThroughput(5, 5), nil))
	require.NoError(t, tbl.WaitActive(ctx))
	tp, err := tbl.Throughput(ctx)
	require.NoError(t, err)
	require.Equal(t, &Throughput{Read: 5, Write: 5}, tp)
}
