package dynamap

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/dynamap/dynamap/conn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportedErrors lists, from the non-test sources of the package in dir,
// the exported package-level variables named Err* and the exported types
// with an Error method, so that a new sentinel or typed error cannot be
// added without joining the walk below.
func exportedErrors(t *testing.T, dir string) (sentinels, typed []string) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	require.NoError(t, err)
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.GenDecl:
					if d.Tok != token.VAR {
						continue
					}
					for _, s := range d.Specs {
						for _, n := range s.(*ast.ValueSpec).Names {
							if n.IsExported() && strings.HasPrefix(n.Name, "Err") {
								sentinels = append(sentinels, n.Name)
							}
						}
					}
				case *ast.FuncDecl:
					if d.Recv == nil || d.Name.Name != "Error" || len(d.Recv.List) != 1 {
						continue
					}
					typ := d.Recv.List[0].Type
					if st, ok := typ.(*ast.StarExpr); ok {
						typ = st.X
					}
					if id, ok := typ.(*ast.Ident); ok && id.IsExported() {
						typed = append(typed, id.Name)
					}
				}
			}
		}
	}
	slices.Sort(sentinels)
	slices.Sort(typed)
	return sentinels, typed
}

// assertOnePrefix checks the message rule: "dynamap: " exactly once, at the
// start, and one line.
func assertOnePrefix(t *testing.T, what string, err error) {
	t.Helper()
	if !assert.Error(t, err, what) {
		return
	}
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "dynamap: "), "%s: message does not start with the prefix: %q", what, msg)
	assert.Equal(t, 1, strings.Count(msg, "dynamap: "), "%s: prefix repeated: %q", what, msg)
	assert.NotContains(t, msg, "\n", "%s: message on several lines: %q", what, msg)
}

// sdkErr builds an SDK exception wrapped as the SDK returns it: inside a
// *smithy.OperationError.
func sdkErr(op string, e error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: e}
}

