package dynamap

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"
)

// storedOnFailure returns the item DynamoDB sent back with a failed
// condition (ReturnValuesOnConditionCheckFailure=ALL_OLD), as the SDK's
// exception carries it, and checks that the *ConditionFailedError holds the
// same item as an *Item of tbl.
func storedOnFailure(t *testing.T, tbl *Table, err error) map[string]types.AttributeValue {
	t.Helper()
	require.ErrorIs(t, err, ErrConditionalCheckFailed)
	var ccf *types.ConditionalCheckFailedException
	require.ErrorAs(t, err, &ccf)
	var cf *ConditionFailedError
	require.ErrorAs(t, err, &cf)
	require.Equal(t, tbl.Name(), cf.Table)
	require.NotNil(t, cf.Item)
	require.Same(t, tbl, cf.Item.Table())
	require.Equal(t, ccf.Item, cf.Item.avMap())
	var inner *types.ConditionalCheckFailedException
	require.ErrorAs(t, cf.Err, &inner)
	require.Same(t, ccf, inner)
	return ccf.Item
}

// Every single-item write whose condition fails asks DynamoDB for the item
// that made it fail: the SDK exception holds it (DynamoDB Local 2.x+ and
// AWS honour ReturnValuesOnConditionCheckFailure).
func TestConditionFailureReturnsStoredItem(t *testing.T) {
	ctx := context.Background()
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "v": 1}))

	t.Run("PutItem", func(t *testing.T) {
		err := tbl.PutItem(ctx, map[string]any{"id": "a", "v": 2})
		require.Equal(t, &types.AttributeValueMemberN{Value: "1"}, storedOnFailure(t, tbl, err)["v"])
	})
	t.Run("UpdateItem", func(t *testing.T) {
		_, err := tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("v", 3), If(Filter{"v__eq": 0}))
		require.Equal(t, &types.AttributeValueMemberN{Value: "1"}, storedOnFailure(t, tbl, err)["v"])
	})
	t.Run("DeleteItem", func(t *testing.T) {
		_, err := tbl.DeleteItem(ctx, Key{"id": "a"}, Expected(Filter{"v__eq": 0}))
		require.Equal(t, &types.AttributeValueMemberN{Value: "1"}, storedOnFailure(t, tbl, err)["v"])
	})
	t.Run("Save", func(t *testing.T) {
		it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
		require.NoError(t, err)
		_, err = tbl.UpdateItem(ctx, Key{"id": "a"}, SetValue("v", 5))
		require.NoError(t, err)
		require.NoError(t, it.Set("v", 6))
		err = it.Save(ctx)
		require.Equal(t, &types.AttributeValueMemberN{Value: "5"}, storedOnFailure(t, tbl, err)["v"])
		err = it.PartialSave(ctx)
		require.Equal(t, &types.AttributeValueMemberN{Value: "5"}, storedOnFailure(t, tbl, err)["v"])
		err = it.Delete(ctx, Expected(Filter{"v__eq": 0}))
		require.Equal(t, &types.AttributeValueMemberN{Value: "5"}, storedOnFailure(t, tbl, err)["v"])
	})
	t.Run("TransactWrite", func(t *testing.T) {
		for _, op := range []TxOp{
			tbl.TxPut(map[string]any{"id": "a", "v": 2}),
			tbl.TxUpdate(Key{"id": "a"}, SetValue("v", 2), If(Filter{"v__eq": 0})),
			tbl.TxDelete(Key{"id": "a"}, Expected(Filter{"v__eq": 0})),
			tbl.TxCheck(Key{"id": "a"}, Filter{"v__eq": 0}),
		} {
			err := TransactWrite(ctx, c, op)
			require.ErrorIs(t, err, ErrConditionalCheckFailed)
			var te *TransactionCanceledError
			require.ErrorAs(t, err, &te)
			require.Len(t, te.Reasons, 1)
			require.Equal(t, &types.AttributeValueMemberN{Value: "5"}, te.Reasons[0].Item["v"])
		}
	})

	t.Run("no item", func(t *testing.T) {
		_, err := tbl.UpdateItem(ctx, Key{"id": "none"}, SetValue("v", 1), Strict())
		var cf *ConditionFailedError
		require.ErrorAs(t, err, &cf)
		require.Nil(t, cf.Item, "no item had the key")
		require.Equal(t, tbl.Name(), cf.Table)
	})
}

