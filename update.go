package dynamap

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/cond"
)

// UpdateItemOption is an argument of Table.UpdateItem: an UpdateAction, or
// ReturnNew, ReturnOld or SDKOptions, which only UpdateItem takes.
type UpdateItemOption interface{ applyItemUpdate(*updateConfig) }

// UpdateAction is an action or modifier that fits both Table.UpdateItem and
// Table.TxUpdate: SetValue, SetDefault, Add, RemoveAttr, DeleteFromSet,
// Strict, If. ReturnNew and ReturnOld are UpdateOptions only: a transaction
// returns no item, so TxUpdate(key, ReturnNew()) does not compile.
type UpdateAction interface {
	UpdateItemOption
	applyTxUpdate(*updateConfig)
}

type updateKind int

const (
	updSet updateKind = iota
	updSetDefault
	updAdd
	updRemove
	updDelete
)

type updateOp struct {
	kind updateKind
	name string
	av   types.AttributeValue
}

// updateConfig collects UpdateItem's actions and modifiers.
type updateConfig struct {
	codec  *codec.Codec // the table's: it encodes the actions' values
	ops    []updateOp
	conds  []Condition // If conditions, ANDed
	strict bool
	ret    types.ReturnValue
	sdk    []func(*dynamodb.Options) // SDKOptions, passed to the request
	err    error                     // first bad action, reported before any request
}

// updateFunc is an UpdateAction: it fits UpdateItem and TxUpdate.
type updateFunc func(*updateConfig)

func (f updateFunc) applyItemUpdate(c *updateConfig) { f(c) }
func (f updateFunc) applyTxUpdate(c *updateConfig)   { f(c) }

// updateItemFunc is an UpdateItemOption that fits UpdateItem only.
type updateItemFunc func(*updateConfig)

func (f updateItemFunc) applyItemUpdate(c *updateConfig) { f(c) }

func updateOpAction(kind updateKind, name string, v any, check func(types.AttributeValue) string) UpdateAction {
	return updateFunc(func(c *updateConfig) {
		if c.err != nil {
			return
		}
		if name == "" {
			c.err = &ValueError{Reason: "empty attribute name in update"}
			return
		}
		op := updateOp{kind: kind, name: name}
		if kind != updRemove {
			av, err := c.codec.Marshal(v)
			if err != nil {
				c.err = codec.PrefixAttr(err, name)
				return
			}
			if check != nil {
				if reason := check(av); reason != "" {
					c.err = &ValueError{Attribute: name, Reason: reason}
					return
				}
			}
			op.av = av
		}
		c.ops = append(c.ops, op)
	})
}

// SetValue sets the value at name to v. name, here and in every update
// action, is a document path ("address.city", "tags[0]"; a key attribute's
// name and Name("a.b") are literal names, see Name).
func SetValue(name string, v any) UpdateAction { return updateOpAction(updSet, name, v, nil) }

// SetDefault sets the attribute at name to v only if it is absent
// (if_not_exists); an existing value is kept.
func SetDefault(name string, v any) UpdateAction { return updateOpAction(updSetDefault, name, v, nil) }

// Add adds v to the attribute at name: a number is added to a number (an
// absent attribute counts as 0), a set (StringSet, NumberSet, BinarySet or
// map[T]struct{}) is merged into a set of the same kind (an absent attribute
// counts as empty). Any other value is a *ValueError.
func Add(name string, v any) UpdateAction {
	return updateOpAction(updAdd, name, v, func(av types.AttributeValue) string {
		switch av.(type) {
		case *types.AttributeValueMemberN, *types.AttributeValueMemberSS,
			*types.AttributeValueMemberNS, *types.AttributeValueMemberBS:
			return ""
		}
		return fmt.Sprintf("Add needs a number or a set, got %s", codec.Kind(av))
	})
}

// RemoveAttr removes the attribute at name.
func RemoveAttr(name string) UpdateAction { return updateOpAction(updRemove, name, nil, nil) }

// DeleteFromSet removes the elements of set (a StringSet, NumberSet,
// BinarySet or map[T]struct{}) from the set attribute at name. Any other
// value is a *ValueError.
func DeleteFromSet(name string, set any) UpdateAction {
	return updateOpAction(updDelete, name, set, func(av types.AttributeValue) string {
		switch av.(type) {
		case *types.AttributeValueMemberSS, *types.AttributeValueMemberNS, *types.AttributeValueMemberBS:
			return ""
		}
		return fmt.Sprintf("DeleteFromSet needs a set, got %s", codec.Kind(av))
	})
}

// Strict makes UpdateItem update only an existing item: when no item has
// the key, nothing is written and the error is ErrConditionalCheckFailed.
// Default: upsert (a missing item is created from the key and the actions).
func Strict() UpdateAction { return updateFunc(func(c *updateConfig) { c.strict = true }) }

// If makes UpdateItem conditional on the stored item matching cond (see
// Condition); several are ANDed, use Or or AnyOf to OR conditions. A failed
// condition is ErrConditionalCheckFailed. A Filter is copied, its values
// converted, when If is called. Default: no condition.
func If(cnd Condition) UpdateAction {
	cnd = freezeCondition(cnd)
	return updateFunc(func(c *updateConfig) { c.conds = append(c.conds, cnd) })
}

