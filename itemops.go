package dynamap

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamap/dynamap/internal/cond"
)

// GetItem reads the item with the given key. Options: Consistent (default:
// eventually consistent) and Attributes (default: every attribute). With
// Attributes the item also holds the table's key attributes, so Key and
// PartialSave work; it cannot be Saved (that would drop the attributes not
// loaded). When no item has the key the error is ErrItemNotFound. A
// missing, mistyped or empty key attribute is a *KeyError, a bad
// Attributes path a *ValueError, and Attributes over DynamoDB's expression
// limits (4 KB, 300 operators) a *FilterError wrapping ErrInvalidFilter,
// returned before any request.
func (t *Table) GetItem(ctx context.Context, key Key, opts ...GetOption) (*Item, error) {
	cfg := applyOptions(&readConfig{}, opts, GetOption.applyGet)
	s, err := t.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	kav, err := t.keyFromValues(s.keys, key)
	if err != nil {
		return nil, err
	}
	return t.getItem(ctx, s, kav, cfg)
}

func (t *Table) getItem(ctx context.Context, s *tableSchema, kav map[string]types.AttributeValue, cfg *readConfig) (*Item, error) {
	av, err := t.getRaw(ctx, s, kav, cfg)
	if err != nil {
		return nil, err
	}
	it := newLoadedItem(t, av)
	it.markLoaded(len(cfg.attrs) > 0, cfg.attrs)
	return it, nil
}

// getRaw is getItem without the Item: the item as the SDK returned it
// (never empty: ErrItemNotFound).
func (t *Table) getRaw(ctx context.Context, s *tableSchema, kav map[string]types.AttributeValue, cfg *readConfig) (map[string]types.AttributeValue, error) {
	in := &dynamodb.GetItemInput{TableName: &t.name, Key: kav}
	if cfg.consistent {
		in.ConsistentRead = ptr(true)
	}
	if len(cfg.attrs) > 0 {
		expr, err := projectionExpr(s, cfg.attrs)
		if err != nil {
			return nil, err
		}
		in.ProjectionExpression = expr.Projection()
		in.ExpressionAttributeNames = expr.Names()
	}
	out, err := t.c.API().GetItem(ctx, in, cfg.sdk...)
	if err != nil {
		return nil, errorf("dynamap: get item from %q: %w", t.name, wrapErr(err))
	}
	if len(out.Item) == 0 {
		return nil, fmt.Errorf("%w in %q", ErrItemNotFound, t.name)
	}
	return out.Item, nil
}

// readProjection builds the projection of a read with Attributes. Each of
// attrs is a document path by the names rule (names.go), except that a
// string equal to a key attribute's name (of the table or of one of its
// indexes) is that literal name; a path below a key attribute is dropped
// (keys are scalars: it selects nothing). The table's key attributes are
// always added, literally, so that every item knows its key; so are the
// attributes of extra (a resume key's), and those of extra added only for
// that are returned in strip, for the caller to remove from the items. A
// bad path is a *ValueError.
func readProjection(s *tableSchema, attrs, extra []string) (proj expression.ProjectionBuilder, strip []string, err error) {
	isKey := keyAttrNames(s, "")
	var paths []string // the paths added, as cond.Path.String spells them
	add := func(p cond.Path) bool {
		ps := p.String()
		if slices.Contains(paths, ps) {
			return false
		}
		paths = append(paths, ps)
		proj = proj.AddNames(p.Builder())
		return true
	}
	for _, a := range attrs {
		p, err := cond.ResolvePath(a, isKey)
		if err != nil {
			return proj, nil, err
		}
		if p.Nested() && isKey(p.Top()) {
			continue
		}
		add(p)
	}
	for _, f := range s.keys {
		add(cond.LiteralPath(f.Name))
	}
	for _, name := range extra {
		if add(cond.LiteralPath(name)) {
			strip = append(strip, name)
		}
	}
	return proj, strip, nil
}

// projectionExpr builds the projection expression of GetItem, HasItem,
// BatchGet and TransactGet: attrs (see readProjection; may be empty) plus
// the table's key attributes. It goes through cond.BuildExpr, as every read's
// expressions do: a projection over DynamoDB's limits (4 KB, 300
// operators) is a *FilterError wrapping ErrInvalidFilter, before any
// request.
func projectionExpr(s *tableSchema, attrs []string) (expression.Expression, error) {
	proj, _, err := readProjection(s, attrs, nil)
	if err != nil {
		return expression.Expression{}, err
	}
	return cond.BuildExpr(expression.NewBuilder().WithProjection(proj))
}

