package dynamap

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

func TestTransactWriteCommitsAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	accounts := testTable(t, c, []KeyField{HashKey("id")})
	ledger := testTable(t, c, batchSchema)
	require.NoError(t, accounts.PutItem(ctx, map[string]any{"id": "alice", "balance": 100}))
	require.NoError(t, accounts.PutItem(ctx, map[string]any{"id": "bob", "balance": 5}))
	require.NoError(t, accounts.PutItem(ctx, map[string]any{"id": "closed", "status": "closed"}))

	// A transfer that commits.
	err := TransactWrite(ctx, c,
		accounts.TxUpdate(Key{"id": "alice"}, Add("balance", -30), If(Filter{"balance__gte": 30})),
		accounts.TxUpdate(Key{"id": "bob"}, Add("balance", 30)),
		ledger.TxPut(map[string]any{"pk": "tx", "n": 1, "from": "alice", "to": "bob", "amount": 30}),
		accounts.TxDelete(Key{"id": "closed"}, Expected(Filter{"status__eq": "closed"})),
		IdempotencyToken("transfer-1"),
	)
	require.NoError(t, err)
	items, err := TransactGet(ctx, c,
		accounts.TxGet(Key{"id": "alice"}),
		accounts.TxGet(Key{"id": "closed"}),
		ledger.TxGet(Key{"pk": "tx", "n": 1}, Attributes("amount")),
		accounts.TxGet(Key{"id": "bob"}),
	)
	require.NoError(t, err)
	require.Len(t, items, 4)
	assert.Equal(t, Number("70"), items[0].Get("balance"))
	assert.Nil(t, items[1], "deleted: nil in its place")
	assert.Equal(t, Number("30"), items[2].Get("amount"))
	assert.Nil(t, items[2].Get("from"), "projection")
	assert.Equal(t, Number("35"), items[3].Get("balance"))

	// A transfer whose check fails writes nothing.
	err = TransactWrite(ctx, c,
		accounts.TxUpdate(Key{"id": "alice"}, Add("balance", 1000)),
		ledger.TxPut(map[string]any{"pk": "tx", "n": 2}),
		accounts.TxCheck(Key{"id": "bob"}, Filter{"balance__gte": 1000}),
	)
	var tce *TransactionCanceledError
	require.ErrorAs(t, err, &tce)
	assert.ErrorIs(t, err, ErrTransactionCanceled)
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	assert.True(t, IsConditionFailed(err))
	var sdk *types.TransactionCanceledException
	assert.ErrorAs(t, err, &sdk)
	require.Len(t, tce.Reasons, 3)
	assert.Equal(t, "None", tce.Reasons[0].Code)
	assert.Equal(t, "None", tce.Reasons[1].Code)
	assert.Equal(t, "ConditionalCheckFailed", tce.Reasons[2].Code)
	assert.Equal(t, 2, tce.Reasons[2].Index)

	items, err = TransactGet(ctx, c, accounts.TxGet(Key{"id": "alice"}), ledger.TxGet(Key{"pk": "tx", "n": 2}))
	require.NoError(t, err)
	assert.Equal(t, Number("70"), items[0].Get("balance"), "not changed")
	assert.Nil(t, items[1], "not written")

	// TxPut refuses to clobber unless Overwrite.
	err = TransactWrite(ctx, c, ledger.TxPut(map[string]any{"pk": "tx", "n": 1, "amount": 0}))
	require.ErrorAs(t, err, &tce)
	assert.Equal(t, "ConditionalCheckFailed", tce.Reasons[0].Code)
	require.NoError(t, TransactWrite(ctx, c, ledger.TxPut(map[string]any{"pk": "tx", "n": 1, "amount": 0}, Overwrite())))
}

// noCallsAPI panics on any call: its embedded API is nil.
type noCallsAPI struct{ conn.API }

