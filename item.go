package dynamap

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/cond"
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
	// removals are top-level attributes a partial item did not load and
	// Remove was asked to remove: the next PartialSave REMOVEs them.
	removals []string
	// nested maps each top-level attribute a partial item loaded through a
	// nested projection (Attributes("address.city")) to the projected
	// paths below it: its value holds only those parts, so the item refuses
	// changes below it, and PartialSave conditions a change of the whole
	// attribute on those parts. Never modified once set (copied on change).
	nested map[string][]cond.Path
	// rewrites are attributes of nested that Set replaced whole: the next
	// PartialSave writes them even when the new value equals the loaded
	// part (which is not what DynamoDB holds).
	rewrites []string
}

// markLoaded records how a read loaded the item: partial when it was read
// with a projection (attrs, the Attributes paths, or an index that does not
// project every attribute), and which top-level attributes attrs loaded only
// in part. The reading code calls it on every item it yields.
func (it *Item) markLoaded(partial bool, attrs []string) {
	it.partial = partial
	if !partial || it.table == nil || !slices.ContainsFunc(attrs, func(a string) bool { return strings.ContainsAny(a, ".[`") }) {
		return // every path is a top-level name
	}
	it.nested = nestedProjection(it.table.knownSchema(), attrs)
}

// nestedProjection returns the top-level attributes that the projection
// of attrs (read as readProjection reads them) loads only in part, with
// the projected paths below each.
func nestedProjection(s *tableSchema, attrs []string) map[string][]cond.Path {
	isKey := keyAttrNames(s, "")
	var nested map[string][]cond.Path
	whole := map[string]bool{}
	for _, a := range attrs {
		p, err := cond.ResolvePath(a, isKey)
		if err != nil || (isKey != nil && isKey(p.Top())) {
			continue // the read refused it, or it selects (part of) a key: loaded whole
		}
		if !p.Nested() {
			whole[p.Top()] = true
			continue
		}
		if nested == nil {
			nested = map[string][]cond.Path{}
		}
		nested[p.Top()] = append(nested[p.Top()], p)
	}
	for name := range whole {
		delete(nested, name)
	}
	return nested
}

// loadedInPart returns the error of a change at path p below an attribute
// the item loaded only in part (nil when p is not below one).
func (it *Item) loadedInPart(s string, p cond.Path) error {
	if !p.Nested() || it.nested[p.Top()] == nil {
		return nil
	}
	loaded := make([]string, len(it.nested[p.Top()]))
	for i, lp := range it.nested[p.Top()] {
		loaded[i] = lp.String()
	}
	return &ValueError{Attribute: s, Reason: fmt.Sprintf("the item loaded only part of %q (%s): Set or Remove the whole attribute, or change the path with Table.UpdateItem", p.Top(), strings.Join(loaded, ", "))}
}