// HasItem reports whether an item with the given key exists (boto's
// has_item). It fetches only the key attributes. Options as GetItem.
func (t *Table) HasItem(ctx context.Context, key Key, opts ...GetOption) (bool, error) {
	cfg := applyOptions(&readConfig{}, opts, GetOption.applyGet)
	s, err := t.schemaFor(ctx)
	if err != nil {
		return false, err
	}
	kav, err := t.keyFromValues(s.keys, key)
	if err != nil {
		return false, err
	}
	cfg.attrs = []string{s.keys[0].Name} // a key name: literal
	if _, err := t.getItem(ctx, s, kav, cfg); err != nil {
		if errors.Is(err, ErrItemNotFound) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Lookup reads an item by its key values given positionally, hash key first
// then range key, as the table's schema orders them (learnt with one
// DescribeTable if needed). Too few or too many values are a *KeyError;
// ErrItemNotFound when absent. Reads are eventually consistent.
func (t *Table) Lookup(ctx context.Context, hash any, rangeKey ...any) (*Item, error) {
	s, kav, err := t.lookupKey(ctx, hash, rangeKey)
	if err != nil {
		return nil, err
	}
	return t.getItem(ctx, s, kav, &readConfig{})
}

// lookupKey is the checked primary key of Lookup's positional key values
// (hash first, then range), with the schema it was built for.
func (t *Table) lookupKey(ctx context.Context, hash any, rangeKey []any) (*tableSchema, map[string]types.AttributeValue, error) {
	s, err := t.schemaFor(ctx)
	if err != nil {
		return nil, nil, err
	}
	values := append([]any{hash}, rangeKey...)
	if len(values) > len(s.keys) {
		return nil, nil, &KeyError{Table: t.name, Reason: fmt.Sprintf("the table has %d key attributes, got %d values (the first extra one is %v)", len(s.keys), len(values), values[len(s.keys)])}
	}
	key := Key{}
	for i, v := range values {
		key[s.keys[i].Name] = v
	}
	kav, err := t.keyFromValues(s.keys, key)
	if err != nil {
		return nil, nil, err
	}
	return s, kav, nil
}

// NewItem returns a new (never loaded) item of the table holding data (see
// ItemFrom for what data may be; nil gives an empty item). It does no I/O;
// a value that cannot be stored is a *ValueError. Save it to create it.
func (t *Table) NewItem(data any) (*Item, error) { return ItemFrom(t, data) }

// PutItem writes a whole item. data is a map[string]any, an *Item (its
// current values), or a struct or pointer to one. By default PutItem refuses
// to replace an existing item (condition: no item with the same key, that
// is the same hash key and, on a table with one, range key), and a
// clash fails with a *ConditionFailedError (errors.Is
// ErrConditionalCheckFailed) whose Item is the stored item; Overwrite()
// replaces unconditionally. Expected adds conditions on the stored item
// (combine it with Overwrite to replace only an item that matches).
// OldItem(&old) returns the item replaced, nil when there was none. On a table
// WithVersion a created item gets version 1; with Overwrite the version is
// not checked and the one in data plus 1 (1 when data has none) is written.
// Key errors are returned before any request.
//
// If the connection breaks after DynamoDB applied the put, the SDK retries
// it, and the retry of a conditional put fails against the item it wrote
// itself (ErrConditionalCheckFailed although the data is stored): check with
// GetItem when that matters, or use TransactWrite, which carries an
// idempotency token.
func (t *Table) PutItem(ctx context.Context, data any, opts ...PutOption) error {
	av, err := encodeItem(t.codec(), data)
	if err != nil {
		return err
	}
	cfg := applyOptions(&writeConfig{}, opts, PutOption.applyPut)
	it := &Item{table: t, data: av}
	return it.save(ctx, cfg)
}

// DeleteItem deletes the item with the given key. Expected(cond) makes
// the delete conditional on the stored item (several ANDed; see
// Condition). It returns true when an item was deleted and false, nil when
// no item had the key. A failed condition deletes nothing and is a
// *ConditionFailedError (errors.Is ErrConditionalCheckFailed) whose Item is
// the stored item. OldItem(&old) returns the deleted item. It does not
// check versions (use Item.Delete for that). Key errors are returned before
// any request. If the connection breaks after DynamoDB applied the delete,
// the SDK's retry finds nothing and DeleteItem reports false for the item
// it deleted.
func (t *Table) DeleteItem(ctx context.Context, key Key, opts ...DeleteOption) (bool, error) {
	cfg := applyOptions(&writeConfig{}, opts, DeleteOption.applyDelete)
	kav, err := t.keyAV(ctx, key)
	if err != nil {
		return false, err
	}
	cnd, err := combineConditions(nil, cfg, keyAttrNames(t.knownSchema(), t.version), t.codec())
	if err != nil {
		return false, err
	}
	in := &dynamodb.DeleteItemInput{TableName: &t.name, Key: kav, ReturnValues: types.ReturnValueAllOld}
	if cnd != nil {
		expr, err := cond.BuildExpr(expression.NewBuilder().WithCondition(*cnd))
		if err != nil {
			return false, err
		}
		in.ConditionExpression = expr.Condition()
		in.ExpressionAttributeNames = expr.Names()
		in.ExpressionAttributeValues = expr.Values()
		in.ReturnValuesOnConditionCheckFailure = onConditionFailure
	}
	out, err := t.c.API().DeleteItem(ctx, in, cfg.sdk...)
	if err != nil {
		return false, errorf("dynamap: delete item from %q: %w", t.name, t.writeErr(err))
	}
	cfg.setOld(t, out.Attributes)
	return len(out.Attributes) > 0, nil
}
