package dynamap

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/conn"
)

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

// CreateTable creates a table with the given key schema and returns it. The
// defaults: on-demand billing (WithThroughput for provisioned), no indexes,
// no stream. Attribute definitions are collected from the key schema and
// every index's parts. CreateTable does not wait: call WaitActive.
func CreateTable(ctx context.Context, c *conn.Conn, name string, schema []KeyField, opts ...TableOption) (*Table, error) {
	cfg := applyOptions(&tableConfig{schema: slices.Clone(schema)}, opts, TableOption.applyTable)
	in, err := createTableInput(name, cfg)
	if err != nil {
		return nil, err
	}
	s, err := schemaFromCreate(in)
	if err != nil {
		return nil, err
	}
	if _, err := c.API().CreateTable(ctx, in); err != nil {
		return nil, errorf("dynamap: create table %q: %w", name, wrapErr(err))
	}
	// Trusted: the table is exactly what was asked for.
	return &Table{name: name, c: c, version: cfg.version, cdc: cfg.tableCodec(), describing: make(chan struct{}, 1), created: time.Now(), schema: s}, nil
}

// schemaFromCreate is the schema a CreateTable request creates, throughput
// included: the table's when provisioned, each global index's own or the
// table's, none when on-demand.
func schemaFromCreate(in *dynamodb.CreateTableInput) (*tableSchema, error) {
	d := &types.TableDescription{
		KeySchema:             in.KeySchema,
		AttributeDefinitions:  in.AttributeDefinitions,
		BillingModeSummary:    &types.BillingModeSummary{BillingMode: in.BillingMode},
		ProvisionedThroughput: provisionedDescription(in.ProvisionedThroughput),
	}
	for _, l := range in.LocalSecondaryIndexes {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, types.LocalSecondaryIndexDescription{
			IndexName: l.IndexName, KeySchema: l.KeySchema, Projection: l.Projection,
		})
	}
	for _, g := range in.GlobalSecondaryIndexes {
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, types.GlobalSecondaryIndexDescription{
			IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection,
			ProvisionedThroughput: provisionedDescription(g.ProvisionedThroughput),
		})
	}
	return schemaFromDescription(d)
}

func provisionedDescription(p *types.ProvisionedThroughput) *types.ProvisionedThroughputDescription {
	if p == nil {
		return nil
	}
	return &types.ProvisionedThroughputDescription{ReadCapacityUnits: p.ReadCapacityUnits, WriteCapacityUnits: p.WriteCapacityUnits}
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

// Describe calls DescribeTable, refreshes the table's key schema, indexes and
// throughput from the answer, and returns the raw description. A schema
// declared with WithSchema or WithIndexes that has not yet been found to
// agree with the table is checked against the answer: if it disagrees, the
// description is returned with a *SchemaMismatchError, which every call that
// needs the schema then returns too (until a Describe finds agreement).
func (t *Table) Describe(ctx context.Context) (*types.TableDescription, error) {
	out, err := t.c.API().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.name})
	if err != nil {
		return nil, errorf("dynamap: describe table %q: %w", t.name, wrapErr(err))
	}
	if out.Table == nil {
		return nil, fmt.Errorf("%w: DescribeTable of %q answered no description", ErrSchema, t.name)
	}
	return out.Table, t.learn(out.Table)
}

// Update changes the table's provisioned throughput (WithThroughput or
// WithOnDemand), its global indexes' throughput (WithGlobalThroughput) and
// its stream (WithStream). It does not wait for the change. The Table then
// reports what DynamoDB's answer describes (on AWS a table being updated
// keeps its old throughput until it is ACTIVE again) and, after WaitActive,
// the finished change. A declared schema not yet checked is checked against
// the answer; a mismatch is returned by the next call that needs the
// schema.
func (t *Table) Update(ctx context.Context, opts ...UpdateOption) error {
	cfg := applyOptions(&tableConfig{}, opts, UpdateOption.applyUpdate)
	in := &dynamodb.UpdateTableInput{TableName: &t.name}
	if cfg.onDemand {
		in.BillingMode = types.BillingModePayPerRequest
	} else if cfg.throughput != nil {
		in.BillingMode = types.BillingModeProvisioned
		in.ProvisionedThroughput = cfg.throughput.sdk()
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.globalThroughput)) {
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
	out, err := t.c.API().UpdateTable(ctx, in)
	if err != nil {
		return errorf("dynamap: update table %q: %w", t.name, wrapErr(err))
	}
	t.learnAfter(out.TableDescription)
	return nil
}

// CreateGlobalIndex adds a global secondary index to the table. On a
// provisioned table an index without WithThroughput gets the table's
// throughput. It does not wait: WaitActive waits for the index too. The
// Table lists the index from DynamoDB's answer on (while it is being
// created, Query on it fails until WaitActive).
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
	out, err := t.c.API().UpdateTable(ctx, in)
	if err != nil {
		return errorf("dynamap: create index %q on %q: %w", ix.Name, t.name, wrapErr(err))
	}
	d := out.TableDescription
	if d != nil {
		// DynamoDB may list the new index before its attribute
		// definitions: add the ones this request gave.
		dc := *d
		dc.AttributeDefinitions = slices.Clone(d.AttributeDefinitions)
		for _, def := range defs.list {
			if !slices.ContainsFunc(dc.AttributeDefinitions, func(a types.AttributeDefinition) bool {
				return deref(a.AttributeName) == deref(def.AttributeName)
			}) {
				dc.AttributeDefinitions = append(dc.AttributeDefinitions, def)
			}
		}
		d = &dc
	}
	t.learnAfter(d)
	return nil
}

