package dynamap

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/cond"
	"github.com/dynamap/dynamap/internal/model"
)

// modifyConfig collects the options of Modify and SaveChanges.
type modifyConfig struct {
	retries int                       // RetryConflicts; 0: none
	sdk     []func(*dynamodb.Options) // SDKOptions, passed to every request
}

// ModifyOption configures TypedTable.Modify: RetryConflicts and SDKOptions.
type ModifyOption interface{ applyModify(*modifyConfig) }

// SaveChangesOption configures TypedTable.SaveChanges: SDKOptions.
// RetryConflicts does not fit (SaveChanges has no function to re-apply): a
// compile error.
type SaveChangesOption interface{ applySaveChanges(*modifyConfig) }

// RetryConflictsOption is the option RetryConflicts returns; it fits Modify.
type RetryConflictsOption struct{ n int }

// RetryConflicts makes Modify, when its write fails because the item
// changed after it was read (ErrConditionalCheckFailed), read the item
// again, call the function again on the fresh copy and write again, up to
// n more times; after the last failure the *ConditionFailedError is
// returned. n < 0 counts as 0. Default: 0 (one attempt).
func RetryConflicts(n int) RetryConflictsOption { return RetryConflictsOption{n: max(n, 0)} }

func (o RetryConflictsOption) applyModify(c *modifyConfig) { c.retries = o.n }

func (o SDKOption) applyModify(c *modifyConfig)      { c.sdk = append(c.sdk, o.fns...) }
func (o SDKOption) applySaveChanges(c *modifyConfig) { c.sdk = append(c.sdk, o.fns...) }

// Modify changes the item with key in place: it reads the item (one
// consistent GetItem), decodes it into a T, calls fn with it, and sends one
// UpdateItem with only the top-level attributes fn changed (SET for changed
// or added ones, REMOVE for ones gone; maps, lists and sets are compared by
// value, sets without regard to order, so a change deep inside a map SETs
// that map whole). What fn changed is what differs from the item as T
// decodes it, not from the item as stored: attributes T does not know
// (another model's, another writer's) and values T holds only in part (a
// number with more digits than its float, a NULL in an omitempty field)
// are kept as stored unless fn changes them. It returns the item as
// stored after the write: fn's changes, with the version and updated
// fields the write stored.
//
// The write is conditioned so that it never overwrites another writer's
// change: with a version field, on the stored version still being the one
// read (and the version is bumped); without one, on each attribute it
// writes still holding the value read (or still being absent, for one fn
// added), so concurrent changes to other attributes are kept. An updated
// field is set to now (UTC) with every write, and is neither compared nor
// conditioned on; the version field is never compared (fn cannot set it).
// When the condition fails, the error is a *ConditionFailedError
// (ErrConditionalCheckFailed) unless RetryConflicts allows another attempt.
//
// A fn that changes nothing sends no write (only the read); the value
// returned is the item as read. Modify never creates an item: when no item
// has the key the error is ErrItemNotFound (use Put to create one). An error
// from fn is returned wrapped (errors.Is and errors.As reach it) and nothing
// is written. A fn that changes a key field is a *KeyError and nothing is
// written; so are values DynamoDB would refuse (an index key of the wrong
// type, an item over 400 KB), before the write. fn may be called more than
// once (once per attempt, each time on a fresh copy), so it should not have
// effects beyond *T.
//
// A change too wide for one update expression (about 150 attributes, over
// DynamoDB's 4 KB and 300 operators) is written as Item.PartialSave writes
// it (which then also conditions on the updated field).
func (tt *TypedTable[T]) Modify(ctx context.Context, key Key, fn func(*T) error, opts ...ModifyOption) (T, error) {
	var zero T
	var cfg modifyConfig // on the stack when there are no options
	if len(opts) > 0 {
		cfg = *applyOptions(&modifyConfig{}, opts, ModifyOption.applyModify)
	}
	s, err := tt.schema(ctx)
	if err != nil {
		return zero, err
	}
	if fn == nil {
		return zero, &ValueError{Reason: "Modify needs a function"}
	}
	kav, err := tt.t.keyFromValues(s.keys, key)
	if err != nil {
		return zero, err
	}
	rc := readConfig{consistent: true, sdk: cfg.sdk}
	b := newDecodeBox[T](tt.t) // b.v is the T fn changes, decoded afresh each attempt
	for attempt := 0; ; attempt++ {
		before, err := tt.t.getRaw(ctx, s, kav, &rc)
		if err != nil {
			return zero, err
		}
		if err := b.decode(before); err != nil {
			return zero, err
		}
		// The item as T sees it, before fn: what fn changed is what differs
		// from it. The stored item may hold more (attributes T does not
		// know, values T reads only in part), which is kept.
		view, err := tt.viewOf(&b.v, before)
		if err != nil {
			return zero, err
		}
		if err := fn(&b.v); err != nil {
			return zero, errorf("dynamap: modify item in %q: %w", tt.t.name, err)
		}
		err = tt.saveChanges(ctx, s, kav, before, &view, &b.v, &cfg)
		if err == nil {
			return b.v, nil
		}
		if attempt >= cfg.retries || !IsConditionFailed(err) {
			return zero, err
		}
	}
}

