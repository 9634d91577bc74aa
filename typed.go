package dynamap

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/model"
)

// TypedTable is a table modelled by a Go struct type T: its keys, indexes,
// version attribute and timestamps come from T's struct tags, and reads
// and writes take and return T values. Which field is which attribute, and
// how each is stored, is the table's codec's (WithCodec; dynamodbav tags by
// default, as Item.Decode and PutItem use, and a CodecOptions.TagKey tag over
// them): the model of T is parsed with that codec, once per type and codec,
// and every T goes in and out through it. Roles come from the `dynamap`
// tag:
//
//	dynamap:"hash"               the table's hash (partition) key
//	dynamap:"range"              the table's range (sort) key
//	dynamap:"hash:ByGenre"       the hash key of the global index ByGenre
//	dynamap:"range:ByGenre"      the range key of the global index ByGenre
//	dynamap:"range:ByStudio,local" the range key of the local index ByStudio
//	dynamap:"version"            an integer version for optimistic locking
//	dynamap:"created"            set on the first write when zero
//	dynamap:"updated"            set on every write
//	dynamap:"ttl"                the table's time-to-live attribute
//
// Several words may share one tag, comma-separated ("range,hash:ByTitle").
// Key types come from the Go types: a string is S; an integer, a float or
// a Number is N (S with the codec's ",string" option); a []byte is B. The
// version is an integer stored as a number (a write whose next version
// would overflow the field's type is a *ValueError before any request);
// created and updated are a time.Time (stored as the codec stores times:
// CodecOptions.EncodeTime applies, unless tagged unixtime) or an integer
// of 32 bits or more (Unix seconds); ttl is such an integer or a
// time.Time tagged unixtime (in dynamodbav or the TagKey tag), whatever
// EncodeTime says: DynamoDB's TTL reads only epoch seconds in an N, which
// unixtime always stores and loads. With
// CodecOptions.UseEncodingMarshalers, a key whose type has MarshalText is
// S, and one with MarshalBinary only is B.
//
// DynamoDB refuses an empty string or binary as an index key value: tag
// an index key field that may be empty omitempty, and items without it
// stay out of that index (a sparse index); otherwise writing such an item
// is a *KeyError before any request.
//
// A TypedTable is safe for concurrent use. It is built with TableOf (no
// I/O) or CreateTableOf. On first use its tags are checked once against
// the table as DynamoDB describes it (see TableOf).
type TypedTable[T any] struct {
	t   *Table
	m   *model.Model
	err error // a bad model: every call returns it

	mu      sync.Mutex
	checked bool  // the model was checked against the table's schema
	bad     error // what that check found (nil: agreement)
}

// ModelError reports a struct type whose tags do not make a valid model:
// no hash key, two hash keys, a key of a type DynamoDB cannot key on, a
// version that is not an integer, an unknown dynamap tag word, a dynamap
// tag on a field the codec does not store, ... It is returned by
// CreateTableOf and by every call of a TypedTable built with TableOf,
// before any request, and unwraps to ErrSchema.
type ModelError struct {
	Model  string // the struct type, as "pkg.Movie"
	Field  string // the Go field at fault ("Base.Created"), "" for the model as a whole
	Reason string // what is wrong, for humans
}

// Error implements error.
func (e *ModelError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%smodel %s: %s", prefix, e.Model, oneLine(e.Reason))
	}
	return fmt.Sprintf("%smodel %s: field %s: %s", prefix, e.Model, e.Field, oneLine(e.Reason))
}

// Unwrap returns ErrSchema.
func (e *ModelError) Unwrap() error { return ErrSchema }

// modelOf returns T's model as codec c sees it (parsed once per type and
// codec), or a *ModelError.
func modelOf[T any](c *codec.Codec) (*model.Model, error) {
	rt := reflect.TypeFor[T]()
	m, err := model.Of(rt, c, reflect.TypeFor[Number]())
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) {
			return nil, &ModelError{Model: rt.String(), Field: me.Field, Reason: me.Reason}
		}
		return nil, &ModelError{Model: rt.String(), Reason: err.Error()}
	}
	return m, nil
}

