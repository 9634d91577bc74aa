package dynamap

import (
	"context"
	"fmt"
	"math/big"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Item is one DynamoDB item of a Table: its attribute values and a copy of
// what it was loaded as, so that it saves only what changed (PartialSave)
// and refuses to overwrite changes made behind its back (Save).
//
// Items come from GetItem, Lookup, Query and Scan (loaded), or from
// NewItem and ItemFrom (new: never loaded). Values are converted when they
// are Set, so a bad value fails at once and nothing is stored. An Item is not
// safe for concurrent use.
type Item struct {
	table   *Table
	data    map[string]types.AttributeValue
	orig    map[string]types.AttributeValue // nil for an item never loaded
	partial bool                            // loaded with a projection (Attributes)
	// shared is true while data and orig are one map (an item just loaded
	// or saved): the first change copies it, so reads that never change
	// their items pay for no copy.
	shared bool
}

// unshare gives data and orig maps of their own before either changes.
func (it *Item) unshare() {
	if it.shared {
		it.data = cloneAVMap(it.orig)
		it.shared = false
	}
}

// newLoadedItem wraps attribute values read from DynamoDB.
func newLoadedItem(t *Table, av map[string]types.AttributeValue) *Item {
	if av == nil {
		av = map[string]types.AttributeValue{}
	}
	return &Item{table: t, data: av, orig: av, shared: true}
}

// avMap returns a copy of the item's attribute values.
func (it *Item) avMap() map[string]types.AttributeValue { return cloneAVMap(it.data) }

// ItemFrom returns a new (never loaded) item of table t holding data: a
// map[string]any, a Key, an *Item (its values are copied), or a struct or
// pointer to one (marshalled with attributevalue, dynamodbav tags apply;
// Number fields are stored as exact numbers). It does no I/O.
func ItemFrom(t *Table, data any) (*Item, error) {
	if data == nil {
		return &Item{table: t, data: map[string]types.AttributeValue{}}, nil
	}
	av, err := marshalItem(data)
	if err != nil {
		return nil, err
	}
	return &Item{table: t, data: av}, nil
}

// Table returns the table the item belongs to.
func (it *Item) Table() *Table { return it.table }

// Get returns the value of the named attribute as a Go value: string,
// Number, []byte, bool, nil (NULL), []any, map[string]any, StringSet,
// NumberSet or BinarySet. It returns nil when the attribute is absent (use
// Has to tell absent from NULL).
func (it *Item) Get(name string) any {
	av, ok := it.data[name]
	if !ok {
		return nil
	}
	return unmarshalValue(av)
}

// GetString returns the named attribute if it is a string; ok is false when
// it is absent or of another type.
func (it *Item) GetString(name string) (s string, ok bool) {
	v, ok := it.data[name].(*types.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	return v.Value, true
}

// GetNumber returns the named attribute if it is a number; ok is false when
// it is absent or of another type.
func (it *Item) GetNumber(name string) (n Number, ok bool) {
	v, ok := it.data[name].(*types.AttributeValueMemberN)
	if !ok {
		return "", false
	}
	return Number(v.Value), true
}

// GetBool returns the named attribute if it is a boolean; ok is false when
// it is absent or of another type.
func (it *Item) GetBool(name string) (b bool, ok bool) {
	v, ok := it.data[name].(*types.AttributeValueMemberBOOL)
	if !ok {
		return false, false
	}
	return v.Value, true
}

// Set stores v under name. v may be any value dynamap can store: a string,
// any Go integer or float, Number, []byte, bool, nil (NULL), []any,
// map[string]any, StringSet, NumberSet, BinarySet, map[T]struct{} (a set),
// or a struct (a map). A value that cannot be stored returns a *ValueError
// and leaves the item unchanged.
func (it *Item) Set(name string, v any) error {
	if name == "" {
		return &ValueError{Reason: "empty attribute name"}
	}
	av, err := marshalValue(v)
	if err != nil {
		return prefixAttr(err, name)
	}
	if it.data == nil {
		it.data = map[string]types.AttributeValue{}
	}
	it.unshare()
	it.data[name] = av
	return nil
}

// Remove deletes the named attributes from the item; absent names are
// ignored. The next Save or PartialSave removes them from DynamoDB.
func (it *Item) Remove(names ...string) {
	it.unshare()
	for _, name := range names {
		delete(it.data, name)
	}
}

// Has reports whether the item holds the named attribute (NULL counts).
func (it *Item) Has(name string) bool {
	_, ok := it.data[name]
	return ok
}

// Names returns the item's attribute names, sorted.
func (it *Item) Names() []string {
	names := make([]string, 0, len(it.data))
	for name := range it.data {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Len returns the number of attributes the item holds.
func (it *Item) Len() int { return len(it.data) }

// Map returns a copy of the item as Go values (see Get for their types).
func (it *Item) Map() map[string]any {
	m := make(map[string]any, len(it.data))
	for k, av := range it.data {
		m[k] = unmarshalValue(av)
	}
	return m
}

// Key returns the item's primary key values, by the table's key schema. It
// does no I/O: the schema must be known (WithSchema, CreateTable, or an
// earlier request that described the table), else the error is ErrSchema.
// A missing, mistyped or empty key attribute is a *KeyError.
func (it *Item) Key() (Key, error) {
	if it.table == nil {
		return nil, fmt.Errorf("%w: item has no table", ErrSchema)
	}
	s := it.table.knownSchema()
	if s == nil {
		return nil, fmt.Errorf("%w: key schema of table %q not known yet", ErrSchema, it.table.name)
	}
	kav, err := it.table.itemKey(s.keys, it.data)
	if err != nil {
		return nil, err
	}
	k := make(Key, len(kav))
	for name, av := range kav {
		k[name] = unmarshalValue(av)
	}
	return k, nil
}

// NeedsSave reports whether the item differs from what it was loaded as
// (for a new item: whether it holds anything). Values are compared, not
// representations: Set("age", 42) on an item loaded with age 42 leaves it
// clean.
func (it *Item) NeedsSave() bool {
	if it.orig == nil {
		return len(it.data) > 0
	}
	return !equalAVMap(it.data, it.orig)
}

// MarkClean makes the item's current values the ones it is considered
// loaded with: NeedsSave becomes false and the next Save or PartialSave
// expects DynamoDB to hold exactly these values.
func (it *Item) MarkClean() {
	if it.data == nil {
		it.data = map[string]types.AttributeValue{}
	}
	it.orig, it.shared = it.data, true
	it.partial = false
}

// Loaded reports whether the item was read from DynamoDB (or saved, or
// marked clean) rather than built with NewItem or ItemFrom.
func (it *Item) Loaded() bool { return it.orig != nil }

// Decode unmarshals the item into v, a pointer to a struct (dynamodbav tags
// apply as attributevalue reads them; Number fields receive exact numbers;
// SS, NS and BS load into StringSet, NumberSet, BinarySet, []string,
// []Number, [][]byte and map[T]struct{} fields) or to a map. Values loaded
// into an interface (any) are those Get returns. Decoded binaries are
// copies.
func (it *Item) Decode(v any) error {
	if err := avDecoder.Decode(&types.AttributeValueMemberM{Value: it.data}, v); err != nil {
		return &ValueError{Reason: fmt.Sprintf("cannot decode item into %T", v), Err: err}
	}
	return nil
}

// Save writes the whole item with PutItem. By default it is conditional, as
// boto's save: every attribute the item was loaded with must still hold its
// loaded value and every attribute added since must still be absent; a new
// (never loaded) item must not exist yet (no item with its hash key). When a
// condition fails nothing is written and the error is
// ErrConditionalCheckFailed. Save(ctx, Overwrite()) writes unconditionally.
// Expected adds conditions of the caller's own. DynamoDB cannot express
// "no other attributes", so an attribute someone else added that the item
// never held is replaced away by Save; WithVersion (or PartialSave, which
// leaves other attributes alone) closes that gap.
//
// On a table WithVersion, Save also requires the stored version to be the
// loaded one (absent for a new item) and writes version+1 (1 for a new
// item); with Overwrite the version is not checked, and the written version
// is the loaded one (or, for a new item, the one its data holds) plus 1.
// An item loaded with Attributes (a projection) cannot be saved without
// Overwrite, since that would drop the attributes not loaded: use
// PartialSave. After a successful Save the item is clean.
func (it *Item) Save(ctx context.Context, opts ...PutOption) error {
	cfg := &writeConfig{}
	for _, o := range opts {
		if o != nil {
			o.applyPut(cfg)
		}
	}
	return it.save(ctx, cfg)
}

func (it *Item) save(ctx context.Context, cfg *writeConfig) error {
	t := it.table
	if t == nil {
		return fmt.Errorf("%w: item has no table", ErrSchema)
	}
	if it.partial && !cfg.overwrite {
		return &ValueError{Reason: "item was loaded with a projection (Attributes); Save would drop the attributes not loaded: use PartialSave or Save with Overwrite"}
	}
	s, err := t.schemaFor(ctx)
	if err != nil {
		return err
	}
	in, err := it.putInput(s, cfg)
	if err != nil {
		return err
	}
	if _, err := t.c.API().PutItem(ctx, in); err != nil {
		return fmt.Errorf("dynamap: put item into %q: %w", t.name, wrapErr(err))
	}
	it.data, it.orig, it.shared = in.Item, in.Item, true
	it.partial = false
	return nil
}

// putInput builds the PutItem of the whole item with Save's conditions and
// version bump; Save and TxPut share it.
func (it *Item) putInput(s *tableSchema, cfg *writeConfig) (*dynamodb.PutItemInput, error) {
	t := it.table
	var err error
	data := it.data
	if t.version != "" {
		data = cloneAVMap(data) // the version is written into the copy
	}
	if data == nil {
		data = map[string]types.AttributeValue{}
	}
	var conds []expression.ConditionBuilder
	if !cfg.overwrite {
		if it.orig == nil {
			conds = append(conds, expression.AttributeNotExists(expression.NameNoDotSplit(s.keys[0].Name)))
		} else {
			for _, name := range sortedAVNames(it.orig) {
				if name == t.version {
					continue
				}
				conds = append(conds, expression.NameNoDotSplit(name).Equal(expression.Value(it.orig[name])))
			}
			for _, name := range sortedAVNames(data) {
				if _, had := it.orig[name]; !had && name != t.version {
					conds = append(conds, expression.AttributeNotExists(expression.NameNoDotSplit(name)))
				}
			}
		}
	}
	if t.version != "" {
		var next types.AttributeValue
		switch {
		case it.orig != nil:
			next, err = nextVersion(t.version, it.orig[t.version])
			if err == nil && !cfg.overwrite {
				conds = append(conds, versionCondition(t.version, it.orig[t.version]))
			}
		case cfg.overwrite:
			next, err = nextVersion(t.version, data[t.version])
		default:
			next = numAV("1")
		}
		if err != nil {
			return nil, err
		}
		data[t.version] = next
	}
	if err := t.checkItem(s, data); err != nil {
		return nil, err
	}
	cond, err := combineConditions(conds, cfg)
	if err != nil {
		return nil, err
	}
	in := &dynamodb.PutItemInput{TableName: &t.name, Item: data}
	if cond != nil {
		expr, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			return nil, &ValueError{Reason: "cannot build condition", Err: err}
		}
		in.ConditionExpression = expr.Condition()
		in.ExpressionAttributeNames = expr.Names()
		in.ExpressionAttributeValues = expr.Values()
	}
	return in, nil
}

// PartialSave writes only what changed since the item was loaded, with one
// UpdateItem: SET for changed and added attributes, REMOVE for removed ones.
// It is conditioned on exactly those attributes still holding their loaded
// values (still being absent, for ones added), so concurrent changes to
// other attributes are kept, and colliding ones fail with
// ErrConditionalCheckFailed, writing nothing. A clean item sends nothing.
// Key attributes cannot be changed (a *KeyError before any request). A new
// item writes all its attributes, each conditioned on being absent.
//
// On a table WithVersion, PartialSave also requires the loaded version
// (absent for a new item) and writes version+1. After a successful
// PartialSave the item is clean.
func (it *Item) PartialSave(ctx context.Context) error {
	t := it.table
	if t == nil {
		return fmt.Errorf("%w: item has no table", ErrSchema)
	}
	if it.orig != nil && equalAVMap(it.data, it.orig) {
		return nil
	}
	s, err := t.schemaFor(ctx)
	if err != nil {
		return err
	}
	key, err := t.itemKey(s.keys, it.data)
	if err != nil {
		return err
	}
	isKey := func(name string) bool {
		return slices.ContainsFunc(s.keys, func(f KeyField) bool { return f.Name == name })
	}
	if it.orig != nil {
		for _, f := range s.keys {
			if !equalAV(it.orig[f.Name], it.data[f.Name]) {
				return &KeyError{Table: t.name, Attribute: f.Name, Reason: "key attributes cannot be changed by PartialSave (Save the item under its new key and Delete the old one)"}
			}
		}
	}
	// The actions first (SET what changed or was added, REMOVE what was
	// removed, SET the next version), then the conditions on the same
	// attributes, in the same order.
	var changedBuf [8]string
	changed, removed := changedBuf[:0], []string(nil)
	for name, av := range it.data {
		if isKey(name) || name == t.version {
			continue
		}
		if old, had := it.orig[name]; !had || !equalAV(old, av) {
			changed = append(changed, name)
		}
	}
	for name := range it.orig {
		if _, ok := it.data[name]; ok || isKey(name) || name == t.version {
			continue
		}
		removed = append(removed, name)
	}
	// Sorted, so that the same change always makes the same expression.
	slices.Sort(changed)
	slices.Sort(removed)
	shape := newUpdateShape(2*(len(changed)+len(removed)) + 3)
	for _, name := range changed {
		shape.Set(name, it.data[name])
	}
	for _, name := range removed {
		shape.Remove(name)
	}
	var next types.AttributeValue
	if t.version != "" {
		next, err = nextVersion(t.version, it.orig[t.version])
		if err != nil {
			return err
		}
		shape.Set(t.version, next)
	}
	for _, name := range changed {
		if old, had := it.orig[name]; had {
			shape.Equal(name, old)
		} else {
			shape.Absent(name)
		}
	}
	for _, name := range removed {
		shape.Equal(name, it.orig[name])
	}
	if t.version != "" {
		if loaded := it.orig[t.version]; loaded != nil {
			shape.Equal(t.version, loaded)
		} else {
			shape.Absent(t.version)
		}
	}
	if it.orig == nil {
		shape.Absent(s.keys[0].Name)
	}
	expr, err := shape.build()
	if err != nil {
		return &ValueError{Reason: "cannot build update", Err: err}
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 &t.name,
		Key:                       key,
		UpdateExpression:          expr.update,
		ConditionExpression:       expr.condition,
		ExpressionAttributeNames:  expr.names,
		ExpressionAttributeValues: expr.values,
	}
	if _, err := t.c.API().UpdateItem(ctx, in); err != nil {
		return fmt.Errorf("dynamap: update item in %q: %w", t.name, wrapErr(err))
	}
	// DynamoDB now holds the loaded values plus what was written; when the
	// item was loaded whole, that is exactly the item's data.
	it.unshare()
	if next != nil {
		it.data[t.version] = next
	}
	if it.orig == nil {
		it.orig = map[string]types.AttributeValue{}
		for _, f := range s.keys {
			it.orig[f.Name] = it.data[f.Name]
		}
	}
	for _, name := range changed {
		it.orig[name] = it.data[name]
	}
	for _, name := range removed {
		delete(it.orig, name)
	}
	if next != nil {
		it.orig[t.version] = next
	}
	return nil
}

// Delete deletes the item from DynamoDB (by the key it was loaded with, or
// its current key for a new item). Expected and MatchAny add conditions; on
// a table WithVersion the stored version must be the loaded one (absent for
// a new item). A failed condition is ErrConditionalCheckFailed and deletes
// nothing. After a successful Delete the item counts as new (never loaded),
// so a Save recreates it only if no other item took its key.
func (it *Item) Delete(ctx context.Context, opts ...DeleteOption) error {
	t := it.table
	if t == nil {
		return fmt.Errorf("%w: item has no table", ErrSchema)
	}
	cfg := &writeConfig{}
	for _, o := range opts {
		if o != nil {
			o.applyDelete(cfg)
		}
	}
	s, err := t.schemaFor(ctx)
	if err != nil {
		return err
	}
	src := it.orig
	if src == nil {
		src = it.data
	}
	key, err := t.itemKey(s.keys, src)
	if err != nil {
		return err
	}
	var conds []expression.ConditionBuilder
	if t.version != "" {
		conds = append(conds, versionCondition(t.version, it.orig[t.version]))
	}
	cond, err := combineConditions(conds, cfg)
	if err != nil {
		return err
	}
	in := &dynamodb.DeleteItemInput{TableName: &t.name, Key: key}
	if cond != nil {
		expr, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			return &ValueError{Reason: "cannot build condition", Err: err}
		}
		in.ConditionExpression = expr.Condition()
		in.ExpressionAttributeNames = expr.Names()
		in.ExpressionAttributeValues = expr.Values()
	}
	if _, err := t.c.API().DeleteItem(ctx, in); err != nil {
		return fmt.Errorf("dynamap: delete item from %q: %w", t.name, wrapErr(err))
	}
	it.orig, it.shared = nil, false
	it.partial = false
	return nil
}

// combineConditions ANDs the call's own conditions with the caller's
// Expected filters (compiled with MatchAny when asked). It returns nil when
// there is no condition at all.
func combineConditions(conds []expression.ConditionBuilder, cfg *writeConfig) (*expression.ConditionBuilder, error) {
	if len(cfg.expected) > 0 {
		c, ok, err := buildCondition(cfg.expected, cfg.matchAny)
		if err != nil {
			return nil, err
		}
		if ok {
			conds = append(conds, c)
		}
	}
	switch len(conds) {
	case 0:
		return nil, nil
	case 1:
		return &conds[0], nil
	}
	c := expression.And(conds[0], conds[1], conds[2:]...)
	return &c, nil
}

// versionCondition requires the version attribute to hold loaded, or to be
// absent when loaded is nil.
func versionCondition(name string, loaded types.AttributeValue) expression.ConditionBuilder {
	if loaded == nil {
		return expression.AttributeNotExists(expression.NameNoDotSplit(name))
	}
	return expression.NameNoDotSplit(name).Equal(expression.Value(loaded))
}

// nextVersion returns cur+1 (1 when cur is nil). A version that is not an
// integer number is a *ValueError.
func nextVersion(name string, cur types.AttributeValue) (types.AttributeValue, error) {
	if cur == nil {
		return numAV("1"), nil
	}
	n, ok := cur.(*types.AttributeValueMemberN)
	if !ok {
		return nil, &ValueError{Attribute: name, Reason: fmt.Sprintf("version attribute holds %s, not a number", avKind(cur))}
	}
	r, ok := parseDecimal(n.Value)
	if !ok || !r.IsInt() {
		return nil, &ValueError{Attribute: name, Reason: fmt.Sprintf("version %s is not an integer", n.Value)}
	}
	v := new(big.Int).Add(r.Num(), big.NewInt(1))
	return numAV(v.String()), nil
}

func sortedAVNames(m map[string]types.AttributeValue) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// knownSchema returns the table's schema if it is known, without I/O.
func (t *Table) knownSchema() *tableSchema {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.schema
}
