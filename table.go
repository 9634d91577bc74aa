package dynamap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/internal/codec"
)

// Table is a DynamoDB table. Its key schema and indexes are learnt with one
// DescribeTable on first need, shared by concurrent first uses; a schema
// declared with WithSchema and WithIndexes is checked against that same
// DescribeTable. Afterwards the Table describes again only when Describe,
// EstimatedItemCount or WaitActive is called, and it refreshes what it knows
// from DynamoDB's answer whenever the library changes the table (Update,
// CreateGlobalIndex, DeleteGlobalIndex, DeleteTable). A Table is safe for
// concurrent use; constructing one does no I/O.
type Table struct {
	name    string
	c       *conn.Conn
	version string // optimistic-lock attribute, "" for none
	// cdc encodes and decodes every value of the table's items, keys,
	// conditions and updates: see codec().
	cdc *codec.Codec
	// created is when CreateTable created the table (zero otherwise):
	// DynamoDB may not describe a table it has just created.
	created time.Time

	describing chan struct{} // one slot: at most one DescribeTable in flight
	mu         sync.RWMutex
	// schema is what item operations use: the declared schema until it is
	// checked, then what DynamoDB described (or CreateTable created).
	schema *tableSchema
	// declared is a WithSchema/WithIndexes declaration not yet found to
	// agree with the table; nil once it did (or when there was none).
	declared *declaration
	// mismatch is how declared disagrees with the table; every call that
	// needs the schema returns it until a Describe finds agreement.
	mismatch error
	// stale is set when the library changed the table and DynamoDB's
	// answer did not describe the result: the next use describes again.
	stale bool
}

// declaration is a schema given to NewTable, to be checked once against
// DescribeTable.
type declaration struct {
	keys       []KeyField       // nil: not declared (learnt)
	indexes    []SecondaryIndex // with hasIndexes: exactly the table's indexes
	hasIndexes bool             // WithIndexes or WithGlobalIndexes was given
}

// tableSchema is what a Table knows of itself.
type tableSchema struct {
	keys       []KeyField
	indexes    []SecondaryIndex
	throughput *Throughput // nil: on-demand or unknown
}

// index returns the named index.
func (s *tableSchema) index(name string) (SecondaryIndex, bool) {
	for _, ix := range s.indexes {
		if ix.Name == name {
			return ix, true
		}
	}
	return SecondaryIndex{}, false
}

// tableConfig collects table options.
type tableConfig struct {
	schema           []KeyField
	indexes          []SecondaryIndex
	hasIndexes       bool // WithIndexes or WithGlobalIndexes was given
	throughput       *Throughput
	onDemand         bool
	stream           *StreamViewType
	version          string
	globalThroughput map[string]Throughput
	codec            *codec.Codec // WithCodec; nil for the default
}

// codec is the table's codec, the one every value of its items, keys,
// conditions and updates goes through: WithCodec's, else codec.Default (for
// a nil Table too). Encode an item with codec().EncodeItem (or encodeItem,
// which takes an *Item too), decode one with codec().DecodeItem.
func (t *Table) codec() *codec.Codec {
	if t == nil || t.cdc == nil {
		return codec.Default
	}
	return t.cdc
}

// tableCodec is the codec WithCodec gave, else the default one.
func (c *tableConfig) tableCodec() *codec.Codec {
	if c.codec == nil {
		return codec.Default
	}
	return c.codec
}

// TableOption configures NewTable and CreateTable.
type TableOption interface{ applyTable(*tableConfig) }

// UpdateOption configures Table.Update.
type UpdateOption interface{ applyUpdate(*tableConfig) }

// TableUpdateOption fits NewTable, CreateTable and Update.
type TableUpdateOption interface {
	TableOption
	UpdateOption
}

type tableFunc func(*tableConfig)

func (f tableFunc) applyTable(c *tableConfig)  { f(c) }
func (f tableFunc) applyUpdate(c *tableConfig) { f(c) }

type tableOnlyFunc func(*tableConfig)

func (f tableOnlyFunc) applyTable(c *tableConfig) { f(c) }

type updateOnlyFunc func(*tableConfig)

func (f updateOnlyFunc) applyUpdate(c *tableConfig) { f(c) }

// WithSchema declares the table's key schema (a HashKey and optionally a
// RangeKey). With CreateTable it is ignored (the key schema is
// CreateTable's argument). With NewTable the declaration is checked once,
// on first use, against one DescribeTable (the same single, shared describe
// a Table without WithSchema makes): key names, types, roles and order must
// match, else every call that needs the schema returns a
// *SchemaMismatchError (ErrSchema) naming both sides, before any item
// request. Until then Item.Key, which does no I/O, uses the declared keys.
// Default: the key schema is learnt from DescribeTable on first use.
func WithSchema(keys ...KeyField) TableOption {
	return tableOnlyFunc(func(c *tableConfig) { c.schema = slices.Clone(keys) })
}