// modelKeys returns the table key schema a model declares.
func modelKeys(m *model.Model) []KeyField {
	keys := []KeyField{HashKey(m.Hash.Attr, DataType(m.Hash.KeyType))}
	if m.Range != nil {
		keys = append(keys, RangeKey(m.Range.Attr, DataType(m.Range.KeyType)))
	}
	return keys
}

// modelIndex returns the key parts of a model's index.
func modelIndex(m *model.Model, ix model.Index) SecondaryIndex {
	var parts []KeyField
	if ix.Local {
		parts = []KeyField{HashKey(m.Hash.Attr, DataType(m.Hash.KeyType))}
	} else {
		parts = []KeyField{HashKey(ix.Hash.Attr, DataType(ix.Hash.KeyType))}
	}
	if ix.Range != nil {
		parts = append(parts, RangeKey(ix.Range.Attr, DataType(ix.Range.KeyType)))
	}
	if ix.Local {
		return AllIndex(ix.Name, parts...)
	}
	return GlobalAllIndex(ix.Name, parts...)
}

// modelOptions are the table options a model implies: its key schema
// (checked against the table once, see WithSchema) and its version
// attribute.
func modelOptions(m *model.Model) []TableOption {
	opts := []TableOption{WithSchema(modelKeys(m)...)}
	if m.Version != nil {
		opts = append(opts, WithVersion(m.Version.Attr))
	}
	return opts
}

// TableOf returns the table name modelled by T. It does no I/O. The Table
// beneath (Table) is NewTable(c, name, opts...) with T's key schema
// declared (WithSchema) and, when T has a version field, WithVersion; opts
// come after those and may add to them. T's model is read with the codec
// opts give (WithCodec), else the default one.
//
// On first use (the first call that needs the schema) T's tags are checked
// once against one DescribeTable, shared with the Table: the hash and
// range key names and types, and every index named in the tags (it must
// exist, local or global as tagged, with the tagged keys; its projection
// is not checked, and indexes the tags do not name are allowed). A
// disagreement is a *SchemaMismatchError (ErrSchema) naming both sides,
// remembered and returned by every later call, before any item request. A
// bad model (see ModelError) is returned the same way, with no request at
// all; use CreateTableOf or check with the first call's error.
func TableOf[T any](c *conn.Conn, name string, opts ...TableOption) *TypedTable[T] {
	m, err := modelOf[T](applyOptions(&tableConfig{}, opts, TableOption.applyTable).tableCodec())
	if err != nil {
		return &TypedTable[T]{t: NewTable(c, name, opts...), err: err}
	}
	return &TypedTable[T]{t: NewTable(c, name, append(modelOptions(m), opts...)...), m: m}
}

// CreateTableOf creates the table name modelled by T and returns it: the
// key schema, every index the tags name (projecting ALL; an index of the
// same name given with WithIndexes or WithGlobalIndexes replaces the
// tagged one, for another projection or throughput), and the version
// attribute (WithVersion) come from the tags; the usual CreateTable
// options (WithThroughput, WithStream, more indexes) apply. Like
// CreateTable it does not wait for the table to become ACTIVE, except
// when T has a ttl field: then it waits (WaitActive) and enables TTL on
// that attribute, since DynamoDB changes TTL only on an ACTIVE table. T's
// model is read with the codec opts give (WithCodec), as for TableOf. A
// bad model is a *ModelError (ErrSchema) before any request.
func CreateTableOf[T any](ctx context.Context, c *conn.Conn, name string, opts ...TableOption) (*TypedTable[T], error) {
	given := applyOptions(&tableConfig{}, opts, TableOption.applyTable)
	m, err := modelOf[T](given.tableCodec())
	if err != nil {
		return nil, err
	}
	all := []TableOption{}
	if m.Version != nil {
		all = append(all, WithVersion(m.Version.Attr))
	}
	for _, ix := range m.Indexes {
		if !slices.ContainsFunc(given.indexes, func(g SecondaryIndex) bool { return g.Name == ix.Name }) {
			all = append(all, WithIndexes(modelIndex(m, ix)))
		}
	}
	t, err := CreateTable(ctx, c, name, modelKeys(m), append(all, opts...)...)
	if err != nil {
		return nil, err
	}
	tt := &TypedTable[T]{t: t, m: m}
	if m.TTL != nil {
		if err := t.WaitActive(ctx); err != nil {
			return tt, err
		}
		if err := t.EnableTTL(ctx, m.TTL.Attr); err != nil {
			return tt, err
		}
	}
	return tt, nil
}