// OldItem returns the item a PutItem, Save, DeleteItem or Item.Delete
// replaced or deleted (ReturnValues ALL_OLD), nil when there was none; the
// destination is reset when the call starts.
func TestOldItem(t *testing.T) {
	ctx := context.Background()
	var rc requestCounter
	c := testConn(t, rc.option)
	tbl := testTable(t, c, []KeyField{HashKey("id")})

	stale := &Item{}
	old := stale
	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "v": 1}, OldItem(&old)))
	require.Nil(t, old, "nothing was replaced")

	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a", "v": 2}, Overwrite(), OldItem(&old)))
	require.NotNil(t, old)
	require.Equal(t, Number("1"), old.Get("v"))
	require.True(t, old.Loaded())
	require.Same(t, tbl, old.Table())

	it, err := tbl.GetItem(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	require.NoError(t, it.Set("v", 3))
	require.NoError(t, it.Save(ctx, OldItem(&old)))
	require.Equal(t, Number("2"), old.Get("v"))

	old = stale
	before := rc.total()
	require.NoError(t, it.Save(ctx, OldItem(&old)), "nothing to save")
	require.Nil(t, old, "reset when the call starts")
	require.Equal(t, before, rc.total(), "a clean Save sends nothing")

	err = tbl.PutItem(ctx, map[string]any{"id": "a", "v": 9}, OldItem(&old))
	require.ErrorIs(t, err, ErrConditionalCheckFailed)
	require.Nil(t, old, "a failed write returns no old item")

	deleted, err := tbl.DeleteItem(ctx, Key{"id": "a"}, OldItem(&old))
	require.NoError(t, err)
	require.True(t, deleted)
	require.Equal(t, Number("3"), old.Get("v"))
	deleted, err = tbl.DeleteItem(ctx, Key{"id": "a"}, OldItem(&old))
	require.NoError(t, err)
	require.False(t, deleted)
	require.Nil(t, old)

	require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "b", "v": 7}))
	it, err = tbl.GetItem(ctx, Key{"id": "b"}, Consistent())
	require.NoError(t, err)
	require.NoError(t, it.Delete(ctx, OldItem(&old)))
	require.Equal(t, Number("7"), old.Get("v"))

	// The returned item is the caller's: changing it changes nothing else.
	require.NoError(t, old.Set("v", 8))
	require.Equal(t, Number("7"), it.Get("v"))
}

// When an item's loaded values exceed one condition expression, Save checks
// the rest with a consistent read first; a change found there is the same
// *ConditionFailedError, holding the item that read found (Err nil: DynamoDB
// did not evaluate it).
func TestOwnConditionCheckCarriesStoredItem(t *testing.T) {
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	require.NoError(t, tbl.PutItem(ctx, wideItem("w", 1000, 1)))
	it, err := tbl.GetItem(ctx, Key{"id": "w"}, Consistent())
	require.NoError(t, err)
	_, err = tbl.UpdateItem(ctx, Key{"id": "w"}, SetValue("attr0999", "theirs"))
	require.NoError(t, err)
	require.NoError(t, it.Set("attr0000", "mine"))

	err = it.Save(ctx)
	require.ErrorIs(t, err, ErrConditionalCheckFailed)
	var cf *ConditionFailedError
	require.ErrorAs(t, err, &cf)
	require.Nil(t, cf.Err)
	require.Contains(t, cf.Reason, "attr0999")
	require.Equal(t, tbl.Name(), cf.Table)
	require.NotNil(t, cf.Item)
	require.Equal(t, "theirs", cf.Item.Get("attr0999"))
	require.Equal(t, Number("1"), cf.Item.Get("attr0000"))
}