// WithIndexes gives the table's secondary indexes, local (AllIndex, ...) or
// global (GlobalAllIndex, ...). With CreateTable they are created. With
// NewTable they declare exactly the table's indexes and are checked once,
// like WithSchema, against DescribeTable: the same index names, each local
// or global as declared, with the same key parts and projection (type and
// include list, in any order; throughput is not compared). An index missing
// from either side, or differing, is a *SchemaMismatchError (ErrSchema).
// Several WithIndexes and WithGlobalIndexes add up. Default: none for
// CreateTable; for NewTable the table's own indexes, learnt from
// DescribeTable.
func WithIndexes(indexes ...SecondaryIndex) TableOption {
	return tableOnlyFunc(func(c *tableConfig) {
		c.hasIndexes = true
		c.indexes = append(c.indexes, indexes...)
	})
}

// WithGlobalIndexes is WithIndexes for global secondary indexes; it exists
// for symmetry with boto's global_indexes and marks every index global.
// Default: none, as for WithIndexes.
func WithGlobalIndexes(indexes ...SecondaryIndex) TableOption {
	return tableOnlyFunc(func(c *tableConfig) {
		c.hasIndexes = true
		for _, ix := range indexes {
			ix.Global = true
			c.indexes = append(c.indexes, ix)
		}
	})
}

// WithThroughput sets provisioned read and write capacity units. Default for
// CreateTable: on-demand (PAY_PER_REQUEST) billing.
func WithThroughput(read, write int64) TableUpdateOption {
	return tableFunc(func(c *tableConfig) { c.throughput = &Throughput{Read: read, Write: write} })
}

// WithOnDemand selects on-demand (PAY_PER_REQUEST) billing, CreateTable's
// default; with Update it switches a provisioned table to on-demand.
func WithOnDemand() TableUpdateOption {
	return tableFunc(func(c *tableConfig) { c.onDemand = true })
}

// WithStream enables the table's stream with the given view type
// (StreamDisabled turns it off in Update). Default: no stream.
func WithStream(view StreamViewType) TableUpdateOption {
	return tableFunc(func(c *tableConfig) { c.stream = &view })
}

// WithGlobalThroughput changes a global index's provisioned throughput in
// Update.
func WithGlobalThroughput(index string, read, write int64) UpdateOption {
	return updateOnlyFunc(func(c *tableConfig) {
		if c.globalThroughput == nil {
			c.globalThroughput = map[string]Throughput{}
		}
		c.globalThroughput[index] = Throughput{Read: read, Write: write}
	})
}

// WithVersion names a numeric version attribute for optimistic locking:
// Save, PartialSave and Delete then require the stored item to hold the
// version it was loaded with and write version+1 (a new item starts at 1).
// Default: no version attribute.
func WithVersion(attribute string) TableOption {
	return tableOnlyFunc(func(c *tableConfig) { c.version = attribute })
}