// Table returns the untyped table beneath, for what the typed API does not
// cover (it shares the schema, and the version attribute, with tt).
func (tt *TypedTable[T]) Table() *Table { return tt.t }

// schema returns the table's schema once the model is known good and
// checked against it (see TableOf); the check runs once, and its result is
// remembered.
func (tt *TypedTable[T]) schema(ctx context.Context) (*tableSchema, error) {
	if tt.err != nil {
		return nil, tt.err
	}
	s, err := tt.t.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if !tt.checked {
		tt.bad = tt.checkIndexes(s)
		tt.checked = true
	}
	if tt.bad != nil {
		return nil, tt.bad
	}
	return s, nil
}

// checkIndexes checks that every index the model names exists in s, local
// or global as tagged, with the tagged key parts.
func (tt *TypedTable[T]) checkIndexes(s *tableSchema) error {
	for _, mix := range tt.m.Indexes {
		want := modelIndex(tt.m, mix)
		got, ok := s.index(mix.Name)
		if ok && got.Global == want.Global && slices.Equal(got.Parts, want.Parts) {
			continue
		}
		e := &SchemaMismatchError{Table: tt.t.name, What: fmt.Sprintf("index %q of model %s", mix.Name, tt.m.Type), Declared: indexKeysString(want), Actual: "absent"}
		if ok {
			e.Actual = indexKeysString(got)
		}
		return e
	}
	return nil
}

// indexKeysString is "global [genre (HASH S), rating (RANGE N)]".
func indexKeysString(ix SecondaryIndex) string {
	kind := "local"
	if ix.Global {
		kind = "global"
	}
	return kind + " " + keysString(ix.Parts)
}

// encodeModel encodes v through the table's codec into an item map the
// caller owns. It is the one place a typed table encodes a T.
func encodeModel(t *Table, v reflect.Value) (map[string]types.AttributeValue, error) {
	av, err := t.codec().EncodeReflect(v)
	if err != nil {
		return nil, err
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, &ValueError{Reason: fmt.Sprintf("cannot store %s as an item: it is stored as %s, not a map", v.Type(), codec.Kind(av))}
	}
	return m.Value, nil
}

// decodeAttr decodes one attribute value into out (a pointer) through the
// table's codec.
func decodeAttr(t *Table, av types.AttributeValue, out any) error {
	return t.codec().Decode(av, out)
}

// encode encodes *v into an item map the caller owns.
func (tt *TypedTable[T]) encode(v *T) (map[string]types.AttributeValue, error) {
	if v == nil {
		return nil, &ValueError{Reason: fmt.Sprintf("nil *%s", reflect.TypeFor[T]())}
	}
	return encodeModel(tt.t, reflect.ValueOf(v).Elem())
}

// keyOf returns the checked primary key of v's item.
func (tt *TypedTable[T]) keyOf(s *tableSchema, item map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	return tt.t.itemKey(s.keys, item)
}

