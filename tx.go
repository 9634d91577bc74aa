package dynamap

import (
	"context"
	"fmt"
	"maps"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/cond"
)

// maxTxActions is DynamoDB's limit of actions in one transaction.
const maxTxActions = 100

// TxOp is one argument of TransactWrite: an action built by Table.TxPut,
// TxUpdate, TxDelete or TxCheck, or the IdempotencyToken or SDKOptions
// option. Building one
// does no I/O and copies the caller's data, keys and values (see TxPut for
// an *Item), so they may be changed or reused as soon as the call returns;
// its errors surface from TransactWrite before any request.
type TxOp interface{ applyTx(*txWrite) }

// txWrite collects TransactWrite's arguments.
type txWrite struct {
	actions []*txAction
	token   *string
	sdk     []func(*dynamodb.Options) // SDKOptions, passed to every request
}

// txAction is one write action: its table and key, and how to build it once
// the table's schema is known.
type txAction struct {
	t     *Table
	what  string
	build func(s *tableSchema) (txBuilt, error)
}

// txBuilt is a built write action: the request item, the key it writes, a
// check to run before the transaction is sent (nil: none) and what to do
// once it committed (nil: nothing).
type txBuilt struct {
	item   types.TransactWriteItem
	key    map[string]types.AttributeValue
	verify func(ctx context.Context, sdk []func(*dynamodb.Options)) error
	commit func()
}

func (a *txAction) applyTx(w *txWrite) { w.actions = append(w.actions, a) }

type txToken string

func (tk txToken) applyTx(w *txWrite) { s := string(tk); w.token = &s }

// IdempotencyToken makes TransactWrite idempotent: DynamoDB applies calls
// with the same token (1 to 36 characters) and the same actions at most once
// within ten minutes. Default: no token.
func IdempotencyToken(token string) TxOp { return txToken(token) }

// TxPut is a transaction action that writes data (a map[string]any, a map of
// attribute values, an *Item or a struct) to t. Like PutItem it refuses to
// replace an existing item unless Overwrite is given; Expected adds
// conditions (see Condition). A loaded *Item of t is put as Item.Save
// would put it: on the condition that the stored item still holds the
// loaded values (for a wide item, attributes beyond the condition's limits
// are checked by a consistent GetItem before the transaction is sent, as
// Save does). On a table WithVersion the version is checked and bumped
// exactly as Save does. When the transaction commits, an *Item of t that was
// put is updated as Save updates it: it holds what was written (its new
// version included) and is clean; when it is canceled the item is left as
// it was.
//
// Data other than an *Item of t (maps, structs, an *Item of another table)
// is copied when TxPut is called: later changes to it are not written. An
// *Item of t is the library's own object and is read when TransactWrite
// runs, so that what is written and what the commit marks clean are the
// same: Set on it between TxPut and TransactWrite is written.
func (t *Table) TxPut(data any, opts ...TxPutOption) TxOp {
	cfg := applyOptions(&writeConfig{}, opts, TxPutOption.applyTxPut)
	it, own := data.(*Item)
	own = own && it != nil && it.table == t
	var av map[string]types.AttributeValue
	var avErr error
	if !own {
		av, avErr = encodeItem(t.codec(), data) // the caller's data, copied now
	}
	return &txAction{t: t, what: "put", build: func(s *tableSchema) (txBuilt, error) {
		it := it
		if !own {
			if avErr != nil {
				return txBuilt{}, avErr
			}
			it = &Item{table: t, data: maps.Clone(av)}
		} else if it.partial && !cfg.overwrite {
			return txBuilt{}, &ValueError{Reason: "item was loaded with a projection (Attributes); putting it would drop the attributes not loaded: use Overwrite"}
		}
		in, checks, err := it.putInput(s, cfg)
		if err != nil {
			return txBuilt{}, err
		}
		key, err := t.itemKey(s.keys, in.Item)
		if err != nil {
			return txBuilt{}, err
		}
		if size := itemSize(in.Item); size > maxItemSize {
			return txBuilt{}, &ValueError{Reason: fmt.Sprintf("item is about %d bytes, over DynamoDB's 400 KB limit", size)}
		}
		p := &types.Put{TableName: &t.name, Item: in.Item, ConditionExpression: in.ConditionExpression,
			ExpressionAttributeNames: in.ExpressionAttributeNames, ExpressionAttributeValues: in.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: in.ReturnValuesOnConditionCheckFailure}
		b := txBuilt{item: types.TransactWriteItem{Put: p}, key: key}
		if len(checks) > 0 {
			b.verify = func(ctx context.Context, sdk []func(*dynamodb.Options)) error {
				_, err := t.verifyStored(ctx, key, checks, sdk...)
				return err
			}
		}
		if own {
			b.commit = func() { it.putDone(in.Item) }
		}
		return b, nil
	}}
}