// NewTable returns the table name reached through c. It does no I/O: the key
// schema and indexes are learnt from one DescribeTable the first time they
// are needed, and a schema declared with WithSchema or WithIndexes is
// checked against that answer (see WithSchema). WithThroughput, WithOnDemand
// and WithStream are ignored: the table's own settings are described.
func NewTable(c *conn.Conn, name string, opts ...TableOption) *Table {
	cfg := applyOptions(&tableConfig{}, opts, TableOption.applyTable)
	t := &Table{name: name, c: c, version: cfg.version, cdc: cfg.tableCodec(), describing: make(chan struct{}, 1)}
	if len(cfg.schema) > 0 || cfg.hasIndexes {
		t.declared = &declaration{keys: cfg.schema, indexes: slices.Clone(cfg.indexes), hasIndexes: cfg.hasIndexes}
	}
	if len(cfg.schema) > 0 {
		t.schema = &tableSchema{keys: cfg.schema, indexes: slices.Clone(cfg.indexes)}
	}
	return t
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// Conn returns the connection the table uses.
func (t *Table) Conn() *conn.Conn { return t.c }

// learn replaces what the table knows of itself with a description from
// DynamoDB (a DescribeTable, CreateTable or UpdateTable answer), checking a
// pending declaration against it. A nil description (an answer that did not
// say) makes the next use describe the table again.
func (t *Table) learn(d *types.TableDescription) error {
	if d == nil {
		t.mu.Lock()
		t.stale = true
		t.mu.Unlock()
		return nil
	}
	s, err := schemaFromDescription(d)
	if err != nil {
		return fmt.Errorf("%w (table %q)", err, t.name)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.declared != nil {
		if err := t.declared.check(t.name, s); err != nil {
			t.mismatch = err
			t.schema = nil // Item.Key must not go on using the declared keys
			return err
		}
		t.declared, t.mismatch = nil, nil
	}
	t.schema, t.stale = s, false
	return nil
}

// learnAfter is learn after a call that did its own work (a change, a
// wait): that call succeeds, and what learn found wrong is reported by the
// next call that needs the schema (a mismatch is remembered; anything else
// makes that call describe the table again).
func (t *Table) learnAfter(d *types.TableDescription) {
	if err := t.learn(d); err != nil {
		var me *SchemaMismatchError
		if !errors.As(err, &me) {
			t.mu.Lock()
			t.stale = true
			t.mu.Unlock()
		}
	}
}

// cachedSchema returns the table's schema, or the remembered mismatch, when
// no DescribeTable is needed; ok is false when one is.
func (t *Table) cachedSchema() (s *tableSchema, err error, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	switch {
	case t.mismatch != nil:
		return nil, t.mismatch, true
	case t.schema != nil && t.declared == nil && !t.stale:
		return t.schema, nil, true
	}
	return nil, nil, false
}

// knownSchema returns the table's schema if it is known, without I/O.
func (t *Table) knownSchema() *tableSchema {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.schema
}

// schemaFor returns the table's schema, describing the table once if it is
// not known yet or a declaration is still to be checked. Concurrent first
// callers share one DescribeTable.
func (t *Table) schemaFor(ctx context.Context) (*tableSchema, error) {
	if s, err, ok := t.cachedSchema(); ok {
		return s, err
	}
	select {
	case t.describing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.describing }()
	if s, err, ok := t.cachedSchema(); ok {
		return s, err
	}
	if _, err := t.Describe(ctx); err != nil {
		if errors.Is(err, ErrSchema) {
			return nil, err
		}
		return nil, errorf("%w: %w", ErrSchema, err)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.mismatch != nil {
		return nil, t.mismatch
	}
	return t.schema, nil
}

// Schema returns the table's key fields, hash key first, describing the
// table once if they are not known.
func (t *Table) Schema(ctx context.Context) ([]KeyField, error) {
	s, err := t.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(s.keys), nil
}

// KeyNames returns the names of the table's key attributes, hash key first
// (boto's get_key_fields); Schema returns them with their types. It
// describes the table at most once.
func (t *Table) KeyNames(ctx context.Context) ([]string, error) {
	s, err := t.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(s.keys))
	for i, k := range s.keys {
		names[i] = k.Name
	}
	return names, nil
}

// Indexes returns the table's secondary indexes, local and global,
// describing the table once if they are not known.
func (t *Table) Indexes(ctx context.Context) ([]SecondaryIndex, error) {
	s, err := t.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(s.indexes), nil
}

// Throughput returns the table's provisioned throughput, or nil for an
// on-demand table, describing the table once if it is not known. It reports
// the last description DynamoDB gave: a DescribeTable, or the answer to this
// Table's Update and index changes, refreshed by WaitActive.
func (t *Table) Throughput(ctx context.Context) (*Throughput, error) {
	s, err := t.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	if s.throughput == nil {
		return nil, nil
	}
	tp := *s.throughput
	return &tp, nil
}

// schemaFromDescription turns a DescribeTable answer into the same Go values
// CreateTable takes. Unknown key or projection types are ErrSchema. An
// on-demand table (BillingModeSummary PAY_PER_REQUEST) and its indexes have
// no throughput, whatever stale numbers the answer still carries; an index
// being deleted is left out (it can no longer be used).
func schemaFromDescription(d *types.TableDescription) (*tableSchema, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: empty table description", ErrSchema)
	}
	defs := map[string]DataType{}
	for _, a := range d.AttributeDefinitions {
		dt := DataType(a.AttributeType)
		if !dt.valid() {
			return nil, fmt.Errorf("%w: attribute %q has unknown type %q", ErrSchema, deref(a.AttributeName), a.AttributeType)
		}
		defs[deref(a.AttributeName)] = dt
	}
	keys, err := keyFieldsFrom(d.KeySchema, defs)
	if err != nil {
		return nil, err
	}
	onDemand := d.BillingModeSummary != nil && d.BillingModeSummary.BillingMode == types.BillingModePayPerRequest
	s := &tableSchema{keys: keys}
	if !onDemand {
		s.throughput = throughputFrom(d.ProvisionedThroughput)
	}
	for _, l := range d.LocalSecondaryIndexes {
		ix, err := indexFrom(deref(l.IndexName), l.KeySchema, l.Projection, defs)
		if err != nil {
			return nil, err
		}
		s.indexes = append(s.indexes, ix)
	}
	for _, g := range d.GlobalSecondaryIndexes {
		if g.IndexStatus == types.IndexStatusDeleting {
			continue
		}
		ix, err := indexFrom(deref(g.IndexName), g.KeySchema, g.Projection, defs)
		if err != nil {
			if g.IndexStatus == types.IndexStatusCreating {
				// DynamoDB Local lists an index being created before its
				// attribute definitions; it cannot be queried yet anyway.
				continue
			}
			return nil, err
		}
		ix.Global = true
		if !onDemand {
			ix.Throughput = throughputFrom(g.ProvisionedThroughput)
		}
		s.indexes = append(s.indexes, ix)
	}
	return s, nil
}

func indexFrom(name string, ks []types.KeySchemaElement, p *types.Projection, defs map[string]DataType) (SecondaryIndex, error) {
	parts, err := keyFieldsFrom(ks, defs)
	if err != nil {
		return SecondaryIndex{}, errorf("index %q: %w", name, err)
	}
	proj, include, err := projectionFrom(name, p)
	if err != nil {
		return SecondaryIndex{}, err
	}
	return SecondaryIndex{Name: name, Parts: parts, Projection: proj, Include: include}, nil
}

func ptr[T any](v T) *T { return &v }

// SchemaMismatchError reports a schema declared with WithSchema or
// WithIndexes that disagrees with the table as DynamoDB describes it. Every
// call that needs the schema returns it, before any item request. It
// unwraps to ErrSchema.
type SchemaMismatchError struct {
	Table    string // table name
	What     string // what disagrees: "key schema" or `index "name"`
	Declared string // the declared side, "absent" when not declared
	Actual   string // the table's side, "absent" when the table has none
}

// Error implements error.
func (e *SchemaMismatchError) Error() string {
	return fmt.Sprintf("dynamap: schema error: table %q: %s declared as %s, but the table has %s", e.Table, e.What, e.Declared, e.Actual)
}

// Unwrap returns ErrSchema.
func (e *SchemaMismatchError) Unwrap() error { return ErrSchema }

// check compares the declaration with the table's described schema: keys
// (names, types, roles, order) when declared; with hasIndexes, exactly the
// same index names, each local or global as declared, with the same key
// parts, projection type and include list (in any order). Throughput is not
// compared: it is not part of what items and queries rely on.
func (d *declaration) check(table string, actual *tableSchema) error {
	if d.keys != nil && !slices.Equal(d.keys, actual.keys) {
		return &SchemaMismatchError{Table: table, What: "key schema", Declared: keysString(d.keys), Actual: keysString(actual.keys)}
	}
	if !d.hasIndexes {
		return nil
	}
	names := map[string]bool{}
	for _, ix := range d.indexes {
		names[ix.Name] = true
	}
	for _, ix := range actual.indexes {
		names[ix.Name] = true
	}
	sorted := slices.Sorted(maps.Keys(names))
	declared := map[string]SecondaryIndex{}
	for _, ix := range d.indexes {
		declared[ix.Name] = ix
	}
	for _, name := range sorted {
		want, inDecl := declared[name]
		got, inTable := actual.index(name)
		if inDecl && inTable && sameIndex(want, got) {
			continue
		}
		e := &SchemaMismatchError{Table: table, What: fmt.Sprintf("index %q", name), Declared: "absent", Actual: "absent"}
		if inDecl {
			e.Declared = indexString(want)
		}
		if inTable {
			e.Actual = indexString(got)
		}
		return e
	}
	return nil
}

// sameIndex reports whether two indexes agree in all but throughput.
func sameIndex(a, b SecondaryIndex) bool {
	if a.Global != b.Global || a.Projection != b.Projection || !slices.Equal(a.Parts, b.Parts) {
		return false
	}
	ai, bi := slices.Clone(a.Include), slices.Clone(b.Include)
	slices.Sort(ai)
	slices.Sort(bi)
	return slices.Equal(ai, bi)
}

func keysString(keys []KeyField) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// indexString is "global [zip (HASH N)] projecting INCLUDE [a b]".
func indexString(ix SecondaryIndex) string {
	kind := "local"
	if ix.Global {
		kind = "global"
	}
	s := fmt.Sprintf("%s %s projecting %s", kind, keysString(ix.Parts), ix.Projection)
	if len(ix.Include) > 0 {
		s += " [" + strings.Join(ix.Include, " ") + "]"
	}
	return s
}