// versionOf returns v's version (0 without a version field), or a
// *ValueError for a negative one.
func (tt *TypedTable[T]) versionOf(v *T) (uint64, error) {
	f := tt.m.Version
	if f == nil {
		return 0, nil
	}
	fv, ok := f.Get(reflect.ValueOf(v).Elem())
	if !ok {
		return 0, nil
	}
	if fv.CanInt() {
		if fv.Int() < 0 {
			return 0, &ValueError{Attribute: f.Attr, Reason: fmt.Sprintf("version %d is negative", fv.Int())}
		}
		return uint64(fv.Int()), nil
	}
	return fv.Uint(), nil
}

// stamp returns a copy of *v with the timestamps a write sets: created
// when it is zero (with force, always), updated always, to now (in UTC).
// Embedded structs reached through pointers are copied, so *v is not
// changed.
func (tt *TypedTable[T]) stamp(v *T, now time.Time) *T {
	w := *v
	if tt.m.Created == nil && tt.m.Updated == nil {
		return &w
	}
	rv := reflect.ValueOf(&w).Elem()
	if f := tt.m.Created; f != nil {
		if cur, ok := f.Get(rv); !ok || cur.IsZero() {
			setTime(f, f.Set(rv, true), now)
		}
	}
	if f := tt.m.Updated; f != nil {
		setTime(f, f.Set(rv, true), now)
	}
	return &w
}

// setTime sets a created or updated field to now: a time.Time, or Unix
// seconds in an integer.
func setTime(f *model.Field, fv reflect.Value, now time.Time) {
	switch {
	case f.IsTime():
		fv.Set(reflect.ValueOf(now))
	case fv.CanInt():
		fv.SetInt(now.Unix())
	default:
		fv.SetUint(uint64(now.Unix()))
	}
}

// written copies into *v what a successful write stored in the version and
// timestamp fields, decoded from the item written, so that *v equals what
// a read returns.
func (tt *TypedTable[T]) written(v *T, item map[string]types.AttributeValue) error {
	rv := reflect.ValueOf(v).Elem()
	for _, f := range []*model.Field{tt.m.Version, tt.m.Created, tt.m.Updated} {
		if f == nil {
			continue
		}
		av, ok := item[f.Attr]
		if !ok {
			continue
		}
		p := reflect.New(f.Type)
		if err := decodeAttr(tt.t, av, p.Interface()); err != nil {
			return codec.PrefixAttr(err, f.Attr)
		}
		f.Set(rv, false).Set(p.Elem())
	}
	return nil
}

// Get reads the item with the given key and decodes it into a T. Options
// as GetItem (Consistent, Attributes: with Attributes the fields not
// loaded are zero). When no item has the key the error is
// ErrItemNotFound; key errors are a *KeyError and a bad model or a model
// that disagrees with the table ErrSchema, before any request.
func (tt *TypedTable[T]) Get(ctx context.Context, key Key, opts ...GetOption) (T, error) {
	var zero T
	cfg := applyOptions(&readConfig{}, opts, GetOption.applyGet)
	s, err := tt.schema(ctx)
	if err != nil {
		return zero, err
	}
	kav, err := tt.t.keyFromValues(s.keys, key)
	if err != nil {
		return zero, err
	}
	av, err := tt.t.getRaw(ctx, s, kav, cfg)
	if err != nil {
		return zero, err
	}
	return decodeItemOf[T](tt.t, av) // straight from the SDK's map: no Item
}

// Lookup reads an item by its key values given positionally, hash key
// first then range key, and decodes it into a T; see Table.Lookup.
// ErrItemNotFound when absent. Reads are eventually consistent.
func (tt *TypedTable[T]) Lookup(ctx context.Context, hash any, rangeKey ...any) (T, error) {
	var zero T
	if _, err := tt.schema(ctx); err != nil {
		return zero, err
	}
	s, kav, err := tt.t.lookupKey(ctx, hash, rangeKey)
	if err != nil {
		return zero, err
	}
	av, err := tt.t.getRaw(ctx, s, kav, &readConfig{})
	if err != nil {
		return zero, err
	}
	return decodeItemOf[T](tt.t, av) // the path Get takes: no Item
}

