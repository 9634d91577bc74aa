package dynamap

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/cond"
)

// Typed transaction actions are TxOp values like the untyped ones, so they
// mix with them (and with other tables' actions) in one TransactWrite; a
// typed read is a TxGetOp, mixing with untyped reads in one TransactGet.

// failedTx is a transaction action that reports err when TransactWrite
// builds it, before any request.
func failedTx(t *Table, what string, err error) TxOp {
	return &txAction{t: t, what: what, build: func(*tableSchema) (txBuilt, error) { return txBuilt{}, err }}
}

// checkModel is tt.schema's check for a schema TransactWrite already has:
// a bad model, or tags that disagree with the table, is an error.
func (tt *TypedTable[T]) checkModel(s *tableSchema) error {
	if tt.err != nil {
		return tt.err
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if !tt.checked {
		tt.bad = tt.checkIndexes(s)
		tt.checked = true
	}
	return tt.bad
}

// TxPut is a transaction action that writes *v whole, as Put does: it
// refuses to replace an existing item unless Overwrite is given; with a
// version field, version 0 means the item must not exist (1 is written)
// and version n that the stored version is n (n+1 is written); created
// (when zero) and updated are set to the time TxPut is called. Expected
// adds conditions. *v is encoded when TxPut is called (later changes to it
// are not written); when the transaction commits, *v's version and
// timestamps are set to what was stored, and when it is canceled *v is
// left as it was. Errors in *v surface from TransactWrite, before any
// request.
func (tt *TypedTable[T]) TxPut(v *T, opts ...TxPutOption) TxOp {
	if tt.err != nil {
		return failedTx(tt.t, "put", tt.err)
	}
	if v == nil {
		return failedTx(tt.t, "put", &ValueError{Reason: fmt.Sprintf("nil *%s", reflect.TypeFor[T]())})
	}
	ver, err := tt.versionOf(v)
	if err != nil {
		return failedTx(tt.t, "put", err)
	}
	if err := tt.nextVersionFits(ver); err != nil {
		return failedTx(tt.t, "put", err)
	}
	av, err := tt.encode(tt.stamp(v, time.Now().UTC()))
	if err != nil {
		return failedTx(tt.t, "put", err)
	}
	it := &Item{table: tt.t, data: av}
	if ver > 0 {
		it.orig = map[string]types.AttributeValue{tt.m.Version.Attr: av[tt.m.Version.Attr]}
	}
	inner := tt.t.TxPut(it, opts...).(*txAction) // the table's own *Item: put as Save puts it
	return &txAction{t: tt.t, what: "put", build: func(s *tableSchema) (txBuilt, error) {
		if err := tt.checkModel(s); err != nil {
			return txBuilt{}, err
		}
		b, err := inner.build(s)
		if err != nil {
			return b, err
		}
		done := b.commit
		b.commit = func() {
			if done != nil {
				done() // it.data is now what was written, version included
			}
			_ = tt.written(v, it.data)
		}
		return b, nil
	}}
}

// TxDelete is a transaction action that deletes v's item (by the key
// fields of *v), as Delete does: with a version field, the stored version
// must be v's (version 0: the item must have no version). Expected adds
// conditions. *v is read when TxDelete is called.
func (tt *TypedTable[T]) TxDelete(v *T, opts ...TxDeleteOption) TxOp {
	cfg := applyOptions(&writeConfig{}, opts, TxDeleteOption.applyTxDelete)
	if tt.err != nil {
		return failedTx(tt.t, "delete", tt.err)
	}
	if v == nil {
		return failedTx(tt.t, "delete", &ValueError{Reason: fmt.Sprintf("nil *%s", reflect.TypeFor[T]())})
	}
	if _, err := tt.versionOf(v); err != nil {
		return failedTx(tt.t, "delete", err)
	}
	av, err := tt.encode(v)
	if err != nil {
		return failedTx(tt.t, "delete", err)
	}
	return &txAction{t: tt.t, what: "delete", build: func(s *tableSchema) (txBuilt, error) {
		if err := tt.checkModel(s); err != nil {
			return txBuilt{}, err
		}
		kav, err := tt.keyOf(s, av)
		if err != nil {
			return txBuilt{}, err
		}
		var own []expression.ConditionBuilder
		if f := tt.m.Version; f != nil {
			stored := av[f.Attr]
			if isZeroNumber(stored) {
				stored = nil // version 0: never stored
			}
			own = append(own, versionCondition(f.Attr, stored))
		}
		cnd, err := combineConditions(own, cfg, keyAttrNames(s, tt.t.version), tt.t.codec())
		if err != nil {
			return txBuilt{}, err
		}
		d := &types.Delete{TableName: &tt.t.name, Key: kav}
		if cnd != nil {
			expr, err := cond.BuildExpr(expression.NewBuilder().WithCondition(*cnd))
			if err != nil {
				return txBuilt{}, err
			}
			cond.UnaliasNames(expr.Names())
			d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues = expr.Condition(), expr.Names(), expr.Values()
			d.ReturnValuesOnConditionCheckFailure = onConditionFailure
		}
		return txBuilt{item: types.TransactWriteItem{Delete: d}, key: kav}, nil
	}}
}

// TxSaveChanges is the transaction action of SaveChanges: an update of
// only the top-level attributes that differ between before (the item as
// read) and after, conditioned on before's version (with a version field)
// or on those attributes still holding before's values, bumping the
// version and setting updated. When nothing differs it writes nothing but
// still checks, as part of the transaction, that the item is unchanged
// (its version is before's; without a version field, that it exists). A
// changed key field is a *KeyError from TransactWrite, before any request;
// so is a change too wide for one update expression (use SaveChanges,
// which can write it). before and after are encoded when TransactWrite
// runs; when the transaction commits, after's version and updated fields
// hold what was stored.
func (tt *TypedTable[T]) TxSaveChanges(before, after *T) TxOp {
	if tt.err != nil {
		return failedTx(tt.t, "update", tt.err)
	}
	if before == nil || after == nil {
		return failedTx(tt.t, "update", &ValueError{Reason: fmt.Sprintf("TxSaveChanges needs two non-nil *%s", reflect.TypeFor[T]())})
	}
	return &txAction{t: tt.t, what: "update", build: func(s *tableSchema) (txBuilt, error) {
		if err := tt.checkModel(s); err != nil {
			return txBuilt{}, err
		}
		bav, err := tt.encode(before)
		if err != nil {
			return txBuilt{}, err
		}
		p, changed, err := tt.plan(s, bav, nil, after)
		if err != nil {
			return txBuilt{}, err
		}
		a := tt.tracked()
		if !changed {
			shape := cond.NewUpdateShape(1)
			if a.version != "" {
				shape.Cond(a.version, nil, bav[a.version])
			} else {
				shape.Equal(a.hash, p.key[a.hash])
			}
			expr, err := shape.Build()
			if err != nil {
				return txBuilt{}, &ValueError{Reason: "cannot build condition", Err: err}
			}
			version, updated := bav[a.version], bav[a.updated]
			return txBuilt{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: &tt.t.name, Key: p.key,
				ConditionExpression: expr.Condition, ExpressionAttributeNames: expr.Names, ExpressionAttributeValues: expr.Values,
				ReturnValuesOnConditionCheckFailure: onConditionFailure,
			}}, key: p.key, commit: func() { _ = tt.writtenMeta(after, version, updated) }}, nil
		}
		expr, fits, err := p.build(a)
		if err != nil {
			return txBuilt{}, err
		}
		if !fits {
			return txBuilt{}, &ValueError{Reason: fmt.Sprintf("the change of %d attributes is over DynamoDB's expression limits (4 KB, 300 operators) for one transaction action: use SaveChanges", len(p.changes.set)+len(p.changes.remove))}
		}
		u := &types.Update{
			TableName: &tt.t.name, Key: p.key,
			UpdateExpression: expr.Update, ConditionExpression: expr.Condition,
			ExpressionAttributeNames: expr.Names, ExpressionAttributeValues: expr.Values,
			ReturnValuesOnConditionCheckFailure: onConditionFailure,
		}
		return txBuilt{item: types.TransactWriteItem{Update: u}, key: p.key,
			commit: func() { _ = tt.writtenMeta(after, p.version, p.updated) }}, nil
	}}
}

// TxGet is a TransactGet read of the item with key that decodes it into a
// T: when TransactGet returns without error, *dst points to the item read,
// or is nil when no item has the key (as the matching element of
// TransactGet's []*Item is). *dst is set to nil when TxGet is called, so it
// stays nil when TransactGet fails; an item that does not decode into a T
// is TransactGet's error. A nil dst decodes nothing. Attributes limits the
// attributes read (the fields not read are zero). key is copied when TxGet
// is called; errors in it, a bad model, and tags that disagree with the
// table (checked once, as every call checks them; see TableOf) are
// returned by TransactGet before any request.
func (tt *TypedTable[T]) TxGet(key Key, dst **T, opts ...TxGetOption) TxGetOp {
	g := tt.t.TxGet(key, opts...)
	g.check = func(ctx context.Context) error {
		_, err := tt.schema(ctx)
		return err
	}
	if dst == nil {
		return g
	}
	*dst = nil
	g.decode = func(item map[string]types.AttributeValue) error {
		if len(item) == 0 {
			*dst = nil
			return nil
		}
		v, err := decodeItemOf[T](tt.t, item)
		if err != nil {
			return err
		}
		*dst = &v
		return nil
	}
	return g
}
