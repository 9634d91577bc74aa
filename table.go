package dynamap

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/conn"
)

// Table is a DynamoDB table. Its key schema and indexes are given with
// WithSchema and WithIndexes or learnt with one DescribeTable on first need
// (and again only when Describe is called). A Table is safe for concurrent
// use; constructing one does no I/O.
type Table struct {
	name    string
	c       *conn.Conn
	version string // optimistic-lock attribute, "" for none

	describing chan struct{} // one slot: at most one DescribeTable in flight
	mu         sync.RWMutex
	schema     *tableSchema
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

// StreamViewType says what a table's stream records hold.
type StreamViewType = types.StreamViewType

// Stream view types for WithStream.
const (
	KeysOnly        StreamViewType = types.StreamViewTypeKeysOnly        // KeysOnly records only the key.
	NewImage        StreamViewType = types.StreamViewTypeNewImage        // NewImage records the item after the change.
	OldImage        StreamViewType = types.StreamViewTypeOldImage        // OldImage records the item before the change.
	NewAndOldImages StreamViewType = types.StreamViewTypeNewAndOldImages // NewAndOldImages records both.
	// StreamDisabled turns a table's stream off (with Update).
	StreamDisabled StreamViewType = ""
)

// tableConfig collects table options.
type tableConfig struct {
	schema           []KeyField
	indexes          []SecondaryIndex
	throughput       *Throughput
	onDemand         bool
	stream           *StreamViewType
	version          string
	globalThroughput map[string]Throughput
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

// WithSchema gives the table's key schema (a HashKey and optionally a
// RangeKey), so that NewTable needs no DescribeTable. Default: learnt from
// DescribeTable on first use.
func WithSchema(keys ...KeyField) TableOption {
	return tableOnlyFunc(func(c *tableConfig) { c.schema = slices.Clone(keys) })
}

// WithIndexes gives the table's secondary indexes, local (AllIndex, ...) or
// global (GlobalAllIndex, ...). With NewTable and WithSchema the table then
// needs no DescribeTable; with CreateTable they are created. Default: none
// (or learnt from DescribeTable).
func WithIndexes(indexes ...SecondaryIndex) TableOption {
	return tableOnlyFunc(func(c *tableConfig) { c.indexes = append(c.indexes, indexes...) })
}

// WithGlobalIndexes is WithIndexes for global secondary indexes; it exists
// for symmetry with boto's global_indexes and marks every index global.
func WithGlobalIndexes(indexes ...SecondaryIndex) TableOption {
	return tableOnlyFunc(func(c *tableConfig) {
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

// NewTable returns the table name reached through c. It does no I/O: unless
// WithSchema is given, the key schema is learnt from DescribeTable the first
// time it is needed.
func NewTable(c *conn.Conn, name string, opts ...TableOption) *Table {
	cfg := &tableConfig{}
	for _, o := range opts {
		o.applyTable(cfg)
	}
	t := &Table{name: name, c: c, version: cfg.version, describing: make(chan struct{}, 1)}
	if len(cfg.schema) > 0 {
		t.schema = &tableSchema{keys: cfg.schema, indexes: cfg.indexes, throughput: cfg.throughput}
	}
	return t
}

// CreateTable creates a table with the given key schema and returns it. The
// defaults: on-demand billing (WithThroughput for provisioned), no indexes,
// no stream. Attribute definitions are collected from the key schema and
// every index's parts. CreateTable does not wait: call WaitActive.
func CreateTable(ctx context.Context, c *conn.Conn, name string, schema []KeyField, opts ...TableOption) (*Table, error) {
	cfg := &tableConfig{schema: slices.Clone(schema)}
	for _, o := range opts {
		o.applyTable(cfg)
	}
	in, err := createTableInput(name, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := c.API().CreateTable(ctx, in); err != nil {
		return nil, fmt.Errorf("dynamap: create table %q: %w", name, wrapErr(err))
	}
	t := &Table{name: name, c: c, version: cfg.version, describing: make(chan struct{}, 1)}
	t.schema = &tableSchema{keys: cfg.schema, indexes: cfg.indexes, throughput: cfg.throughput}
	return t, nil
}

func createTableInput(name string, cfg *tableConfig) (*dynamodb.CreateTableInput, error) {
	if err := validateKeySchema("table "+name, cfg.schema); err != nil {
		return nil, err
	}
	defs := attributeDefinitions{}
	if err := defs.add(cfg.schema...); err != nil {
		return nil, err
	}
	in := &dynamodb.CreateTableInput{TableName: &name}
	for _, k := range cfg.schema {
		in.KeySchema = append(in.KeySchema, k.schemaElement())
	}
	if cfg.throughput != nil && !cfg.onDemand {
		in.BillingMode = types.BillingModeProvisioned
		in.ProvisionedThroughput = cfg.throughput.sdk()
	} else {
		in.BillingMode = types.BillingModePayPerRequest
	}
	seen := map[string]bool{}
	for _, ix := range cfg.indexes {
		if err := ix.validate(); err != nil {
			return nil, err
		}
		if seen[ix.Name] {
			return nil, fmt.Errorf("%w: duplicate index name %q", ErrSchema, ix.Name)
		}
		seen[ix.Name] = true
		if err := defs.add(ix.Parts...); err != nil {
			return nil, err
		}
		if ix.Global {
			var tp *Throughput
			if in.BillingMode == types.BillingModeProvisioned {
				tp = cfg.throughput
			}
			g := ix.globalDefinition(tp)
			if in.BillingMode == types.BillingModePayPerRequest {
				g.ProvisionedThroughput = nil
			}
			in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, g)
		} else {
			if ix.Parts[0].Name != cfg.schema[0].Name {
				return nil, fmt.Errorf("%w: local index %q must share the table's hash key %q", ErrSchema, ix.Name, cfg.schema[0].Name)
			}
			in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, ix.localDefinition())
		}
	}
	in.AttributeDefinitions = defs.list
	if cfg.stream != nil && *cfg.stream != StreamDisabled {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: *cfg.stream}
	}
	return in, nil
}

// attributeDefinitions collects each key attribute once, in order.
type attributeDefinitions struct {
	list  []types.AttributeDefinition
	types map[string]DataType
}

func (d *attributeDefinitions) add(fields ...KeyField) error {
	if d.types == nil {
		d.types = map[string]DataType{}
	}
	for _, f := range fields {
		if have, ok := d.types[f.Name]; ok {
			if have != f.Type {
				return fmt.Errorf("%w: attribute %q is %s in one key and %s in another", ErrSchema, f.Name, have, f.Type)
			}
			continue
		}
		d.types[f.Name] = f.Type
		d.list = append(d.list, f.definition())
	}
	return nil
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// Conn returns the connection the table uses.
func (t *Table) Conn() *conn.Conn { return t.c }

// Describe calls DescribeTable, refreshes the table's key schema, indexes and
// throughput from the answer, and returns the raw description.
func (t *Table) Describe(ctx context.Context) (*types.TableDescription, error) {
	out, err := t.c.API().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.name})
	if err != nil {
		return nil, fmt.Errorf("dynamap: describe table %q: %w", t.name, wrapErr(err))
	}
	s, err := schemaFromDescription(out.Table)
	if err != nil {
		return out.Table, fmt.Errorf("dynamap: table %q: %w", t.name, err)
	}
	t.mu.Lock()
	t.schema = s
	t.mu.Unlock()
	return out.Table, nil
}

// schemaFor returns the table's schema, describing the table once if it is
// not known yet. Concurrent first callers share one DescribeTable.
func (t *Table) schemaFor(ctx context.Context) (*tableSchema, error) {
	t.mu.RLock()
	s := t.schema
	t.mu.RUnlock()
	if s != nil {
		return s, nil
	}
	select {
	case t.describing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.describing }()
	t.mu.RLock()
	s = t.schema
	t.mu.RUnlock()
	if s != nil {
		return s, nil
	}
	if _, err := t.Describe(ctx); err != nil {
		return nil, errors.Join(ErrSchema, err)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
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

// KeyFields returns the names of the table's key attributes, hash key first
// (boto's get_key_fields). It describes the table at most once.
func (t *Table) KeyFields(ctx context.Context) ([]string, error) {
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
// on-demand table, describing the table once if it is not known.
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
// CreateTable takes. Unknown key or projection types are ErrSchema.
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
	s := &tableSchema{keys: keys, throughput: throughputFrom(d.ProvisionedThroughput)}
	for _, l := range d.LocalSecondaryIndexes {
		ix, err := indexFrom(deref(l.IndexName), l.KeySchema, l.Projection, defs)
		if err != nil {
			return nil, err
		}
		s.indexes = append(s.indexes, ix)
	}
	for _, g := range d.GlobalSecondaryIndexes {
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
		ix.Throughput = throughputFrom(g.ProvisionedThroughput)
		s.indexes = append(s.indexes, ix)
	}
	return s, nil
}

func indexFrom(name string, ks []types.KeySchemaElement, p *types.Projection, defs map[string]DataType) (SecondaryIndex, error) {
	parts, err := keyFieldsFrom(ks, defs)
	if err != nil {
		return SecondaryIndex{}, fmt.Errorf("index %q: %w", name, err)
	}
	proj, include, err := projectionFrom(name, p)
	if err != nil {
		return SecondaryIndex{}, err
	}
	return SecondaryIndex{Name: name, Parts: parts, Projection: proj, Include: include}, nil
}

// Update changes the table's provisioned throughput (WithThroughput or
// WithOnDemand), its global indexes' throughput (WithGlobalThroughput) and
// its stream (WithStream). It does not wait for the change.
func (t *Table) Update(ctx context.Context, opts ...UpdateOption) error {
	cfg := &tableConfig{}
	for _, o := range opts {
		o.applyUpdate(cfg)
	}
	in := &dynamodb.UpdateTableInput{TableName: &t.name}
	if cfg.onDemand {
		in.BillingMode = types.BillingModePayPerRequest
	} else if cfg.throughput != nil {
		in.BillingMode = types.BillingModeProvisioned
		in.ProvisionedThroughput = cfg.throughput.sdk()
	}
	names := make([]string, 0, len(cfg.globalThroughput))
	for name := range cfg.globalThroughput {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		n := name
		in.GlobalSecondaryIndexUpdates = append(in.GlobalSecondaryIndexUpdates, types.GlobalSecondaryIndexUpdate{
			Update: &types.UpdateGlobalSecondaryIndexAction{IndexName: &n, ProvisionedThroughput: cfg.globalThroughput[name].sdk()},
		})
	}
	if cfg.stream != nil {
		if *cfg.stream == StreamDisabled {
			in.StreamSpecification = &types.StreamSpecification{StreamEnabled: ptr(false)}
		} else {
			in.StreamSpecification = &types.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: *cfg.stream}
		}
	}
	if _, err := t.c.API().UpdateTable(ctx, in); err != nil {
		return fmt.Errorf("dynamap: update table %q: %w", t.name, wrapErr(err))
	}
	t.forgetSchema()
	return nil
}

// forgetSchema drops what the table learnt from DescribeTable so that the
// next use describes it again (after changes to throughput or indexes).
func (t *Table) forgetSchema() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.schema == nil {
		return
	}
	// Keys never change; keep them so item operations need no new describe.
	t.schema = &tableSchema{keys: t.schema.keys, indexes: t.schema.indexes, throughput: t.schema.throughput}
}

// CreateGlobalIndex adds a global secondary index to the table. On a
// provisioned table an index without WithThroughput gets the table's
// throughput. It does not wait: WaitActive waits for the index too.
func (t *Table) CreateGlobalIndex(ctx context.Context, ix SecondaryIndex) error {
	ix.Global = true
	if err := ix.validate(); err != nil {
		return err
	}
	s, err := t.schemaFor(ctx)
	if err != nil {
		return err
	}
	defs := attributeDefinitions{}
	if err := defs.add(ix.Parts...); err != nil {
		return err
	}
	g := ix.globalDefinition(s.throughput)
	action := &types.CreateGlobalSecondaryIndexAction{
		IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection, ProvisionedThroughput: g.ProvisionedThroughput,
	}
	in := &dynamodb.UpdateTableInput{
		TableName:                   &t.name,
		AttributeDefinitions:        defs.list,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: action}},
	}
	if _, err := t.c.API().UpdateTable(ctx, in); err != nil {
		return fmt.Errorf("dynamap: create index %q on %q: %w", ix.Name, t.name, wrapErr(err))
	}
	t.mu.Lock()
	if t.schema != nil {
		ns := *t.schema
		ns.indexes = append(slices.Clone(ns.indexes), ix)
		t.schema = &ns
	}
	t.mu.Unlock()
	return nil
}