// DeleteGlobalIndex removes the named global secondary index. It does not
// wait (WaitActive does); the Table stops listing the index from DynamoDB's
// answer on.
func (t *Table) DeleteGlobalIndex(ctx context.Context, name string) error {
	n := name
	in := &dynamodb.UpdateTableInput{
		TableName: &t.name,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
			{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: &n}},
		},
	}
	out, err := t.c.API().UpdateTable(ctx, in)
	if err != nil {
		return errorf("dynamap: delete index %q on %q: %w", name, t.name, wrapErr(err))
	}
	t.mu.Lock()
	if t.declared != nil && t.declared.hasIndexes {
		// A declaration not yet checked no longer holds the deleted index.
		t.declared.indexes = slices.DeleteFunc(t.declared.indexes, func(ix SecondaryIndex) bool { return ix.Name == name })
	}
	t.mu.Unlock()
	t.learnAfter(out.TableDescription)
	return nil
}

// DeleteTable deletes the table (boto's delete()). It does not wait: call
// WaitDeleted. The Table
// forgets what it knew of the table's indexes and throughput: the next call
// that needs them describes the table again.
func (t *Table) DeleteTable(ctx context.Context) error {
	if _, err := t.c.API().DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &t.name}); err != nil {
		return errorf("dynamap: delete table %q: %w", t.name, wrapErr(err))
	}
	t.mu.Lock()
	t.stale = true
	t.created = time.Time{} // deleted: a missing table is missing, not yet to appear
	t.mu.Unlock()
	return nil
}

// justCreated reports whether CreateTable made this Table's table less than
// createdGrace ago (and DeleteTable has not deleted it since).
func (t *Table) justCreated() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return !t.created.IsZero() && time.Since(t.created) < createdGrace
}

// createdGrace is how long after CreateTable WaitActive takes "table not
// found" for DynamoDB not describing the new table yet (DescribeTable is
// eventually consistent) rather than for a missing table.
const createdGrace = 30 * time.Second

// WaitActive polls DescribeTable until the table and all its global indexes
// are ACTIVE, or ctx ends, then refreshes the Table's schema, indexes and
// throughput from that last answer (checking a declared schema, see
// WithSchema: a mismatch is returned by the next call that needs the
// schema). Polling starts at 50 ms and backs off to 2 s. A table that
// does not exist is an error wrapping ErrTableNotFound (and the SDK's
// *types.ResourceNotFoundException), except during the first 30 seconds
// after CreateTable returned this Table (unless this Table has deleted it
// since), while DynamoDB may not describe the new table yet.
func (t *Table) WaitActive(ctx context.Context) error {
	var active *types.TableDescription
	err := poll(ctx, func() (bool, error) {
		out, err := t.c.API().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.name})
		if err != nil {
			err = wrapErr(err)
			if errors.Is(err, ErrTableNotFound) && t.justCreated() {
				return false, nil // created moments ago; not yet visible
			}
			return false, errorf("dynamap: wait for table %q: %w", t.name, err)
		}
		d := out.Table
		if d == nil || d.TableStatus != types.TableStatusActive {
			return false, nil
		}
		for _, g := range d.GlobalSecondaryIndexes {
			if g.IndexStatus != types.IndexStatusActive {
				return false, nil
			}
		}
		active = d
		return true, nil
	})
	if err != nil {
		return err
	}
	t.learnAfter(active)
	return nil
}

// WaitDeleted polls DescribeTable until the table no longer exists, or ctx
// ends; a table that does not exist (or never did) is done at once. Polling
// starts at 50 ms and backs off to 2 s.
func (t *Table) WaitDeleted(ctx context.Context) error {
	return poll(ctx, func() (bool, error) {
		_, err := t.c.API().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.name})
		if err == nil {
			return false, nil
		}
		if err = wrapErr(err); errors.Is(err, ErrTableNotFound) {
			return true, nil
		}
		return false, errorf("dynamap: describe table %q: %w", t.name, err)
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

// EstimatedItemCount returns the table's item count as DynamoDB reports it
// in DescribeTable (boto's count()): approximate, refreshed by DynamoDB about
// every six hours (DynamoDB Local reports it exactly). For an exact count use
// Scan(nil, Consistent()).Count. Like Describe, it refreshes the Table's
// schema and checks a declared one.
func (t *Table) EstimatedItemCount(ctx context.Context) (int64, error) {
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
		return errorf("dynamap: update TTL of %q: %w", t.name, wrapErr(err))
	}
	return nil
}

// DescribeTTL returns the table's time-to-live setting.
func (t *Table) DescribeTTL(ctx context.Context) (TTL, error) {
	out, err := t.c.API().DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &t.name})
	if err != nil {
		return TTL{}, errorf("dynamap: describe TTL of %q: %w", t.name, wrapErr(err))
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
				yield("", errorf("dynamap: list tables: %w", wrapErr(err)))
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