// TxDelete is a transaction action that deletes the item with key from t.
// Expected makes it conditional (see Condition); a missing
// item is not an error unless a condition requires it. key is copied when
// TxDelete is called.
func (t *Table) TxDelete(key Key, opts ...TxDeleteOption) TxOp {
	cfg := applyOptions(&writeConfig{}, opts, TxDeleteOption.applyTxDelete)
	key, keyErr := t.freezeKey(key)
	return &txAction{t: t, what: "delete", build: func(s *tableSchema) (txBuilt, error) {
		if keyErr != nil {
			return txBuilt{}, keyErr
		}
		kav, err := t.keyFromValues(s.keys, map[string]any(key))
		if err != nil {
			return txBuilt{}, err
		}
		expr, ok, err := txCondition(cfg.expected, keyAttrNames(s, t.version), t.codec())
		if err != nil {
			return txBuilt{}, err
		}
		d := &types.Delete{TableName: &t.name, Key: kav}
		if ok {
			d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues = expr.Condition(), expr.Names(), expr.Values()
			d.ReturnValuesOnConditionCheckFailure = onConditionFailure
		}
		return txBuilt{item: types.TransactWriteItem{Delete: d}, key: kav}, nil
	}}
}

// TxCheck is a transaction action that writes nothing but cancels the
// transaction unless the item with key in t matches cond (see Condition;
// an empty one is a *FilterError). key and cond are copied when TxCheck is
// called.
func (t *Table) TxCheck(key Key, cnd Condition) TxOp {
	key, keyErr := t.freezeKey(key)
	cnd = freezeCondition(cnd)
	return &txAction{t: t, what: "check", build: func(s *tableSchema) (txBuilt, error) {
		if keyErr != nil {
			return txBuilt{}, keyErr
		}
		kav, err := t.keyFromValues(s.keys, map[string]any(key))
		if err != nil {
			return txBuilt{}, err
		}
		expr, ok, err := txCondition([]Condition{cnd}, keyAttrNames(s, t.version), t.codec())
		if err != nil {
			return txBuilt{}, err
		}
		if !ok {
			return txBuilt{}, &FilterError{Reason: "TxCheck needs a condition", Err: ErrInvalidFilter}
		}
		return txBuilt{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName:                           &t.name,
			Key:                                 kav,
			ConditionExpression:                 expr.Condition(),
			ExpressionAttributeNames:            expr.Names(),
			ExpressionAttributeValues:           expr.Values(),
			ReturnValuesOnConditionCheckFailure: onConditionFailure,
		}}, key: kav}, nil
	}}
}

// TxUpdate is a transaction action that updates the item with key in t with
// UpdateItem's actions (SetValue, SetDefault, Add, RemoveAttr, DeleteFromSet)
// and modifiers Strict and If; ReturnNew and ReturnOld are not
// UpdateActions (a transaction returns no item), so passing them does not
// compile. On a table WithVersion the version
// attribute is incremented too, as UpdateItem does. key and the actions'
// values are copied when TxUpdate is called.
func (t *Table) TxUpdate(key Key, actions ...UpdateAction) TxOp {
	cfg := applyOptions(&updateConfig{codec: t.codec()}, actions, UpdateAction.applyTxUpdate)
	key, keyErr := t.freezeKey(key)
	return &txAction{t: t, what: "update", build: func(s *tableSchema) (txBuilt, error) {
		if cfg.err != nil {
			return txBuilt{}, cfg.err
		}
		if keyErr != nil {
			return txBuilt{}, keyErr
		}
		if len(cfg.ops) == 0 {
			return txBuilt{}, &ValueError{Reason: "TxUpdate needs at least one action (SetValue, SetDefault, Add, RemoveAttr, DeleteFromSet)"}
		}
		kav, expr, err := t.buildUpdate(s, key, cfg)
		if err != nil {
			return txBuilt{}, err
		}
		u := &types.Update{
			TableName:                 &t.name,
			Key:                       kav,
			UpdateExpression:          expr.Update(),
			ConditionExpression:       expr.Condition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
		}
		if u.ConditionExpression != nil {
			u.ReturnValuesOnConditionCheckFailure = onConditionFailure
		}
		return txBuilt{item: types.TransactWriteItem{Update: u}, key: kav}, nil
	}}
}