// SaveChanges writes what differs between before (a copy the caller kept
// of the item as read) and after (the changed copy) with one UpdateItem,
// exactly as Modify writes fn's changes: only the top-level attributes that
// differ, conditioned on the version of before (with a version field) or
// on those attributes still holding before's values, bumping the version
// and setting updated. When nothing differs nothing is sent. On success
// *after holds the version and updated values stored (with nothing to
// write, before's); on failure it is unchanged. A failed condition is a
// *ConditionFailedError (ErrConditionalCheckFailed); a changed key field a
// *KeyError before any request. SaveChanges never creates an item: when the
// item is gone the condition fails (with a version field, or when something
// changed; use Put to create one).
func (tt *TypedTable[T]) SaveChanges(ctx context.Context, before, after *T, opts ...SaveChangesOption) error {
	cfg := applyOptions(&modifyConfig{}, opts, SaveChangesOption.applySaveChanges)
	s, err := tt.schema(ctx)
	if err != nil {
		return err
	}
	if before == nil || after == nil {
		return &ValueError{Reason: fmt.Sprintf("SaveChanges needs two non-nil *%s", reflect.TypeFor[T]())}
	}
	bav, err := tt.encode(before)
	if err != nil {
		return err
	}
	return tt.saveChanges(ctx, s, nil, bav, nil, after, cfg)
}

// tracked returns the attributes change tracking treats apart.
func (tt *TypedTable[T]) tracked() trackedAttrs {
	a := trackedAttrs{hash: tt.m.Hash.Attr}
	if tt.m.Range != nil {
		a.rng = tt.m.Range.Attr
	}
	if tt.m.Version != nil {
		a.version = tt.m.Version.Attr
	}
	if tt.m.Updated != nil {
		a.updated = tt.m.Updated.Attr
	}
	return a
}

// updatePlan is a typed change ready to send: the key, what changed with
// the new values of the attributes SET (vals[i] is changes.set[i]'s), and
// the values of the version and updated attributes it writes (nil: none).
type updatePlan struct {
	key     map[string]types.AttributeValue
	changes itemChanges
	vals    []types.AttributeValue
	version types.AttributeValue
	updated types.AttributeValue
	size    int // the item's size once changed, as itemSize counts it
}

// itemView is where the item as T decodes it (T's view of it) differs
// from the item as stored: the stored item may hold more than T does
// (attributes T has no field for, values T holds only in part such as a
// number longer than its float or a NULL in an omitempty field). Empty,
// and found without allocating, for an item T decodes losslessly.
type itemView struct {
	// names are the attributes whose value in the view differs from the
	// stored one, sorted; vals[i] is names[i]'s value in the view (nil:
	// absent from it).
	names []string
	vals  []types.AttributeValue
	// whole is the view encoded whole, when T is not encoded field by
	// field (a Marshaler...); nil otherwise.
	whole map[string]types.AttributeValue
}