// TestErrorMessagesPrefixOnce walks every exported sentinel and typed error,
// alone, wrapped by each kind of wrap and through the real composite paths
// against DynamoDB Local: each message has the "dynamap: " prefix exactly
// once and no newline, and errors.Is/As still reach every part.
func TestErrorMessagesPrefixOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	ccf := sdkErr("PutItem", &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")})
	rnf := sdkErr("DescribeTable", &types.ResourceNotFoundException{Message: aws.String("Cannot do operations on a non-existent table")})
	tce := sdkErr("TransactWriteItems", &types.TransactionCanceledException{
		Message: aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]"),
		CancellationReasons: []types.CancellationReason{
			{Code: aws.String("ConditionalCheckFailed"), Message: aws.String("The conditional request failed")},
			{Code: aws.String("None")},
		},
	})
	joined := errors.Join(errors.New("first"), errors.New("second"))

	// Every sentinel and typed error, with representative fields and
	// causes, including dynamap errors and SDK errors as causes.
	cases := map[string][]error{
		"ErrItemNotFound":           {ErrItemNotFound},
		"ErrConditionalCheckFailed": {ErrConditionalCheckFailed, wrapErr(ccf)},
		"ErrUnknownFilterType":      {ErrUnknownFilterType},
		"ErrInvalidFilter":          {ErrInvalidFilter},
		"ErrQuery":                  {ErrQuery},
		"ErrMissingKey":             {ErrMissingKey},
		"ErrInvalidKey":             {ErrInvalidKey},
		"ErrSchema":                 {ErrSchema},
		"ErrInvalidValue":           {ErrInvalidValue},
		"ErrInvalidCursor":          {ErrInvalidCursor},
		"ErrUnprocessed":            {ErrUnprocessed},
		"ErrTransactionCanceled":    {ErrTransactionCanceled, wrapErr(tce)},
		"ErrTableNotFound":          {ErrTableNotFound, wrapErr(rnf)},
		"ErrClosed":                 {ErrClosed},
		"ErrTooManyItems":           {ErrTooManyItems},
		"ConditionFailedError": {
			&ConditionFailedError{Table: "t", Err: ccf},
			&ConditionFailedError{Table: "t", Reason: "attribute \"a\" no longer holds its loaded value"},
			&ConditionFailedError{Table: "t", Reason: "two\nlines", Err: ccf},
		},
		"KeyError": {
			&KeyError{Table: "t", Attribute: "id", Missing: true},
			&KeyError{Table: "t", Attribute: "id", Reason: "empty string"},
			&KeyError{Table: "t", Reason: "no attribute at fault"},
			&KeyError{Table: "t", Attribute: "id", Reason: (&ValueError{Reason: "a chan cannot be stored"}).Error()},
			&KeyError{Table: "t", Attribute: "id", Reason: "two\nlines"},
		},
		"FilterError": {
			&FilterError{Key: "age__betwen", Reason: "no such operator", Err: ErrUnknownFilterType},
			&FilterError{Reason: "too long", Err: ErrInvalidFilter},
			&FilterError{Key: "id__gt", Err: ErrQuery},
		},
		"ValueError": {
			&ValueError{},
			&ValueError{Attribute: "a", Reason: "NaN"},
			&ValueError{Attribute: "a", Reason: "inner", Err: &ValueError{Attribute: "b", Reason: "deeper"}},
			&ValueError{Reason: "map key", Err: &KeyError{Table: "t", Attribute: "id", Missing: true}},
			&ValueError{Reason: "sdk", Err: wrapErr(ccf)},
			&ValueError{Reason: "joined", Err: joined},
		},
		"UnprocessedError": {
			&UnprocessedError{Table: "t"},
			&UnprocessedError{Table: "t", Puts: []map[string]types.AttributeValue{{}}, Err: wrapErr(rnf)},
			&UnprocessedError{Table: "t", Keys: []map[string]types.AttributeValue{{}}, Err: &UnprocessedError{Table: "t", Err: ErrClosed}},
			&UnprocessedError{Table: "t", Deletes: []map[string]types.AttributeValue{{}}, Err: joined},
		},
		"TransactionCanceledError": {
			wrapErr(tce),
			&TransactionCanceledError{Reasons: []CancellationReason{{Index: 1, Code: "TransactionConflict"}}},
		},
		"SchemaMismatchError": {
			&SchemaMismatchError{Table: "t", What: "key schema", Declared: "id S HASH", Actual: "pk S HASH"},
		},
		"ModelError": {
			&ModelError{Model: "pkg.Movie", Reason: "no hash key"},
			&ModelError{Model: "pkg.Movie", Field: "Base.Year", Reason: "two\nlines"},
		},
	}

	sentinels, typed := exportedErrors(t, ".")
	for _, name := range append(sentinels, typed...) {
		assert.Contains(t, cases, name, "the walk has no case for the exported error %s", name)
	}
	for name, errs := range cases {
		for i, err := range errs {
			assertOnePrefix(t, fmt.Sprintf("%s[%d]", name, i), err)
		}
	}

	// conn's sentinel, alone and as conn.New returns it.
	connSentinels, _ := exportedErrors(t, "conn")
	assert.Equal(t, []string{"ErrConfig"}, connSentinels, "add conn's new sentinels to the walk")
	assertOnePrefix(t, "conn.ErrConfig", conn.ErrConfig)
	_, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = "ftp://x"; o.Region = "us-east-1" })
	require.ErrorIs(t, err, conn.ErrConfig)
	assertOnePrefix(t, "conn.New", err)

	// The real composite paths.
	c := testConn(t)
	tbl := testTable(t, c, []KeyField{HashKey("id")})
	missing := NewTable(c, testTableName(t)+"_missing", WithSchema(HashKey("id")))
	undescribed := NewTable(c, testTableName(t)+"_missing") // schema to be learnt
	// gone knows its schema, but its table has been deleted: its requests
	// fail with ResourceNotFoundException.
	gone, err := CreateTable(ctx, c, testTableName(t)+"_gone", []KeyField{HashKey("id")})
	require.NoError(t, err)
	require.NoError(t, gone.WaitActive(ctx))
	_, err = gone.KeyNames(ctx)
	require.NoError(t, err)
	require.NoError(t, NewTable(c, gone.Name()).DeleteTable(ctx))

	t.Run("conditional PutItem", func(t *testing.T) {
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "a"}))
		err := tbl.PutItem(ctx, map[string]any{"id": "a"})
		assertOnePrefix(t, "PutItem", err)
		assert.ErrorIs(t, err, ErrConditionalCheckFailed)
		var sdk *types.ConditionalCheckFailedException
		assert.ErrorAs(t, err, &sdk)
	})

	t.Run("BatchWriteFunc fn and Close errors", func(t *testing.T) {
		boom := errors.New("boom")
		err := gone.BatchWriteFunc(ctx, func(b *BatchTable) error {
			if err := b.PutItem(ctx, map[string]any{"id": "a"}); err != nil {
				return err
			}
			return boom
		})
		assertOnePrefix(t, "BatchWriteFunc", err)
		assert.ErrorIs(t, err, boom)
		assert.ErrorIs(t, err, ErrUnprocessed)
		assert.ErrorIs(t, err, ErrTableNotFound)
		var ue *UnprocessedError
		require.ErrorAs(t, err, &ue)
		assert.Len(t, ue.Puts, 1)
		assertOnePrefix(t, "BatchWriteFunc's UnprocessedError", ue)
		var sdk *types.ResourceNotFoundException
		assert.ErrorAs(t, err, &sdk)

		// A dynamap error from fn keeps one prefix too.
		err = gone.BatchWriteFunc(ctx, func(b *BatchTable) error {
			if err := b.PutItem(ctx, map[string]any{"id": "b"}); err != nil {
				return err
			}
			return b.PutItem(ctx, map[string]any{"id": make(chan int)})
		})
		assertOnePrefix(t, "BatchWriteFunc with a dynamap fn error", err)
		assert.ErrorIs(t, err, ErrInvalidValue)
		assert.ErrorIs(t, err, ErrUnprocessed)
	})

	t.Run("transaction action error", func(t *testing.T) {
		err := TransactWrite(ctx, c, tbl.TxPut(map[string]any{"v": 1}))
		assertOnePrefix(t, "TransactWrite key error", err)
		assert.ErrorIs(t, err, ErrMissingKey)
		var ke *KeyError
		assert.ErrorAs(t, err, &ke)

		err = TransactWrite(ctx, c, missing.TxPut(map[string]any{"id": "x"}))
		assertOnePrefix(t, "TransactWrite on a missing table", err)
		assert.ErrorIs(t, err, ErrTableNotFound)

		err = TransactWrite(ctx, c, undescribed.TxPut(map[string]any{"id": "x"}))
		assertOnePrefix(t, "TransactWrite with a schema error", err)
		assert.ErrorIs(t, err, ErrSchema)
		assert.ErrorIs(t, err, ErrTableNotFound)

		err = TransactWrite(ctx, c, tbl.TxCheck(Key{"id": "a"}, Filter{"id__null": true}))
		assertOnePrefix(t, "TransactWrite canceled", err)
		assert.ErrorIs(t, err, ErrTransactionCanceled)
		assert.ErrorIs(t, err, ErrConditionalCheckFailed)
		var te *TransactionCanceledError
		assert.ErrorAs(t, err, &te)
		var sdk *types.TransactionCanceledException
		assert.ErrorAs(t, err, &sdk)

		_, err = TransactGet(ctx, c, undescribed.TxGet(Key{"id": "x"}))
		assertOnePrefix(t, "TransactGet with a schema error", err)
		assert.ErrorIs(t, err, ErrSchema)
	})

	t.Run("schema error from a missing table", func(t *testing.T) {
		fresh := NewTable(c, undescribed.Name())
		_, err := fresh.GetItem(ctx, Key{"id": "x"})
		assertOnePrefix(t, "GetItem", err)
		assert.ErrorIs(t, err, ErrSchema)
		assert.ErrorIs(t, err, ErrTableNotFound)
		var sdk *types.ResourceNotFoundException
		assert.ErrorAs(t, err, &sdk)

		_, err = fresh.Lookup(ctx, "x")
		assertOnePrefix(t, "Lookup", err)
		_, err = fresh.Describe(ctx)
		assertOnePrefix(t, "Describe", err)
		assert.ErrorIs(t, err, ErrTableNotFound)
	})

	t.Run("UnprocessedError with a cause", func(t *testing.T) {
		var err error
		for _, err = range gone.BatchGet([]Key{{"id": "a"}}).All(ctx) {
			if err != nil {
				break
			}
		}
		assertOnePrefix(t, "BatchGet", err)
		assert.ErrorIs(t, err, ErrTableNotFound)
		var ue *UnprocessedError
		if assert.ErrorAs(t, err, &ue) {
			assert.Len(t, ue.Keys, 1)
		}

		cctx, ccancel := context.WithCancelCause(ctx)
		ccancel(errors.New("gave up"))
		for _, err = range NewTable(c, undescribed.Name()).BatchGet([]Key{{"id": "a"}}).All(cctx) {
			if err != nil {
				break
			}
		}
		assertOnePrefix(t, "BatchGet canceled before the schema is known", err)
	})

	t.Run("item and query paths", func(t *testing.T) {
		_, err := tbl.GetItem(ctx, Key{"id": "nope"})
		assertOnePrefix(t, "GetItem not found", err)
		assert.ErrorIs(t, err, ErrItemNotFound)

		_, err = tbl.GetItem(ctx, Key{"id": ""})
		assertOnePrefix(t, "GetItem empty key", err)
		assert.ErrorIs(t, err, ErrInvalidKey)

		_, err = tbl.GetItem(ctx, Key{"id": make(chan int)})
		assertOnePrefix(t, "GetItem key that cannot be stored", err)
		assert.ErrorIs(t, err, ErrInvalidKey)

		for _, err = range tbl.Query(Filter{"id__gt": "a"}).All(ctx) {
			break
		}
		assertOnePrefix(t, "Query without a hash key", err)
		assert.ErrorIs(t, err, ErrQuery)

		for _, err = range missing.Scan(nil).All(ctx) {
			break
		}
		assertOnePrefix(t, "Scan of a missing table", err)
		assert.ErrorIs(t, err, ErrTableNotFound)

		require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "p", "v": 0}))
		it, err := tbl.GetItem(ctx, Key{"id": "p"})
		require.NoError(t, err)
		require.NoError(t, it.Set("v", 1))
		require.NoError(t, tbl.PutItem(ctx, map[string]any{"id": "p", "v": 2}, Overwrite()))
		err = it.PartialSave(ctx)
		assertOnePrefix(t, "PartialSave after another writer", err)
		assert.ErrorIs(t, err, ErrConditionalCheckFailed)

		_, err = tbl.UpdateItem(ctx, Key{"id": "zz"}, SetValue("v", 1), If(Filter{"v__eq": 5}))
		assertOnePrefix(t, "UpdateItem failed condition", err)
		assert.ErrorIs(t, err, ErrConditionalCheckFailed)

		err = missing.DeleteTable(ctx)
		assertOnePrefix(t, "Delete of a missing table", err)
		assert.ErrorIs(t, err, ErrTableNotFound)
	})
}

// TestLookupTooManyValuesNamesNoValue: the extra value of a Lookup is not an
// attribute name; KeyError.Attribute stays empty and the value is in Reason.
func TestLookupTooManyValuesNamesNoValue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tbl := testTable(t, testConn(t), []KeyField{HashKey("id")})
	_, err := tbl.Lookup(ctx, "a", "surplus-value")
	var ke *KeyError
	require.ErrorAs(t, err, &ke)
	assert.ErrorIs(t, err, ErrInvalidKey)
	assert.Empty(t, ke.Attribute, "Attribute names an attribute, never a value")
	assert.Contains(t, ke.Reason, "surplus-value")
	assert.Contains(t, ke.Reason, "1 key attribute")
	assertOnePrefix(t, "Lookup", err)
	assert.NotContains(t, err.Error(), `""`, "no empty attribute name in the message")
}