// Put writes *v whole. Like PutItem it refuses to replace an existing item
// unless Overwrite() is given; Expected adds conditions and OldItem returns
// the item replaced.
//
// With a version field, a version of 0 means "new": the condition is that
// no item has the key, and version 1 is written; a version v means "the
// stored item is at v": the condition is that the stored version is v, and
// v+1 is written (with Overwrite there is no condition and v+1 is
// written). A created field that is zero is set to now, an updated field
// always (UTC; an integer field holds Unix seconds). *v is changed only
// when the write succeeds: then its version and timestamps hold what was
// stored, exactly as a read would decode them. A failed condition is the
// *ConditionFailedError PutItem returns (ErrConditionalCheckFailed). Bad
// values and keys are errors before any request.
func (tt *TypedTable[T]) Put(ctx context.Context, v *T, opts ...PutOption) error {
	cfg := applyOptions(&writeConfig{}, opts, PutOption.applyPut)
	s, err := tt.schema(ctx)
	if err != nil {
		return err
	}
	if v == nil {
		return &ValueError{Reason: fmt.Sprintf("nil *%s", reflect.TypeFor[T]())}
	}
	ver, err := tt.versionOf(v)
	if err != nil {
		return err
	}
	if err := tt.nextVersionFits(ver); err != nil {
		return err
	}
	w := v // encoded as it is unless a timestamp is set (in a copy)
	if tt.m.Created != nil || tt.m.Updated != nil {
		w = tt.stamp(v, time.Now().UTC())
	}
	av, err := tt.encode(w)
	if err != nil {
		return err
	}
	it := &Item{table: tt.t, data: av}
	if ver > 0 {
		it.orig = map[string]types.AttributeValue{tt.m.Version.Attr: av[tt.m.Version.Attr]}
	}
	if err := it.put(ctx, s, cfg, false); err != nil {
		return err
	}
	return tt.written(v, it.data)
}

// Delete deletes v's item (by the key fields of *v). With a version field
// the stored version must be v's (a version of 0: the item must have no
// version), else it is the *ConditionFailedError DeleteItem returns and
// nothing is deleted. Expected adds conditions; OldItem returns the item
// deleted. Deleting an item that does not exist is not an error (without
// a version field).
func (tt *TypedTable[T]) Delete(ctx context.Context, v *T, opts ...DeleteOption) error {
	if _, err := tt.schema(ctx); err != nil {
		return err
	}
	if v == nil {
		return &ValueError{Reason: fmt.Sprintf("nil *%s", reflect.TypeFor[T]())}
	}
	if _, err := tt.versionOf(v); err != nil {
		return err
	}
	av, err := tt.encode(v)
	if err != nil {
		return err
	}
	orig := av
	if tt.m.Version != nil && isZeroNumber(av[tt.m.Version.Attr]) {
		orig = nil // version 0: never stored, so no version may be stored
	}
	it := &Item{table: tt.t, data: av, orig: orig}
	return it.Delete(ctx, opts...)
}

// isZeroNumber reports whether av is the number 0.
func isZeroNumber(av types.AttributeValue) bool {
	n, ok := av.(*types.AttributeValueMemberN)
	return ok && codec.NumberEqual(n.Value, "0")
}

// DeleteKey deletes the item with the given key, as DeleteItem does (no
// version check): Expected adds conditions, OldItem returns the item
// deleted. Deleting an item that does not exist is not an error.
func (tt *TypedTable[T]) DeleteKey(ctx context.Context, key Key, opts ...DeleteOption) error {
	if _, err := tt.schema(ctx); err != nil {
		return err
	}
	_, err := tt.t.DeleteItem(ctx, key, opts...)
	return err
}