// viewOf returns how *v, decoded from raw, differs from raw.
func (tt *TypedTable[T]) viewOf(v *T, raw map[string]types.AttributeValue) (itemView, error) {
	var vw itemView
	a := tt.tracked()
	ok, err := tt.t.codec().DiffStruct(reflect.ValueOf(v).Elem(), raw, a.meta, func(name string, av types.AttributeValue) {
		vw.names = append(vw.names, name)
		vw.vals = append(vw.vals, av)
	})
	if err != nil {
		return vw, err
	}
	if !ok {
		vw.names, vw.vals = nil, nil
		vw.whole, err = tt.encode(v)
		return vw, err
	}
	sortChanges(vw.names, vw.vals)
	return vw, nil
}

// same reports whether av (nil: absent) is the value name has in the view,
// where it differs from the stored item (false for a name the view holds
// as stored).
func (vw *itemView) same(name string, av types.AttributeValue) bool {
	if vw == nil {
		return false
	}
	i, found := slices.BinarySearch(vw.names, name)
	if !found {
		return false
	}
	old := vw.vals[i]
	if old == nil || av == nil {
		return old == nil && av == nil
	}
	return codec.Equal(old, av)
}

// plan works out the update that turns the item into *after, checking
// what DynamoDB would refuse. raw is the item as stored (its key, version
// and the old values the conditions name come from it); view is how T's
// view of it before the change differs from it (what *after is compared
// with; nil when the view is raw, as for a caller's own copy): attributes
// of raw that the view does not have, or holds otherwise, are left alone
// unless *after changes them. ok is false when nothing changed.
func (tt *TypedTable[T]) plan(s *tableSchema, raw map[string]types.AttributeValue, view *itemView, after *T) (p updatePlan, ok bool, err error) {
	return tt.planKeyed(s, nil, raw, view, after)
}

// planKeyed is plan for a raw whose checked primary key is already
// known (key; nil: taken from raw).
func (tt *TypedTable[T]) planKeyed(s *tableSchema, key, raw map[string]types.AttributeValue, view *itemView, after *T) (p updatePlan, ok bool, err error) {
	if after == nil {
		return p, false, &ValueError{Reason: fmt.Sprintf("nil *%s", reflect.TypeFor[T]())}
	}
	w := after
	if f := tt.m.Updated; f != nil {
		c := *after
		setTime(f, f.Set(reflect.ValueOf(&c).Elem(), true), time.Now().UTC())
		w = &c
	}
	a := tt.tracked()
	keyName, err := tt.diff(w, raw, view, &a, &p)
	if err != nil {
		return p, false, err
	}
	if keyName != "" {
		return p, false, &KeyError{Table: tt.t.name, Attribute: keyName, Reason: "a key field cannot be changed by Modify or SaveChanges (Put the item under its new key and Delete the old one)"}
	}
	if p.key = key; key == nil {
		if p.key, err = tt.keyOf(s, raw); err != nil {
			return p, false, err
		}
	}
	if p.changes.empty() {
		return p, false, nil
	}
	for i, name := range p.changes.set {
		if err := tt.t.checkAttr(s, name, p.vals[i]); err != nil {
			return p, false, err
		}
	}
	if a.version != "" {
		if p.version, err = nextVersion(a.version, raw[a.version]); err != nil {
			return p, false, err
		}
		if err := tt.storedVersionFits(p.version); err != nil {
			return p, false, err
		}
	}
	p.size = p.sizeAfter(raw, &a)
	if p.size > maxItemSize {
		return p, false, &ValueError{Reason: fmt.Sprintf("item is about %d bytes, over DynamoDB's 400 KB limit", p.size)}
	}
	return p, true, nil
}