// DeleteGlobalIndex removes the named global secondary index.
func (t *Table) DeleteGlobalIndex(ctx context.Context, name string) error {
	n := name
	in := &dynamodb.UpdateTableInput{
		TableName: &t.name,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
			{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: &n}},
		},
	}
	if _, err := t.c.API().UpdateTable(ctx, in); err != nil {
		return fmt.Errorf("dynamap: delete index %q on %q: %w", name, t.name, wrapErr(err))
	}
	t.mu.Lock()
	if t.schema != nil {
		ns := *t.schema
		ns.indexes = slices.DeleteFunc(slices.Clone(ns.indexes), func(ix SecondaryIndex) bool { return ix.Name == name })
		t.schema = &ns
	}
	t.mu.Unlock()
	return nil
}

// Delete deletes the table. It does not wait: call WaitDeleted.
func (t *Table) Delete(ctx context.Context) error {
	if _, err := t.c.API().DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &t.name}); err != nil {
		return fmt.Errorf("dynamap: delete table %q: %w", t.name, wrapErr(err))
	}
	return nil
}

// WaitActive polls DescribeTable until the table and all its global indexes
// are ACTIVE, or ctx ends. Polling starts at 50 ms and backs off to 2 s.
func (t *Table) WaitActive(ctx context.Context) error {
	return poll(ctx, func() (bool, error) {
		out, err := t.c.API().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.name})
		if err != nil {
			if err = wrapErr(err); errors.Is(err, ErrTableNotFound) {
				return false, nil // created moments ago; not yet visible
			}
			return false, fmt.Errorf("dynamap: describe table %q: %w", t.name, err)
		}
		d := out.Table
		if d.TableStatus != types.TableStatusActive {
			return false, nil
		}
		for _, g := range d.GlobalSecondaryIndexes {
			if g.IndexStatus != types.IndexStatusActive {
				return false, nil
			}
		}
		return true, nil
	})
}