// unshare gives data and orig maps of their own before either changes.
func (it *Item) unshare() {
	if it.shared {
		it.data = maps.Clone(it.orig)
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
func (it *Item) avMap() map[string]types.AttributeValue { return maps.Clone(it.data) }

// ItemFrom returns a new (never loaded) item of table t holding data: a
// map[string]any, a Key, an *Item (its values are copied), or a struct or
// pointer to one (encoded with t's codec, see WithCodec: dynamodbav tags
// apply as attributevalue reads them; Number fields are stored as exact
// numbers). A nil t uses the default codec. It does no I/O.
func ItemFrom(t *Table, data any) (*Item, error) {
	if data == nil {
		return &Item{table: t, data: map[string]types.AttributeValue{}}, nil
	}
	av, err := encodeItem(t.codec(), data)
	if err != nil {
		return nil, err
	}
	return &Item{table: t, data: av}, nil
}

// Table returns the table the item belongs to.
func (it *Item) Table() *Table { return it.table }

// Get returns the value at path as a Go value: string, Number, []byte,
// bool, nil (NULL), []any, map[string]any, StringSet, NumberSet or
// BinarySet. path is a document path ("address.city", "tags[0]"; Name
// quotes a literal name such as "`a.b`"; key attributes, of the table and
// of its indexes, are always literal, see Name). It returns nil when
// nothing is there (use Has to tell absent from NULL) or path is malformed.
//
// The key names of the item's table are known without I/O once any call
// has described the table (Table.KeyNames does), or when it comes from
// CreateTable or was declared with both WithSchema and WithIndexes. Before
// that, a multi-step path such as "user.id" may be a key attribute named
// user.id: Get returns nil for it rather than guess. One-step names and
// names quoted with Name (Name("user.id")) are never ambiguous.
func (it *Item) Get(path string) any {
	av, ok := it.lookup(path)
	if !ok {
		return nil
	}
	return codec.Unmarshal(av)
}

// lookup returns the value at path, if there is one.
func (it *Item) lookup(path string) (types.AttributeValue, bool) {
	if av, ok := it.data[path]; ok && !strings.ContainsAny(path, ".[]`") {
		return av, true // a plain name: the fast path
	}
	p, err := it.path(path)
	if err != nil {
		return nil, false
	}
	return p.Get(it.data)
}

// path resolves s by the names-and-paths rule, with the table's key
// attributes (of the table and its indexes) and version attribute literal.
// Before every key name is known without I/O, a multi-step path may be a
// key name: that is an error wrapping ErrSchema.
func (it *Item) path(s string) (cond.Path, error) {
	isKey, known := it.keyNames()
	p, err := cond.ResolveItemPath(s, isKey)
	if err != nil {
		return nil, err
	}
	if !known && p.Nested() {
		return nil, fmt.Errorf("%w: the key schema of table %q is not known yet, so %q may name a key attribute: call Table.KeyNames (or Describe) first, or quote a literal name with dynamap.Name",
			ErrSchema, it.table.name, s)
	}
	return p, nil
}

// keyNames returns the literal-name test of the item's table (nil when
// nothing is literal) and whether it is complete: whether the key
// attributes of the table and of all its indexes are known without I/O.
// They are not for a table whose schema is neither learnt nor declared, nor
// for one declared WithSchema but not WithIndexes, until it is described.
func (it *Item) keyNames() (isKey func(string) bool, known bool) {
	t := it.table
	if t == nil {
		return nil, true // no table, no key names
	}
	t.mu.RLock()
	s, declared := t.schema, t.declared
	t.mu.RUnlock()
	known = s != nil && (declared == nil || declared.hasIndexes)
	return keyAttrNames(s, t.version), known
}

// GetString returns the value at path (see Get) if it is a string; ok is
// false when it is absent or of another type.
func (it *Item) GetString(path string) (s string, ok bool) {
	av, _ := it.lookup(path)
	v, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	return v.Value, true
}

// GetNumber returns the value at path (see Get) if it is a number; ok is
// false when it is absent or of another type.
func (it *Item) GetNumber(path string) (n Number, ok bool) {
	av, _ := it.lookup(path)
	v, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return "", false
	}
	return Number(v.Value), true
}

// GetBool returns the value at path (see Get) if it is a boolean; ok is
// false when it is absent or of another type.
func (it *Item) GetBool(path string) (b bool, ok bool) {
	av, _ := it.lookup(path)
	v, ok := av.(*types.AttributeValueMemberBOOL)
	if !ok {
		return false, false
	}
	return v.Value, true
}

// Set stores v at path, a document path (see Get): "address.city" sets the
// key city of the map attribute address (creating the map when address is
// absent), "tags[1]" the second element of the list tags (an index past the
// end appends), and Name("a.b") the top-level attribute named a.b. Maps and
// lists along the path are copied, never modified, so nothing the item
// shares with its loaded values, another item or the caller changes; the
// next PartialSave SETs the whole top-level attribute. v may be any value
// dynamap can store: a string, any Go integer or float, Number, []byte,
// bool, nil (NULL), []any, map[string]any, StringSet, NumberSet, BinarySet,
// map[T]struct{} (a set), or a struct (a map). A value that cannot be
// stored, a malformed path, or a path that steps into a value that is not a
// map or list returns a *ValueError and leaves the item unchanged. A
// multi-step path before the table's key names are known (see Get) returns
// an error wrapping ErrSchema and leaves the item unchanged. Name quotes any
// name, even one holding "[" or "]", which filters and update actions cannot
// name but Save, PartialSave and TxPut write like any other.
//
// On a partial item, a path into an attribute it did not load creates that
// attribute, which PartialSave then requires to be absent, as for any
// attribute it adds. A path below an attribute it loaded only in part (read
// with Attributes("address.city"): its value holds only the projected
// parts) is a *ValueError: Set the whole attribute, which PartialSave
// conditions on the parts that were loaded (not on the rest, which it
// replaces), or change the path with Table.UpdateItem.
func (it *Item) Set(path string, v any) error {
	p, err := it.path(path)
	if err != nil {
		return err
	}
	if err := it.loadedInPart(path, p); err != nil {
		return err
	}
	av, err := it.table.codec().Marshal(v)
	if err != nil {
		return codec.PrefixAttr(err, path)
	}
	top := av
	if p.Nested() {
		if top, _, err = p.With(it.data, av, false); err != nil {
			return err
		}
	}
	if it.data == nil {
		it.data = map[string]types.AttributeValue{}
	}
	it.unshare()
	it.data[p.Top()] = top
	it.dropRemovals(p.Top())
	if !p.Nested() && it.nested[p.Top()] != nil && !slices.Contains(it.rewrites, p.Top()) {
		it.rewrites = append(slices.Clip(it.rewrites), p.Top())
	}
	return nil
}

// Remove deletes the values at paths (see Set for paths) from the item; the
// next Save or PartialSave removes them from DynamoDB. A path that holds
// nothing is ignored, except on a partial item (one read with Attributes or
// from an index that does not project every attribute): there, removing a
// top-level attribute the item did not load is recorded, and the next
// PartialSave sends REMOVE for it unconditionally (its stored value was
// never known, so it cannot be compared), as RemoveAttributes would; a
// nested path into an attribute a partial item did not load, or loaded
// only in part (see Set), is a *ValueError. A malformed path is a
// *ValueError, and a multi-step path before the table's key names are
// known (see Get) an error wrapping ErrSchema. On an error nothing is
// removed.
func (it *Item) Remove(paths ...string) error {
	// Edits go to a copy, installed when every path succeeded.
	data := maps.Clone(it.data)
	if data == nil {
		data = map[string]types.AttributeValue{}
	}
	removals := slices.Clone(it.removals)
	rewrites := it.rewrites
	for _, s := range paths {
		p, err := it.path(s)
		if err != nil {
			return err
		}
		if err := it.loadedInPart(s, p); err != nil {
			return err
		}
		if _, ok := data[p.Top()]; !ok {
			_, had := it.orig[p.Top()]
			switch {
			case !it.partial || had:
			case p.Nested():
				return &ValueError{Attribute: s, Reason: fmt.Sprintf("the partial item did not load %q: remove the whole attribute, or use Table.RemoveAttributes", p.Top())}
			case !slices.Contains(removals, p.Top()):
				removals = append(removals, p.Top())
			}
			continue
		}
		if !p.Nested() {
			delete(data, p.Top())
			if i := slices.Index(rewrites, p.Top()); i >= 0 {
				rewrites = slices.Delete(slices.Clone(rewrites), i, i+1)
			}
			if _, had := it.orig[p.Top()]; it.partial && !had && !slices.Contains(removals, p.Top()) {
				removals = append(removals, p.Top()) // set, never loaded: may be stored
			}
			continue
		}
		top, changed, err := p.With(data, nil, true)
		if err != nil {
			return err
		}
		if changed {
			data[p.Top()] = top
		}
	}
	it.data, it.shared, it.removals, it.rewrites = data, false, removals, rewrites
	return nil
}

// dropRemovals forgets a recorded removal of name (Set replaced it).
func (it *Item) dropRemovals(name string) {
	if i := slices.Index(it.removals, name); i >= 0 {
		it.removals = slices.Delete(it.removals, i, i+1)
	}
}

// Has reports whether the item holds a value at path (see Get; NULL
// counts). Before the table's key names are known, a multi-step path is
// reported absent (see Get).
func (it *Item) Has(path string) bool {
	_, ok := it.lookup(path)
	return ok
}

// Names returns the item's attribute names, sorted.
func (it *Item) Names() []string {
	return slices.Sorted(maps.Keys(it.data))
}

// Len returns the number of attributes the item holds.
func (it *Item) Len() int { return len(it.data) }

// Map returns a copy of the item as Go values (see Get for their types).
func (it *Item) Map() map[string]any {
	m := make(map[string]any, len(it.data))
	for k, av := range it.data {
		m[k] = codec.Unmarshal(av)
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
		k[name] = codec.Unmarshal(av)
	}
	return k, nil
}

// NeedsSave reports whether the item differs from what it was loaded as
// (for a new item: whether it holds anything). Values are compared, not
// representations: Set("age", 42) on an item loaded with age 42 leaves it
// clean. A Set of a whole attribute the item loaded only in part (see Set)
// always needs saving: DynamoDB holds more than the part that was loaded.
func (it *Item) NeedsSave() bool {
	if it.orig == nil {
		return len(it.data) > 0
	}
	return len(it.removals) > 0 || len(it.rewrites) > 0 || !codec.EqualMap(it.data, it.orig)
}

// MarkClean makes the item's current values the ones it is considered
// loaded with: NeedsSave becomes false, recorded removals of attributes
// the item did not load are forgotten, and the next Save or PartialSave
// expects DynamoDB to hold these values for the attributes the item holds
// (a new item becomes loaded). It does not make a partial item whole: an
// item read with a projection still holds only what was read, so Save and
// TxPut still refuse it without Overwrite, and changes below an attribute
// loaded only in part are still refused (see Set).
func (it *Item) MarkClean() {
	if it.data == nil {
		it.data = map[string]types.AttributeValue{}
	}
	it.orig, it.shared = it.data, true
	it.removals, it.rewrites = nil, nil
}

// Loaded reports whether the item was read from DynamoDB (or saved, or
// marked clean) rather than built with NewItem or ItemFrom.
func (it *Item) Loaded() bool { return it.orig != nil }

// Decode unmarshals the item into v, with its table's codec (see
// WithCodec), a pointer to a struct (dynamodbav tags
// apply as attributevalue reads them; Number fields receive exact numbers;
// SS, NS and BS load into StringSet, NumberSet, BinarySet, []string,
// []Number, [][]byte and map[T]struct{} fields) or to a map. Values loaded
// into an interface (any) are those Get returns. Decoded binaries are
// copies.
func (it *Item) Decode(v any) error {
	if err := it.table.codec().Decode(&types.AttributeValueMemberM{Value: it.data}, v); err != nil {
		return &ValueError{Reason: fmt.Sprintf("cannot decode item into %T", v), Err: err}
	}
	return nil
}

// Save writes the whole item with PutItem.
//
// A clean item (one loaded, saved or marked clean, and not changed since)
// sends nothing and returns nil, as boto's save (Expected conditions are
// not evaluated then): writing it back would only risk replacing
// attributes another writer added since it was loaded. A new (never loaded)
// item, or any item with Overwrite, is always written.
//
// By default Save is conditional (optimistic): every attribute the item was
// loaded with must still hold its loaded value and every attribute added
// since must still be absent; a new item must not exist yet (no item with
// its key: the same hash key and, on a table with one, range key). When a
// condition fails nothing is written and the error is
// ErrConditionalCheckFailed. Save(ctx, Overwrite()) writes unconditionally.
// Expected adds conditions of the caller's own.
//
// DynamoDB limits a condition to 4 KB and 300 operators, about 150
// attributes. The condition holds the key, then every changed, removed and
// added attribute, then as many unchanged ones as fit; when some do not fit
// (wide items), Save first reads the item with one consistent GetItem and
// checks those against their loaded values (failing with
// ErrConditionalCheckFailed before any write), then sends the conditional
// PutItem. A change by another writer to one of those attributes in the
// milliseconds between the read and the write is not detected: on a table
// WithVersion, where the version alone is the condition, there is no such
// window and no read. DynamoDB cannot express "no other attributes", so an
// attribute someone else added that the item never held is replaced away by
// Save; WithVersion (or PartialSave, which leaves other attributes alone)
// closes that gap.
//
// On a table WithVersion, Save requires the stored version to be the loaded
// one (absent for a new item) instead of comparing attributes, and writes
// version+1 (1 for a new item); with Overwrite the version is not checked,
// and the written version is the loaded one (or, for a new item, the one
// its data holds) plus 1. An item loaded with Attributes (a projection)
// cannot be saved without Overwrite, since that would drop the attributes
// not loaded: use PartialSave. After a successful Save the item is clean.
func (it *Item) Save(ctx context.Context, opts ...PutOption) error {
	cfg := applyOptions(&writeConfig{}, opts, PutOption.applyPut)
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
	if it.orig != nil && !cfg.overwrite && !it.NeedsSave() {
		return nil
	}
	s, err := t.schemaFor(ctx)
	if err != nil {
		return err
	}
	return it.put(ctx, s, cfg, false)
}

// put sends the item's PutItem (Save's, or PartialSave's fallback when
// keepOthers: then the item is read first, and attributes another writer
// added since it was loaded are kept in what is written).
func (it *Item) put(ctx context.Context, s *tableSchema, cfg *writeConfig, keepOthers bool) error {
	t := it.table
	in, checks, err := it.putInput(s, cfg)
	if err != nil {
		return err
	}
	if len(checks) > 0 || keepOthers {
		key, err := t.itemKey(s.keys, in.Item) // the conditions apply to the item the put replaces
		if err != nil {
			return err
		}
		stored, err := t.verifyStored(ctx, key, checks, cfg.sdk...)
		if err != nil {
			return err
		}
		if keepOthers {
			for name, av := range stored {
				if _, had := it.orig[name]; !had {
					if _, ok := in.Item[name]; !ok {
						in.Item[name] = av
					}
				}
			}
		}
	}
	in.ReturnValues = cfg.returnOld()
	out, err := t.c.API().PutItem(ctx, in, cfg.sdk...)
	if err != nil {
		return errorf("dynamap: put item into %q: %w", t.name, t.writeErr(err))
	}
	cfg.setOld(t, out.Attributes)
	it.putDone(in.Item)
	return nil
}

// putDone makes item, just written whole, the item's clean state.
func (it *Item) putDone(item map[string]types.AttributeValue) {
	it.data, it.orig, it.shared = item, item, true
	it.partial = false
	it.removals, it.rewrites = nil, nil
	it.nested = nil
}

// condTerm is one optimistic condition on a top-level attribute name (or,
// when path is set, on the value at path below it, a path of map keys): it
// holds want, or is absent when want is nil.
type condTerm struct {
	name string
	want types.AttributeValue
	path cond.Path // nil: the whole attribute name
}

// operand returns the term's attribute as an expression name.
func (c condTerm) operand() expression.NameBuilder {
	return cond.TermName(c.name, c.path)
}

func (c condTerm) builder() expression.ConditionBuilder {
	if c.want == nil {
		return expression.AttributeNotExists(c.operand())
	}
	return c.operand().Equal(expression.Value(c.want))
}

// stored returns the term's attribute in a stored item.
func (c condTerm) stored(item map[string]types.AttributeValue) (types.AttributeValue, bool) {
	if c.path != nil {
		return c.path.Get(item)
	}
	av, ok := item[c.name]
	return av, ok
}

// what names the term's attribute in an error.
func (c condTerm) what() string {
	if c.path != nil {
		return c.path.String()
	}
	return c.name
}

// cost is an upper bound of what the term adds to a condition of fewer than
// 100,000 placeholders: "(#nnnnn = :nnnnn) AND " or
// "(attribute_not_exists (#nnnnn)) AND ", two operators either way, and
// ".#nnnnn" for each step of a path below the top-level name.
func (c condTerm) cost() cond.ExprCost {
	steps := 7 * max(len(c.path)-1, 0)
	if c.want == nil {
		return cond.ExprCost{Bytes: 38 + steps, Ops: 2}
	}
	return cond.ExprCost{Bytes: 24 + steps, Ops: 2}
}

// partTerms returns the conditions on the parts of attribute name that a
// partial item loaded through a nested projection (paths): each holds its
// loaded value in orig, or is absent. A path through a list index is left
// out: DynamoDB returns the projected elements of a list packed together,
// so the loaded list does not say which element each one was.
func partTerms(name string, paths []cond.Path, orig map[string]types.AttributeValue) []condTerm {
	terms := make([]condTerm, 0, len(paths))
	for _, p := range paths {
		if p.HasIndex() {
			continue
		}
		want, _ := p.Get(orig)
		terms = append(terms, condTerm{name: name, want: want, path: p})
	}
	return terms
}

// fixedCondCost is an upper bound of what one of dynamap's own conditions
// (a version equality, attribute_not_exists of the hash key) costs.
var fixedCondCost = cond.ExprCost{Bytes: 40, Ops: 2}

// termsThatFit returns how many of terms, in order, fit in one condition
// beside conditions costing fixed.
func termsThatFit(fixed cond.ExprCost, terms []condTerm) int {
	used := fixed
	for i, c := range terms {
		tc := c.cost()
		if used.Bytes+tc.Bytes > cond.MaxExprBytes || used.Ops+tc.Ops > cond.MaxExprOperators {
			return i
		}
		used.Bytes += tc.Bytes
		used.Ops += tc.Ops
	}
	return len(terms)
}

// saveTerms returns Save's optimistic conditions for a loaded item, most
// important first: the key, then changed, removed and added attributes,
// then unchanged ones. The version attribute is left out.
func saveTerms(s *tableSchema, version string, orig, data map[string]types.AttributeValue) []condTerm {
	terms := make([]condTerm, 0, len(orig)+len(data))
	isKey := func(name string) bool {
		return slices.ContainsFunc(s.keys, func(f KeyField) bool { return f.Name == name })
	}
	for _, f := range s.keys {
		if v, ok := orig[f.Name]; ok {
			terms = append(terms, condTerm{name: f.Name, want: v})
		}
	}
	var changed, removed, added, same []string
	for _, name := range slices.Sorted(maps.Keys(orig)) {
		if isKey(name) || name == version {
			continue
		}
		switch v, ok := data[name]; {
		case !ok:
			removed = append(removed, name)
		case !codec.Equal(v, orig[name]):
			changed = append(changed, name)
		default:
			same = append(same, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(data)) {
		if _, had := orig[name]; !had && name != version {
			added = append(added, name)
		}
	}
	for _, name := range slices.Concat(changed, removed) {
		terms = append(terms, condTerm{name: name, want: orig[name]})
	}
	for _, name := range added {
		terms = append(terms, condTerm{name: name})
	}
	for _, name := range same {
		terms = append(terms, condTerm{name: name, want: orig[name]})
	}
	return terms
}

// putInput builds the PutItem of the whole item with Save's conditions and
// version bump; Save and TxPut share it. checks are the optimistic
// conditions that did not fit in the condition expression: verifyStored
// must check them before the put is sent.
func (it *Item) putInput(s *tableSchema, cfg *writeConfig) (in *dynamodb.PutItemInput, checks []condTerm, err error) {
	t := it.table
	data := it.data
	if t.version != "" {
		data = maps.Clone(data) // the version is written into the copy
	}
	if data == nil {
		data = map[string]types.AttributeValue{}
	}
	var own []expression.ConditionBuilder
	var terms []condTerm
	if !cfg.overwrite {
		switch {
		case it.orig == nil:
			own = append(own, expression.AttributeNotExists(cond.ExprName(s.keys[0].Name)))
		case t.version != "":
			own = append(own, versionCondition(t.version, it.orig[t.version]))
		default:
			terms = saveTerms(s, t.version, it.orig, data)
		}
	}
	if t.version != "" {
		var next types.AttributeValue
		switch {
		case it.orig != nil:
			next, err = nextVersion(t.version, it.orig[t.version])
		case cfg.overwrite:
			next, err = nextVersion(t.version, data[t.version])
		default:
			next = codec.N("1")
		}
		if err != nil {
			return nil, nil, err
		}
		data[t.version] = next
	}
	if err := t.checkItem(s, data); err != nil {
		return nil, nil, err
	}
	expr, has, checks, err := fitCondition(own, terms, cfg, keyAttrNames(s, t.version), t.codec())
	if err != nil {
		return nil, nil, err
	}
	in = &dynamodb.PutItemInput{TableName: &t.name, Item: data}
	if has {
		in.ConditionExpression = expr.Condition()
		in.ExpressionAttributeNames = expr.Names()
		in.ExpressionAttributeValues = expr.Values()
		in.ReturnValuesOnConditionCheckFailure = onConditionFailure
	}
	return in, checks, nil
}

// fitCondition builds the condition of a write: own (the call's own
// conditions) and the caller's Expected filters always, and as many of
// terms, in order, as DynamoDB's limits let in; rest are the terms left
// out. Expected's values are encoded with cd, the table's codec. A
// condition whose required part alone exceeds the limits is a
// *FilterError wrapping ErrInvalidFilter.
func fitCondition(own []expression.ConditionBuilder, terms []condTerm, cfg *writeConfig, isKey func(string) bool, cd *codec.Codec) (expr expression.Expression, has bool, rest []condTerm, err error) {
	required := slices.Clone(own)
	fixed := cond.ExprCost{Bytes: fixedCondCost.Bytes * len(own), Ops: fixedCondCost.Ops * len(own)}
	if len(cfg.expected) > 0 {
		user, ok, err := buildCondition(cfg.expected, isKey, cd)
		if err != nil {
			return expr, false, nil, err
		}
		if ok {
			required = append(required, user)
			if len(terms) > 0 {
				ue, err := cond.BuildExpr(expression.NewBuilder().WithCondition(user))
				if err != nil {
					return expr, false, nil, err
				}
				c := cond.MeasureExpr(*ue.Condition())
				fixed.Bytes += c.Bytes + len("() AND ")
				fixed.Ops += c.Ops + 1
			}
		}
	}
	k := termsThatFit(fixed, terms)
	for {
		conds := slices.Clone(required)
		for _, c := range terms[:k] {
			conds = append(conds, c.builder())
		}
		cnd, _ := combineConditions(conds, &writeConfig{}, nil, cd)
		if cnd == nil {
			return expr, false, terms, nil
		}
		expr, err = expression.NewBuilder().WithCondition(*cnd).Build()
		if err != nil {
			return expr, false, nil, &FilterError{Reason: err.Error(), Err: ErrInvalidFilter}
		}
		cond.UnaliasNames(expr.Names())
		reason := cond.ExprOverLimit("condition", expr.Condition())
		if reason == "" {
			return expr, true, terms[k:], nil
		}
		if k == 0 {
			return expr, false, nil, &FilterError{Reason: reason, Err: ErrInvalidFilter}
		}
		k -= k/10 + 1 // the estimate was short: leave more to the read
	}
}

// verifyStored reads the stored item with one consistent GetItem and checks
// that each of checks still holds (an attribute its loaded value, or absent).
// A difference, or an item gone, is ErrConditionalCheckFailed. It returns
// the stored item.
func (t *Table) verifyStored(ctx context.Context, key map[string]types.AttributeValue, checks []condTerm, sdk ...func(*dynamodb.Options)) (map[string]types.AttributeValue, error) {
	out, err := t.c.API().GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: key, ConsistentRead: ptr(true)}, sdk...)
	if err != nil {
		return nil, errorf("dynamap: read item from %q to check it before writing: %w", t.name, wrapErr(err))
	}
	if len(out.Item) == 0 {
		return nil, t.conditionFailed(nil, fmt.Sprintf("table %q: the item no longer exists", t.name))
	}
	for _, c := range checks {
		got, ok := c.stored(out.Item)
		switch {
		case c.want == nil && ok:
			return nil, t.conditionFailed(out.Item, fmt.Sprintf("table %q: attribute %q was added by another writer", t.name, c.what()))
		case c.want != nil && (!ok || !codec.Equal(got, c.want)):
			return nil, t.conditionFailed(out.Item, fmt.Sprintf("table %q: attribute %q no longer holds its loaded value", t.name, c.what()))
		}
	}
	return out.Item, nil
}

// PartialSave writes only what changed since the item was loaded, with one
// UpdateItem: SET for changed and added top-level attributes (a change
// made with Set at a nested path SETs its whole top-level attribute),
// REMOVE for removed ones. It is conditioned on exactly those attributes
// still holding their loaded values (still being absent, for ones added),
// so concurrent changes to other attributes are kept, and colliding ones
// fail with ErrConditionalCheckFailed, writing nothing. A clean item sends
// nothing. Key attributes cannot be changed (a *KeyError before any
// request). A new item is written with the one condition that no item has
// its key.
//
// On a partial item (read with Attributes, or from an index that does not
// project every attribute), an attribute it did not load but Remove was
// asked to remove is removed unconditionally (its stored value was never
// known). An attribute it loaded only in part (Attributes("address.city"))
// and then Set or Removed whole is conditioned on the projected parts
// still holding their loaded values (or still being absent), not on the
// parts never loaded; a projected path through a list index is not
// checked, since DynamoDB returns the projected elements of a list packed
// together. Once saved, the attribute counts as loaded whole.
//
// Attribute names holding "[" or "]" are written and conditioned like any
// other (the expression package cannot name them; PartialSave names them
// through an alias).
//
// Wide changes: when the conditions exceed DynamoDB's limit of 4 KB and 300
// operators (about 150 attributes), the ones left out are checked first by
// one consistent GetItem, as Save does (with the same window of
// milliseconds). When the SET and REMOVE actions themselves exceed the
// limits, a new item is written with PutItem (on the same condition), an
// item loaded whole is written with Save's conditional PutItem after that
// read, keeping the attributes another writer added meanwhile, and a
// partial item is a *ValueError before any request.
//
// On a table WithVersion, PartialSave requires the loaded version (absent
// for a new item) instead of comparing attributes, and writes version+1.
// After a successful PartialSave the item is clean.
func (it *Item) PartialSave(ctx context.Context) error {
	t := it.table
	if t == nil {
		return fmt.Errorf("%w: item has no table", ErrSchema)
	}
	if it.orig != nil && !it.NeedsSave() {
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
			if !codec.Equal(it.orig[f.Name], it.data[f.Name]) {
				return &KeyError{Table: t.name, Attribute: f.Name, Reason: "key attributes cannot be changed by PartialSave (Save the item under its new key and Delete the old one)"}
			}
		}
	}
	// The actions first (SET what changed or was added, REMOVE what was
	// removed, SET the next version), then the conditions.
	var changedBuf [8]string
	changed, removed := changedBuf[:0], []string(nil)
	for name, av := range it.data {
		if isKey(name) || name == t.version {
			continue
		}
		if old, had := it.orig[name]; !had || !codec.Equal(old, av) || slices.Contains(it.rewrites, name) {
			if err := t.checkAttr(s, name, av); err != nil {
				return err // an index key of the wrong type, too deep a value...: before any request
			}
			changed = append(changed, name)
		}
	}
	for name := range it.orig {
		if _, ok := it.data[name]; ok || isKey(name) || name == t.version {
			continue
		}
		removed = append(removed, name)
	}
	var unloaded []string // removals of attributes a partial item did not load
	for _, name := range it.removals {
		if _, ok := it.data[name]; !ok && !isKey(name) && name != t.version {
			unloaded = append(unloaded, name)
		}
	}
	// Sorted, so that the same change always makes the same expression.
	slices.Sort(changed)
	slices.Sort(removed)
	slices.Sort(unloaded)
	if !updateFits(len(changed), len(removed)+len(unloaded), t.version != "") {
		return it.partialSaveByPut(ctx, s, len(changed)+len(removed)+len(unloaded))
	}
	var next types.AttributeValue
	if t.version != "" {
		next, err = nextVersion(t.version, it.orig[t.version])
		if err != nil {
			return err
		}
	}
	var terms []condTerm
	if it.orig != nil && t.version == "" {
		terms = make([]condTerm, 0, len(changed)+len(removed))
		for _, name := range slices.Concat(changed, removed) {
			if paths := it.nested[name]; paths != nil {
				terms = append(terms, partTerms(name, paths, it.orig)...)
			} else {
				terms = append(terms, condTerm{name: name, want: it.orig[name]})
			}
		}
	}
	k := termsThatFit(fixedCondCost, terms)
	var expr cond.BuiltUpdate
	for {
		shape := cond.NewUpdateShape(len(changed) + len(removed) + len(unloaded) + k + 2)
		for _, name := range changed {
			shape.Set(name, it.data[name])
		}
		for _, name := range slices.Concat(removed, unloaded) {
			shape.Remove(name)
		}
		if next != nil {
			shape.Set(t.version, next)
		}
		for _, c := range terms[:k] {
			shape.Cond(c.name, c.path, c.want)
		}
		switch {
		case it.orig == nil:
			shape.Absent(s.keys[0].Name) // a new item: no item has its key
		case t.version != "":
			if loaded := it.orig[t.version]; loaded != nil {
				shape.Equal(t.version, loaded)
			} else {
				shape.Absent(t.version)
			}
		}
		expr, err = shape.Build()
		if err != nil {
			return &ValueError{Reason: "cannot build update", Err: err}
		}
		if cond.ExprOverLimit("update", expr.Update) != "" {
			return it.partialSaveByPut(ctx, s, len(changed)+len(removed)+len(unloaded))
		}
		if cond.ExprOverLimit("condition", expr.Condition) == "" {
			break
		}
		if k == 0 {
			return &ValueError{Reason: "cannot build update: " + cond.ExprOverLimit("condition", expr.Condition)}
		}
		k -= k/10 + 1 // the estimate was short: leave more to the read
	}
	if checks := terms[k:]; len(checks) > 0 {
		if _, err := t.verifyStored(ctx, key, checks); err != nil {
			return err
		}
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 &t.name,
		Key:                       key,
		UpdateExpression:          expr.Update,
		ConditionExpression:       expr.Condition,
		ExpressionAttributeNames:  expr.Names,
		ExpressionAttributeValues: expr.Values,
	}
	if in.ConditionExpression != nil {
		in.ReturnValuesOnConditionCheckFailure = onConditionFailure
	}
	if _, err := t.c.API().UpdateItem(ctx, in); err != nil {
		return errorf("dynamap: update item in %q: %w", t.name, t.writeErr(err))
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
	it.removals, it.rewrites = nil, nil
	if it.nested != nil { // what was written whole is known whole
		nested := maps.Clone(it.nested)
		for _, name := range slices.Concat(changed, removed, unloaded) {
			delete(nested, name)
		}
		it.nested = nested
	}
	return nil
}

// updateFits reports whether an update of sets SET and removes REMOVE
// actions (and a version SET) can fit DynamoDB's limits, by an upper bound
// of their cost: "#n = :n, " and "#n, ", one operator each, with
// placeholder numbers as long as those of the update and its conditions
// (at most one name and one value per action and per condition, and at
// most 150 conditions) can be.
func updateFits(sets, removes int, version bool) bool {
	if version {
		sets++
	}
	d := len(strconv.Itoa(2*(sets+removes) + 2*cond.MaxExprOperators))
	c := cond.ExprCost{Bytes: (6+2*d)*sets + (3+d)*removes + len("SET  REMOVE "), Ops: sets + removes + 1}
	return c.Fits()
}

// partialSaveByPut writes a PartialSave whose actions exceed one update
// expression with a PutItem: a new item on the condition that no item has
// its key, an item loaded whole as Save does (keeping attributes another
// writer added); a partial item cannot be written whole.
func (it *Item) partialSaveByPut(ctx context.Context, s *tableSchema, n int) error {
	if it.partial {
		return &ValueError{Reason: fmt.Sprintf("PartialSave of a partial item changes %d attributes, more than one update expression holds (4 KB, 300 operators): load the whole item, or save the change in parts", n)}
	}
	return it.put(ctx, s, &writeConfig{}, it.orig != nil)
}

// Delete deletes the item from DynamoDB (by the key it was loaded with, or
// its current key for a new item). Expected adds conditions; on
// a table WithVersion the stored version must be the loaded one (absent for
// a new item). A failed condition is ErrConditionalCheckFailed and deletes
// nothing. After a successful Delete the item counts as new (never loaded),
// so a Save recreates it only if no other item took its key.
func (it *Item) Delete(ctx context.Context, opts ...DeleteOption) error {
	t := it.table
	if t == nil {
		return fmt.Errorf("%w: item has no table", ErrSchema)
	}
	cfg := applyOptions(&writeConfig{}, opts, DeleteOption.applyDelete)
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
	cnd, err := combineConditions(conds, cfg, keyAttrNames(s, t.version), t.codec())
	if err != nil {
		return err
	}
	in := &dynamodb.DeleteItemInput{TableName: &t.name, Key: key}
	if cnd != nil {
		expr, err := cond.BuildExpr(expression.NewBuilder().WithCondition(*cnd))
		if err != nil {
			return err
		}
		cond.UnaliasNames(expr.Names())
		in.ConditionExpression = expr.Condition()
		in.ExpressionAttributeNames = expr.Names()
		in.ExpressionAttributeValues = expr.Values()
		in.ReturnValuesOnConditionCheckFailure = onConditionFailure
	}
	in.ReturnValues = cfg.returnOld()
	out, err := t.c.API().DeleteItem(ctx, in, cfg.sdk...)
	if err != nil {
		return errorf("dynamap: delete item from %q: %w", t.name, t.writeErr(err))
	}
	cfg.setOld(t, out.Attributes)
	it.orig, it.shared = nil, false
	it.partial = false
	it.removals, it.rewrites = nil, nil
	it.nested = nil
	return nil
}

// combineConditions ANDs the call's own conditions with the caller's
// Expected conditions (compiled with isKey's names literal, their values
// encoded with cd, the table's codec). It returns nil when there is no
// condition at all.
func combineConditions(conds []expression.ConditionBuilder, cfg *writeConfig, isKey func(string) bool, cd *codec.Codec) (*expression.ConditionBuilder, error) {
	if len(cfg.expected) > 0 {
		c, ok, err := buildCondition(cfg.expected, isKey, cd)
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
		return expression.AttributeNotExists(cond.ExprName(name))
	}
	return cond.ExprName(name).Equal(expression.Value(loaded))
}

// nextVersion returns cur+1 (1 when cur is nil). A version that is not an
// integer number is a *ValueError.
func nextVersion(name string, cur types.AttributeValue) (types.AttributeValue, error) {
	if cur == nil {
		return codec.N("1"), nil
	}
	n, ok := cur.(*types.AttributeValueMemberN)
	if !ok {
		return nil, &ValueError{Attribute: name, Reason: fmt.Sprintf("version attribute holds %s, not a number", codec.Kind(cur))}
	}
	r, ok := codec.ParseDecimal(n.Value)
	if !ok || !r.IsInt() {
		return nil, &ValueError{Attribute: name, Reason: fmt.Sprintf("version %s is not an integer", n.Value)}
	}
	v := new(big.Int).Add(r.Num(), big.NewInt(1))
	return codec.N(v.String()), nil
}