// diff fills p.changes, p.vals and p.updated with what differs between
// raw (the item as stored) and *w (w with its updated field set), leaving
// out what *w holds as the view does (view: see plan), encoding only the
// attributes that changed (codec.DiffStruct) unless T is not encoded field
// by field (then all of *w, as diffFrom compares). keyName is the first
// key attribute (hash, then range) whose value changed.
func (tt *TypedTable[T]) diff(w *T, raw map[string]types.AttributeValue, view *itemView, a *trackedAttrs, p *updatePlan) (keyName string, err error) {
	c := tt.t.codec()
	v := reflect.ValueOf(w).Elem()
	ch := &p.changes
	rngChanged := false
	ok, err := c.DiffStruct(v, raw, a.meta, func(name string, av types.AttributeValue) {
		if view.same(name, av) {
			return // as the view holds it: not a change (an attribute T does not know stays)
		}
		switch {
		case name == a.hash:
			keyName = name
		case name == a.rng:
			rngChanged = true
		case av == nil:
			ch.remove = append(ch.remove, name)
		default:
			ch.set = append(ch.set, name)
			p.vals = append(p.vals, av)
		}
	})
	if err != nil {
		return "", err
	}
	if !ok { // T encodes itself (a Marshaler...): encode it whole
		item, err := tt.encode(w)
		if err != nil {
			return "", err
		}
		vm := raw
		if view != nil && view.whole != nil {
			vm = view.whole
		}
		if name, changed := a.changedKey(vm, item); changed {
			return name, nil
		}
		*ch = a.diffFrom(raw, vm, item)
		p.vals = make([]types.AttributeValue, len(ch.set))
		for i, name := range ch.set {
			p.vals[i] = item[name]
		}
		if a.updated != "" {
			p.updated = item[a.updated]
		}
		return "", nil
	}
	if keyName == "" && rngChanged {
		keyName = a.rng
	}
	sortChanges(ch.set, p.vals)
	slices.Sort(ch.remove)
	ch.before, ch.version = raw, a.version
	if a.updated != "" && !ch.empty() {
		if p.updated, _, err = c.EncodeAttr(v, a.updated); err != nil {
			return "", err
		}
	}
	return keyName, nil
}

// sortChanges sorts names, and vals along with them.
func sortChanges(names []string, vals []types.AttributeValue) {
	if len(names) < 2 {
		return
	}
	if len(names) <= 12 { // insertion sort: the common few changes, no allocation
		for i := 1; i < len(names); i++ {
			for j := i; j > 0 && names[j] < names[j-1]; j-- {
				names[j], names[j-1] = names[j-1], names[j]
				vals[j], vals[j-1] = vals[j-1], vals[j]
			}
		}
		return
	}
	type pair struct {
		name string
		av   types.AttributeValue
	}
	ps := make([]pair, len(names))
	for i := range names {
		ps[i] = pair{names[i], vals[i]}
	}
	slices.SortFunc(ps, func(x, y pair) int { return strings.Compare(x.name, y.name) })
	for i, q := range ps {
		names[i], vals[i] = q.name, q.av
	}
}

// sizeAfter estimates the size of raw once the plan's changes (and its
// version and updated values) are made, as itemSize counts it.
func (p *updatePlan) sizeAfter(raw map[string]types.AttributeValue, a *trackedAttrs) int {
	n := itemSize(raw)
	swap := func(name string, av types.AttributeValue) {
		if old, ok := raw[name]; ok {
			n -= len(name) + codec.AVSize(old)
		}
		if av != nil {
			n += len(name) + codec.AVSize(av)
		}
	}
	for i, name := range p.changes.set {
		swap(name, p.vals[i])
	}
	for _, name := range p.changes.remove {
		swap(name, nil)
	}
	if p.version != nil {
		swap(a.version, p.version)
	}
	if p.updated != nil {
		swap(a.updated, p.updated)
	}
	return n
}

// merged returns a copy of raw with the plan's changes made (the
// version left as raw has it: PartialSave sets the next one itself).
func (p *updatePlan) merged(raw map[string]types.AttributeValue, a *trackedAttrs) map[string]types.AttributeValue {
	m := maps.Clone(raw)
	for i, name := range p.changes.set {
		m[name] = p.vals[i]
	}
	for _, name := range p.changes.remove {
		delete(m, name)
	}
	if p.updated != nil {
		m[a.updated] = p.updated
	}
	return m
}