// WaitDeleted polls DescribeTable until the table no longer exists, or ctx
// ends. Polling starts at 50 ms and backs off to 2 s.
func (t *Table) WaitDeleted(ctx context.Context) error {
	return poll(ctx, func() (bool, error) {
		_, err := t.c.API().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.name})
		if err == nil {
			return false, nil
		}
		if err = wrapErr(err); errors.Is(err, ErrTableNotFound) {
			return true, nil
		}
		return false, fmt.Errorf("dynamap: describe table %q: %w", t.name, err)
	})
}

func poll(ctx context.Context, done func() (bool, error)) error {
	delay := 50 * time.Millisecond
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// Count returns the table's item count as DynamoDB reports it in
// DescribeTable: approximate, refreshed by DynamoDB about every six hours
// (DynamoDB Local reports it exactly). For an exact count use Scan(...).Count.
func (t *Table) Count(ctx context.Context) (int64, error) {
	d, err := t.Describe(ctx)
	if err != nil {
		return 0, err
	}
	return deref(d.ItemCount), nil
}

// TTL is a table's time-to-live setting.
type TTL struct {
	Attribute string                 // the epoch-seconds attribute, "" when none
	Status    types.TimeToLiveStatus // ENABLED, DISABLED, ENABLING, DISABLING
}

// EnableTTL makes DynamoDB expire items whose attribute (epoch seconds) is in
// the past.
func (t *Table) EnableTTL(ctx context.Context, attribute string) error {
	return t.setTTL(ctx, attribute, true)
}

// DisableTTL stops expiring items by attribute.
func (t *Table) DisableTTL(ctx context.Context, attribute string) error {
	return t.setTTL(ctx, attribute, false)
}

func (t *Table) setTTL(ctx context.Context, attribute string, enabled bool) error {
	if attribute == "" {
		return fmt.Errorf("%w: TTL needs an attribute name", ErrSchema)
	}
	in := &dynamodb.UpdateTimeToLiveInput{
		TableName:               &t.name,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: &attribute, Enabled: &enabled},
	}
	if _, err := t.c.API().UpdateTimeToLive(ctx, in); err != nil {
		return fmt.Errorf("dynamap: update TTL of %q: %w", t.name, wrapErr(err))
	}
	return nil
}