// ReturnNew makes UpdateItem return the whole item as it is after the
// update. It fits UpdateItem only (TxUpdate(key, ReturnNew()) does not
// compile). Default: no item is returned.
func ReturnNew() UpdateItemOption {
	return updateItemFunc(func(c *updateConfig) { c.ret = types.ReturnValueAllNew })
}

// ReturnOld makes UpdateItem return the whole item as it was before the
// update (nil when the update created it). It fits UpdateItem only.
// Default: no item is returned.
func ReturnOld() UpdateItemOption {
	return updateItemFunc(func(c *updateConfig) { c.ret = types.ReturnValueAllOld })
}

// UpdateItem changes one item in place with a single UpdateItem request,
// atomically: actions SetValue, SetDefault, Add, RemoveAttr and
// DeleteFromSet, modifiers Strict (the item must exist; default: upsert), If
// (conditions), ReturnNew or ReturnOld, and SDKOptions. The returned item
// is nil unless ReturnNew or ReturnOld was given. A failed condition (If,
// Strict) is a *ConditionFailedError (errors.Is ErrConditionalCheckFailed)
// whose Item is the stored item, nil when none had the key. On a table WithVersion the version
// attribute is incremented too (unless an action names it), so that copies
// loaded earlier go stale. Bad actions and key errors are returned before
// any request; at least one action is required. So is a value DynamoDB
// would refuse: for an index key attribute (a top-level name), one of the
// wrong type, an empty string or binary, or one over the key size limit
// (2048 bytes for a hash key, 1024 for a range key) is a *KeyError, as is
// a path below an index key; a map with an empty key, or maps and lists
// nested deeper than DynamoDB's 32 levels (the path's own steps counted),
// is a *ValueError. RemoveAttr of an index key is fine: the item leaves the
// index.
func (t *Table) UpdateItem(ctx context.Context, key Key, actions ...UpdateItemOption) (*Item, error) {
	cfg := applyOptions(&updateConfig{codec: t.codec()}, actions, UpdateItemOption.applyItemUpdate)
	if cfg.err != nil {
		return nil, cfg.err
	}
	if len(cfg.ops) == 0 {
		return nil, &ValueError{Reason: "UpdateItem needs at least one action (SetValue, SetDefault, Add, RemoveAttr, DeleteFromSet)"}
	}
	out, err := t.updateItem(ctx, key, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.ret == "" || len(out.Attributes) == 0 {
		return nil, nil
	}
	return newLoadedItem(t, out.Attributes), nil
}

func (t *Table) updateItem(ctx context.Context, key Key, cfg *updateConfig) (*dynamodb.UpdateItemOutput, error) {
	s, err := t.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	kav, expr, err := t.buildUpdate(s, key, cfg)
	if err != nil {
		return nil, err
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 &t.name,
		Key:                       kav,
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              cfg.ret,
	}
	if in.ConditionExpression != nil {
		in.ReturnValuesOnConditionCheckFailure = onConditionFailure
	}
	out, err := t.c.API().UpdateItem(ctx, in, cfg.sdk...)
	if err != nil {
		return nil, errorf("dynamap: update item in %q: %w", t.name, t.writeErr(err))
	}
	return out, nil
}

// buildUpdate checks key and turns cfg's actions into an update expression
// with its conditions (Strict, If), bumping the version attribute on a
// table WithVersion unless an action names it. UpdateItem and TxUpdate share
// it.
func (t *Table) buildUpdate(s *tableSchema, key Key, cfg *updateConfig) (map[string]types.AttributeValue, expression.Expression, error) {
	kav, err := t.keyFromValues(s.keys, key)
	if err != nil {
		return nil, expression.Expression{}, err
	}
	var upd expression.UpdateBuilder
	touchesVersion := false
	isKey := keyAttrNames(s, t.version)
	for _, op := range cfg.ops {
		p, err := cond.ResolvePath(op.name, isKey)
		if err != nil {
			return nil, expression.Expression{}, err
		}
		for _, f := range s.keys {
			if p.Top() == f.Name {
				return nil, expression.Expression{}, &KeyError{Table: t.name, Attribute: f.Name, Reason: "key attributes cannot be updated"}
			}
		}
		if err := t.checkUpdateOp(s, p, op); err != nil {
			return nil, expression.Expression{}, err
		}
		if t.version != "" && p.Top() == t.version {
			touchesVersion = true
		}
		name := p.Builder()
		switch op.kind {
		case updSet:
			upd = upd.Set(name, expression.Value(op.av))
		case updSetDefault:
			upd = upd.Set(name, expression.IfNotExists(name, expression.Value(op.av)))
		case updAdd:
			upd = upd.Add(name, expression.Value(op.av))
		case updRemove:
			upd = upd.Remove(name)
		case updDelete:
			upd = upd.Delete(name, expression.Value(op.av))
		}
	}
	if t.version != "" && !touchesVersion {
		upd = upd.Add(cond.ExprName(t.version), expression.Value(codec.N("1")))
	}
	var conds []expression.ConditionBuilder
	if cfg.strict {
		conds = append(conds, expression.AttributeExists(cond.ExprName(s.keys[0].Name)))
	}
	cnd, err := combineConditions(conds, &writeConfig{expected: cfg.conds}, isKey, t.codec())
	if err != nil {
		return nil, expression.Expression{}, err
	}
	b := expression.NewBuilder().WithUpdate(upd)
	if cnd != nil {
		b = b.WithCondition(*cnd)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, expression.Expression{}, &ValueError{Reason: "cannot build update", Err: err}
	}
	cond.UnaliasNames(expr.Names()) // the version and key names cond.ExprName stood in for
	if err := cond.CheckExprLimits(expr); err != nil {
		return nil, expression.Expression{}, err
	}
	return kav, expr, nil
}

// checkUpdateOp checks what op writes at p as DynamoDB would, before any
// request: a value written to a top-level attribute goes through checkAttr
// (an index key keeps its key type, is not empty and fits the key size
// limit); a value written below one holds no empty map key and does not
// take the attribute deeper than DynamoDB's 32 levels. An index key is a
// scalar, so no path reaches below one. Removing an index key is fine: the
// item leaves the index.
func (t *Table) checkUpdateOp(s *tableSchema, p cond.Path, op updateOp) error {
	if p.Nested() {
		if ix := indexKeyOf(s, p.Top()); ix != "" {
			return &KeyError{Table: t.name, Attribute: p.Top(), Reason: fmt.Sprintf("key of index %q: a key value is a scalar, %q reaches below it", ix, p.String())}
		}
	}
	if op.av == nil {
		return nil
	}
	if !p.Nested() {
		return t.checkAttr(s, p.Top(), op.av)
	}
	if err := checkNested(op.av, len(p)-1); err != nil {
		return codec.PrefixAttr(err, p.String())
	}
	return nil
}

// Increment atomically adds by (any Go integer or float, or a Number;
// negative to decrement) to the number at path attr (a document path, see
// Name: "count", "stats.views", "m.arr[1]", Name("a.b")) of the item with
// the given key and returns the new value. A missing item or attribute
// counts as 0 (upsert): concurrent Increments never lose an update. Like any
// ADD, it is not idempotent: if the connection breaks after DynamoDB applied
// it, the SDK's retry applies it again (conn.Measurement.Attempts > 1 shows
// such retries). For exactly-once counting use TransactWrite with TxUpdate
// and an IdempotencyToken.
func (t *Table) Increment(ctx context.Context, key Key, attr string, by any) (Number, error) {
	n, err := t.codec().NumberText(by)
	if err != nil {
		return "", codec.PrefixAttr(err, attr)
	}
	s, err := t.schemaFor(ctx)
	if err != nil {
		return "", err
	}
	p, err := cond.ResolvePath(attr, keyAttrNames(s, t.version))
	if err != nil {
		return "", err
	}
	cfg := &updateConfig{codec: t.codec(), ret: types.ReturnValueUpdatedNew}
	Add(attr, Number(n)).applyItemUpdate(cfg)
	if cfg.err != nil {
		return "", cfg.err
	}
	out, err := t.updateItem(ctx, key, cfg)
	if err != nil {
		return "", err
	}
	v, ok := updatedValue(p, out.Attributes)
	if !ok {
		return "", &ValueError{Attribute: attr, Reason: "DynamoDB returned no new value (the ADD was applied)"}
	}
	num, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return "", &ValueError{Attribute: attr, Reason: fmt.Sprintf("new value is %s, not a number (the ADD was applied)", codec.Kind(v))}
	}
	return Number(num.Value), nil
}