// saveChanges writes the difference between T's view of raw (view: see
// plan) and *after onto raw (the item as stored, with the checked primary
// key key; nil: taken from raw), and on success stores in *after the
// version and updated values written (raw's when nothing was written).
func (tt *TypedTable[T]) saveChanges(ctx context.Context, s *tableSchema, key, raw map[string]types.AttributeValue, view *itemView, after *T, cfg *modifyConfig) error {
	p, ok, err := tt.planKeyed(s, key, raw, view, after)
	if err != nil {
		return err
	}
	a := tt.tracked()
	if !ok {
		return tt.writtenMeta(after, raw[a.version], raw[a.updated])
	}
	expr, fits, err := p.build(a)
	if err != nil {
		return err
	}
	if !fits { // too wide for one expression: PartialSave's way
		it := &Item{table: tt.t, data: p.merged(raw, &a), orig: raw}
		if err := it.PartialSave(ctx); err != nil {
			return err
		}
		return tt.writtenMeta(after, p.version, p.updated)
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                           &tt.t.name,
		Key:                                 p.key,
		UpdateExpression:                    expr.Update,
		ConditionExpression:                 expr.Condition,
		ExpressionAttributeNames:            expr.Names,
		ExpressionAttributeValues:           expr.Values,
		ReturnValuesOnConditionCheckFailure: onConditionFailure,
	}
	if _, err := tt.t.c.API().UpdateItem(ctx, in, cfg.sdk...); err != nil {
		return errorf("dynamap: update item in %q: %w", tt.t.name, tt.t.writeErr(err))
	}
	return tt.writtenMeta(after, p.version, p.updated)
}