func TestTransactWriteRejectsBadInputBeforeRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	usersKeys, ordersKeys := []KeyField{HashKey("id")}, []KeyField{HashKey("id"), RangeKey("n", N)}
	c := conn.FromClient(withTables(noCallsAPI{}, describedAs("users", usersKeys), describedAs("orders", ordersKeys)))
	users := NewTable(c, "users", WithSchema(usersKeys...))
	orders := NewTable(c, "orders", WithSchema(ordersKeys...))

	var many []TxOp
	for i := range 101 {
		many = append(many, users.TxPut(map[string]any{"id": fmt.Sprint(i)}))
	}
	cases := map[string]struct {
		ops  []TxOp
		want error
	}{
		"none":            {nil, ErrInvalidValue},
		"too many":        {many, ErrInvalidValue},
		"missing key":     {[]TxOp{users.TxPut(map[string]any{"name": "x"})}, ErrMissingKey},
		"bad key type":    {[]TxOp{orders.TxDelete(Key{"id": "a", "n": "x"})}, ErrInvalidKey},
		"bad filter":      {[]TxOp{users.TxCheck(Key{"id": "a"}, Filter{"age__nope": 1})}, ErrUnknownFilterType},
		"no check cnd":    {[]TxOp{users.TxCheck(Key{"id": "a"}, nil)}, ErrInvalidFilter},
		"empty update":    {[]TxOp{users.TxUpdate(Key{"id": "a"})}, ErrInvalidValue},
		"update key attr": {[]TxOp{users.TxUpdate(Key{"id": "a"}, SetValue("id", "b"))}, ErrInvalidKey},
		"same item twice": {[]TxOp{users.TxPut(map[string]any{"id": "a"}), users.TxDelete(Key{"id": "a"})}, ErrInvalidValue},
		"bad token":       {[]TxOp{users.TxDelete(Key{"id": "a"}), IdempotencyToken("")}, ErrInvalidValue},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := TransactWrite(ctx, c, tc.ops...)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
		})
	}
	// The same item in two tables is fine up to the request (which would panic here).
	assert.Panics(t, func() {
		_ = TransactWrite(ctx, c, users.TxDelete(Key{"id": "a"}), orders.TxDelete(Key{"id": "a", "n": 1}))
	})

	var gets []TxGetOp
	for i := range 101 {
		gets = append(gets, users.TxGet(Key{"id": fmt.Sprint(i)}))
	}
	_, err := TransactGet(ctx, c, gets...)
	assert.ErrorIs(t, err, ErrInvalidValue)
	_, err = TransactGet(ctx, c, users.TxGet(Key{"id": 1}))
	assert.ErrorIs(t, err, ErrInvalidKey)
	items, err := TransactGet(ctx, c)
	assert.NoError(t, err)
	assert.Empty(t, items)
}

func TestTransactGetOrderWithMissingItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	tb := testTable(t, c, batchSchema)
	loadItems(t, tb, 3)
	items, err := TransactGet(ctx, c, tb.TxGet(keyFor(2)), tb.TxGet(keyFor(99)), tb.TxGet(keyFor(0)), tb.TxGet(keyFor(1)))
	require.NoError(t, err)
	require.Len(t, items, 4)
	assert.Equal(t, Number("2"), items[0].Get("n"))
	assert.Nil(t, items[1])
	assert.Equal(t, Number("0"), items[2].Get("n"))
	assert.Equal(t, Number("1"), items[3].Get("n"))
	// A loaded item saves like any other.
	items[0].Set("payload", "changed")
	require.NoError(t, items[0].Save(ctx))
}

func TestTransactWriteIdempotencyToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConn(t)
	tb := testTable(t, c, []KeyField{HashKey("id")})
	require.NoError(t, tb.PutItem(ctx, map[string]any{"id": "n", "count": 0}))
	inc := func() error {
		return TransactWrite(ctx, c, tb.TxUpdate(Key{"id": "n"}, Add("count", 1)), IdempotencyToken("same-token"))
	}
	require.NoError(t, inc())
	require.NoError(t, inc()) // the retry of the same call is applied once
	items, err := TransactGet(ctx, c, tb.TxGet(Key{"id": "n"}))
	require.NoError(t, err)
	assert.Equal(t, Number("1"), items[0].Get("count"))
	assert.False(t, errors.Is(err, ErrTransactionCanceled))
}