// DescribeTTL returns the table's time-to-live setting.
func (t *Table) DescribeTTL(ctx context.Context) (TTL, error) {
	out, err := t.c.API().DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &t.name})
	if err != nil {
		return TTL{}, fmt.Errorf("dynamap: describe TTL of %q: %w", t.name, wrapErr(err))
	}
	if out.TimeToLiveDescription == nil {
		return TTL{Status: types.TimeToLiveStatusDisabled}, nil
	}
	return TTL{Attribute: deref(out.TimeToLiveDescription.AttributeName), Status: out.TimeToLiveDescription.TimeToLiveStatus}, nil
}

// ListTables yields the names of the account's tables, paging through
// ListTables lazily; breaking out of the loop stops fetching.
func ListTables(ctx context.Context, c *conn.Conn) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		var start *string
		for {
			if err := ctx.Err(); err != nil {
				yield("", err)
				return
			}
			out, err := c.API().ListTables(ctx, &dynamodb.ListTablesInput{ExclusiveStartTableName: start})
			if err != nil {
				yield("", fmt.Errorf("dynamap: list tables: %w", wrapErr(err)))
				return
			}
			for _, name := range out.TableNames {
				if !yield(name, nil) {
					return
				}
			}
			if out.LastEvaluatedTableName == nil {
				return
			}
			start = out.LastEvaluatedTableName
		}
	}
}

func ptr[T any](v T) *T { return &v }