// build returns the plan's update expression and conditions; fits is false
// when they exceed DynamoDB's expression limits.
func (p *updatePlan) build(a trackedAttrs) (cond.BuiltUpdate, bool, error) {
	ch := &p.changes
	extra := boolInt(p.version != nil) + boolInt(p.updated != nil)
	if !updateFits(len(ch.set)+boolInt(p.updated != nil), len(ch.remove), p.version != nil) {
		return cond.BuiltUpdate{}, false, nil
	}
	shape := cond.NewUpdateShape(2*(len(ch.set)+len(ch.remove)) + extra + 1)
	for i, name := range ch.set {
		shape.Set(name, p.vals[i])
	}
	for _, name := range ch.remove {
		shape.Remove(name)
	}
	if p.version != nil {
		shape.Set(a.version, p.version)
	}
	if p.updated != nil {
		shape.Set(a.updated, p.updated)
	}
	exists := false // does a condition imply that the item exists?
	ch.eachCond(func(name string, want types.AttributeValue) {
		shape.Cond(name, nil, want)
		exists = exists || want != nil
	})
	if !exists { // never create an item another writer deleted
		shape.Equal(a.hash, p.key[a.hash])
	}
	expr, err := shape.Build()
	if err != nil {
		return expr, false, &ValueError{Reason: "cannot build update", Err: err}
	}
	if cond.ExprOverLimit("update", expr.Update) != "" || cond.ExprOverLimit("condition", expr.Condition) != "" {
		return expr, false, nil
	}
	return expr, true, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writtenMeta stores in *v the version and updated values stored (nil:
// leave the field as it is), as written does, without building an item.
func (tt *TypedTable[T]) writtenMeta(v *T, version, updated types.AttributeValue) error {
	if err := tt.writtenField(v, tt.m.Version, version); err != nil {
		return err
	}
	return tt.writtenField(v, tt.m.Updated, updated)
}

// writtenField decodes av into field f of *v (nothing when f or av is nil).
func (tt *TypedTable[T]) writtenField(v *T, f *model.Field, av types.AttributeValue) error {
	if f == nil || av == nil {
		return nil
	}
	p := reflect.New(f.Type)
	if err := decodeAttr(tt.t, av, p.Interface()); err != nil {
		return codec.PrefixAttr(err, f.Attr)
	}
	f.Set(reflect.ValueOf(v).Elem(), false).Set(p.Elem())
	return nil
}

// trackedAttrs names the attributes of a typed model that change tracking
// treats apart from the others: the key attributes (never changed), the
// version (checked and bumped, never compared) and the updated timestamp
// (written with every change, never compared nor conditioned on).
type trackedAttrs struct {
	hash    string
	rng     string // "" when the model has no range key
	version string // "" when the model has no version field
	updated string // "" when the model has no updated field
}

// itemChanges is what an update of one item must send to turn before into
// after: the top-level attributes to SET (changed or added) and to REMOVE
// (gone), each sorted so that one change always makes one expression, and
// the conditions that make it safe (see eachCond).
type itemChanges struct {
	set    []string
	remove []string
	// before is the item as stored, whose values the conditions want;
	// version the version attribute ("" for none).
	before  map[string]types.AttributeValue
	version string
}

// eachCond calls f with each condition, by attribute name: it must still
// hold its value in before (want), or still be absent (want nil). With a
// version, the version alone is conditioned on; without one, each
// attribute SET or REMOVEd is, in name order.
func (c *itemChanges) eachCond(f func(name string, want types.AttributeValue)) {
	if c.empty() {
		return
	}
	if c.version != "" {
		f(c.version, c.before[c.version])
		return
	}
	set, remove := c.set, c.remove // both sorted, and disjoint: merge them
	for len(set) > 0 || len(remove) > 0 {
		var name string
		if len(remove) == 0 || len(set) > 0 && set[0] < remove[0] {
			name, set = set[0], set[1:]
		} else {
			name, remove = remove[0], remove[1:]
		}
		f(name, c.before[name])
	}
}

// condTerms returns the conditions of eachCond as a slice (nil for none).
func (c *itemChanges) condTerms() []condTerm {
	var out []condTerm
	c.eachCond(func(name string, want types.AttributeValue) {
		out = append(out, condTerm{name: name, want: want})
	})
	return out
}

// empty reports whether there is nothing to write.
func (c *itemChanges) empty() bool { return len(c.set) == 0 && len(c.remove) == 0 }

// changedKey returns the first key attribute (hash, then range) whose
// value differs between before and after, compared by value.
func (a *trackedAttrs) changedKey(before, after map[string]types.AttributeValue) (string, bool) {
	if !codec.Equal(before[a.hash], after[a.hash]) {
		return a.hash, true
	}
	if a.rng != "" && !codec.Equal(before[a.rng], after[a.rng]) {
		return a.rng, true
	}
	return "", false
}

// diffItems compares two encoded versions of one item top-level attribute
// by top-level attribute, by value (codec.Equal: numbers as decimals, sets
// without regard to order, maps and lists element by element, so a change
// deep inside a map SETs that whole top-level attribute). Key attributes,
// the version and the updated timestamp are never part of the difference.
// The conditions (eachCond) are the old values of what changed or went
// (absent for what was added) or, when the model has a version, the
// version's old value (absent when before had none).
func (a *trackedAttrs) diffItems(before, after map[string]types.AttributeValue) itemChanges {
	return a.diffFrom(before, before, after)
}

// diffFrom is diffItems for a change made to view, the item as a model
// sees it, of raw, the item as stored: only what differs between view and
// after is written (an attribute raw has and view has not, or holds
// otherwise, is left as stored unless after changes it), a write that
// would leave raw's value as it is is left out, and the conditions name
// raw's values.
func (a *trackedAttrs) diffFrom(raw, view, after map[string]types.AttributeValue) itemChanges {
	var ch itemChanges
	for name, av := range after {
		if a.skip(name) {
			continue
		}
		if old, had := view[name]; had && codec.Equal(old, av) {
			continue
		}
		if old, had := raw[name]; had && codec.Equal(old, av) {
			continue
		}
		ch.set = append(ch.set, name)
	}
	for name := range view {
		if _, ok := after[name]; ok || a.skip(name) {
			continue
		}
		if _, ok := raw[name]; !ok {
			continue // already absent
		}
		ch.remove = append(ch.remove, name)
	}
	slices.Sort(ch.set)
	slices.Sort(ch.remove)
	ch.before, ch.version = raw, a.version
	return ch
}

// meta reports whether name is the version or the updated attribute:
// written by the library, never compared.
func (a *trackedAttrs) meta(name string) bool {
	return (name == a.version || name == a.updated) && name != ""
}

// skip reports whether name is left out of the comparison.
func (a *trackedAttrs) skip(name string) bool {
	return name == a.hash || (name == a.rng || name == a.version || name == a.updated) && name != ""
}