// updatedValue finds the value at p in an UPDATED_NEW answer, which holds
// the top-level attributes the update touched. DynamoDB may return a list
// along the path projected down to the one element updated (as a
// projection of "a[3]" returns a one-element list): an index past the end
// of a one-element list is that element, since an update of an index past
// the end would have failed.
func updatedValue(p cond.Path, attrs map[string]types.AttributeValue) (types.AttributeValue, bool) {
	v, ok := attrs[p.Top()]
	for _, st := range p[1:] {
		if !ok {
			return nil, false
		}
		if l, isList := v.(*types.AttributeValueMemberL); st.IsIndex && isList && st.Index >= len(l.Value) && len(l.Value) == 1 {
			v = l.Value[0]
			continue
		}
		v, ok = cond.StepInto(v, st)
	}
	return v, ok
}

// RemoveAttributes removes the values at names (document paths, see Name)
// from an existing item. It never creates an item: when no item has the key the
// error is ErrConditionalCheckFailed. Absent attributes are ignored.
func (t *Table) RemoveAttributes(ctx context.Context, key Key, names ...string) error {
	actions := make([]UpdateItemOption, 0, len(names)+1)
	for _, n := range names {
		actions = append(actions, RemoveAttr(n))
	}
	actions = append(actions, Strict())
	_, err := t.UpdateItem(ctx, key, actions...)
	return err
}