// txCondition ANDs the caller's conditions, isKey's names literal, their
// values encoded with cd, and builds the expression.
func txCondition(conds []Condition, isKey func(string) bool, cd *codec.Codec) (expression.Expression, bool, error) {
	cnd, ok, err := buildCondition(conds, isKey, cd)
	if err != nil || !ok {
		return expression.Expression{}, false, err
	}
	expr, err := cond.BuildExpr(expression.NewBuilder().WithCondition(cnd))
	if err != nil {
		return expression.Expression{}, false, err
	}
	return expr, true, nil
}

// TransactWrite applies ops (TxPut, TxUpdate, TxDelete and TxCheck actions on
// any tables, and optionally an IdempotencyToken) atomically with one
// TransactWriteItems call: all of them or none. Up to 100 actions, at most
// one per item; invalid actions, too many, or two on one item are errors
// before any request. If DynamoDB cancels the transaction, the error is a
// *TransactionCanceledError with one reason per action, in order (Code
// "ConditionalCheckFailed" for a failed condition, "None" for the others);
// errors.Is(err, ErrConditionalCheckFailed) holds when a condition failed.
func TransactWrite(ctx context.Context, c *conn.Conn, ops ...TxOp) error {
	w := applyOptions(&txWrite{}, ops, TxOp.applyTx)
	if len(w.actions) == 0 {
		return &ValueError{Reason: "TransactWrite needs at least one action"}
	}
	if len(w.actions) > maxTxActions {
		return &ValueError{Reason: fmt.Sprintf("TransactWrite takes at most %d actions, got %d", maxTxActions, len(w.actions))}
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: make([]types.TransactWriteItem, len(w.actions))}
	if w.token != nil {
		if n := len(*w.token); n < 1 || n > 36 {
			return &ValueError{Reason: fmt.Sprintf("an idempotency token has 1 to 36 characters, got %d", n)}
		}
		in.ClientRequestToken = w.token
	}
	seen := map[string]int{}
	built := make([]txBuilt, len(w.actions))
	for i, a := range w.actions {
		s, err := a.t.schemaFor(ctx)
		if err != nil {
			return errorf("dynamap: transaction action %d (%s on %q): %w", i, a.what, a.t.name, err)
		}
		b, err := a.build(s)
		if err != nil {
			return errorf("dynamap: transaction action %d (%s on %q): %w", i, a.what, a.t.name, err)
		}
		id := a.t.name + "\x00" + keyString(s.keys, b.key)
		if j, dup := seen[id]; dup {
			return &ValueError{Reason: fmt.Sprintf("transaction actions %d and %d are on the same item of %q; DynamoDB allows one action per item", j, i, a.t.name)}
		}
		seen[id] = i
		in.TransactItems[i] = b.item
		built[i] = b
	}
	for i, b := range built {
		if b.verify != nil {
			if err := b.verify(ctx, w.sdk); err != nil {
				return errorf("dynamap: transaction action %d (%s on %q): %w", i, w.actions[i].what, w.actions[i].t.name, err)
			}
		}
	}
	if _, err := c.API().TransactWriteItems(ctx, in, w.sdk...); err != nil {
		return errorf("dynamap: transact write: %w", wrapErr(err))
	}
	for _, b := range built {
		if b.commit != nil {
			b.commit()
		}
	}
	return nil
}

// TxGetOption configures TxGet.
type TxGetOption interface{ applyTxGet(*readConfig) }

// TxGetOp is one read of TransactGet, built by Table.TxGet. Building one does
// no I/O.
type TxGetOp struct {
	t      *Table
	key    Key         // the library's copy
	keyErr error       // a key value the codec refused, reported by TransactGet
	cfg    *readConfig // the options, applied when TxGet was called
	// decode is a typed TxGet's destination (TypedTable.TxGet): called
	// with the item read (nil when none had the key) once the read
	// succeeded. nil: nothing to decode.
	decode func(map[string]types.AttributeValue) error
	// check is a typed TxGet's model check (TypedTable.schema), run by
	// TransactGet before any request. nil: none.
	check func(context.Context) error
}

// TxGet is a TransactGet read of the item with key in t; Attributes limits
// the attributes returned. Default: the whole item. key and opts are copied
// when TxGet is called; errors in them are returned by TransactGet, before
// any request.
func (t *Table) TxGet(key Key, opts ...TxGetOption) TxGetOp {
	g := TxGetOp{t: t, cfg: applyOptions(&readConfig{}, opts, TxGetOption.applyTxGet)}
	if t != nil {
		g.key, g.keyErr = t.freezeKey(key)
	}
	return g
}

// TransactGet reads up to 100 items, from any tables, as one serializable
// snapshot (TransactGetItems). Items come back in the order of gets, nil
// where no item has the key. Invalid keys and more than 100 gets are errors
// before any request. A typed get (TypedTable.TxGet) also decodes its item
// into its destination; an item that does not decode is an error returned
// with the items.
func TransactGet(ctx context.Context, c *conn.Conn, gets ...TxGetOp) ([]*Item, error) {
	if len(gets) == 0 {
		return nil, nil
	}
	if len(gets) > maxTxActions {
		return nil, &ValueError{Reason: fmt.Sprintf("TransactGet takes at most %d gets, got %d", maxTxActions, len(gets))}
	}
	in := &dynamodb.TransactGetItemsInput{TransactItems: make([]types.TransactGetItem, len(gets))}
	for i, g := range gets {
		if g.t == nil {
			return nil, errorf("dynamap: transaction get %d: %w: no table", i, ErrSchema)
		}
		if g.keyErr != nil {
			return nil, errorf("dynamap: transaction get %d on %q: %w", i, g.t.name, g.keyErr)
		}
		if g.check != nil {
			if err := g.check(ctx); err != nil {
				return nil, errorf("dynamap: transaction get %d on %q: %w", i, g.t.name, err)
			}
		}
		kav, err := g.t.keyAV(ctx, g.key)
		if err != nil {
			return nil, errorf("dynamap: transaction get %d on %q: %w", i, g.t.name, err)
		}
		cfg := g.cfg
		get := &types.Get{TableName: &g.t.name, Key: kav}
		if len(cfg.attrs) > 0 {
			expr, err := projectionExpr(g.t.knownSchema(), cfg.attrs)
			if err != nil {
				return nil, err
			}
			get.ProjectionExpression, get.ExpressionAttributeNames = expr.Projection(), expr.Names()
		}
		in.TransactItems[i] = types.TransactGetItem{Get: get}
	}
	out, err := c.API().TransactGetItems(ctx, in)
	if err != nil {
		return nil, errorf("dynamap: transact get: %w", wrapErr(err))
	}
	items := make([]*Item, len(gets))
	for i, r := range out.Responses {
		if i < len(items) && len(r.Item) > 0 {
			items[i] = newLoadedItem(gets[i].t, r.Item)
			items[i].markLoaded(in.TransactItems[i].Get.ProjectionExpression != nil, gets[i].cfg.attrs)
		}
	}
	for i, g := range gets {
		if g.decode == nil {
			continue
		}
		var av map[string]types.AttributeValue
		if i < len(out.Responses) {
			av = out.Responses[i].Item
		}
		if err := g.decode(av); err != nil {
			return items, errorf("dynamap: transaction get %d on %q: %w", i, g.t.name, err)
		}
	}
	return items, nil
}
