package dynamap

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ProjectionType says which attributes an index copies from the table.
type ProjectionType string

// The projection types DynamoDB knows.
const (
	ProjectAll      ProjectionType = "ALL"       // ProjectAll copies every attribute.
	ProjectKeysOnly ProjectionType = "KEYS_ONLY" // ProjectKeysOnly copies the table and index keys.
	ProjectInclude  ProjectionType = "INCLUDE"   // ProjectInclude copies the keys and the listed attributes.
)

// Throughput is provisioned read and write capacity units.
type Throughput struct {
	Read  int64
	Write int64
}

// SecondaryIndex is a secondary index: a name, its key parts and its projection. A
// local index (AllIndex, KeysOnlyIndex, IncludeIndex) shares the table's hash
// key; a global one (GlobalAllIndex, ...) has its own keys and, on a
// provisioned table, its own throughput.
type SecondaryIndex struct {
	Name       string
	Parts      []KeyField     // hash key, then optional range key
	Projection ProjectionType // ALL, KEYS_ONLY or INCLUDE
	Include    []string       // non-key attributes for INCLUDE
	Global     bool           // true for a global secondary index
	// Throughput is the index's provisioned throughput (global indexes on a
	// provisioned table only); nil means none (on-demand) or, in CreateTable
	// on a provisioned table, the table's own throughput.
	Throughput *Throughput
}

// AllIndex is a local secondary index projecting every attribute.
func AllIndex(name string, parts ...KeyField) SecondaryIndex {
	return SecondaryIndex{Name: name, Parts: parts, Projection: ProjectAll}
}

// KeysOnlyIndex is a local secondary index projecting only keys.
func KeysOnlyIndex(name string, parts ...KeyField) SecondaryIndex {
	return SecondaryIndex{Name: name, Parts: parts, Projection: ProjectKeysOnly}
}

// IncludeIndex is a local secondary index projecting keys and the include
// attributes.
func IncludeIndex(name string, include []string, parts ...KeyField) SecondaryIndex {
	return SecondaryIndex{Name: name, Parts: parts, Projection: ProjectInclude, Include: slices.Clone(include)}
}

// GlobalAllIndex is a global secondary index projecting every attribute.
// Set provisioned throughput with WithThroughput.
func GlobalAllIndex(name string, parts ...KeyField) SecondaryIndex {
	return SecondaryIndex{Name: name, Parts: parts, Projection: ProjectAll, Global: true}
}

// GlobalKeysOnlyIndex is a global secondary index projecting only keys.
func GlobalKeysOnlyIndex(name string, parts ...KeyField) SecondaryIndex {
	return SecondaryIndex{Name: name, Parts: parts, Projection: ProjectKeysOnly, Global: true}
}

// GlobalIncludeIndex is a global secondary index projecting keys and the
// include attributes.
func GlobalIncludeIndex(name string, include []string, parts ...KeyField) SecondaryIndex {
	return SecondaryIndex{Name: name, Parts: parts, Projection: ProjectInclude, Include: slices.Clone(include), Global: true}
}

// WithThroughput returns a copy of a global index with provisioned read and
// write capacity units.
func (ix SecondaryIndex) WithThroughput(read, write int64) SecondaryIndex {
	ix.Throughput = &Throughput{Read: read, Write: write}
	return ix
}

// HashKey returns the index's hash key field (zero if the index has none).
func (ix SecondaryIndex) HashKey() KeyField {
	if len(ix.Parts) > 0 {
		return ix.Parts[0]
	}
	return KeyField{}
}

// RangeKey returns the index's range key field and whether it has one.
func (ix SecondaryIndex) RangeKey() (KeyField, bool) {
	if len(ix.Parts) > 1 {
		return ix.Parts[1], true
	}
	return KeyField{}, false
}

func (ix SecondaryIndex) validate() error {
	if ix.Name == "" {
		return fmt.Errorf("%w: index without a name", ErrSchema)
	}
	switch ix.Projection {
	case ProjectAll, ProjectKeysOnly:
		if len(ix.Include) > 0 {
			return fmt.Errorf("%w: index %q: include list with projection %s", ErrSchema, ix.Name, ix.Projection)
		}
	case ProjectInclude:
		if len(ix.Include) == 0 {
			return fmt.Errorf("%w: index %q: INCLUDE projection needs attribute names", ErrSchema, ix.Name)
		}
	default:
		return fmt.Errorf("%w: index %q: unknown projection %q", ErrSchema, ix.Name, ix.Projection)
	}
	return validateKeySchema("index "+ix.Name, ix.Parts)
}

func (ix SecondaryIndex) keySchema() []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, len(ix.Parts))
	for i, p := range ix.Parts {
		out[i] = p.schemaElement()
	}
	return out
}

func (ix SecondaryIndex) projection() *types.Projection {
	p := &types.Projection{ProjectionType: types.ProjectionType(ix.Projection)}
	if ix.Projection == ProjectInclude {
		p.NonKeyAttributes = slices.Clone(ix.Include)
	}
	return p
}

func (ix SecondaryIndex) localDefinition() types.LocalSecondaryIndex {
	name := ix.Name
	return types.LocalSecondaryIndex{IndexName: &name, KeySchema: ix.keySchema(), Projection: ix.projection()}
}

func (ix SecondaryIndex) globalDefinition(tableThroughput *Throughput) types.GlobalSecondaryIndex {
	name := ix.Name
	g := types.GlobalSecondaryIndex{IndexName: &name, KeySchema: ix.keySchema(), Projection: ix.projection()}
	tp := ix.Throughput
	if tp == nil {
		tp = tableThroughput
	}
	if tp != nil {
		g.ProvisionedThroughput = tp.sdk()
	}
	return g
}

func (t Throughput) sdk() *types.ProvisionedThroughput {
	r, w := t.Read, t.Write
	return &types.ProvisionedThroughput{ReadCapacityUnits: &r, WriteCapacityUnits: &w}
}

func projectionFrom(indexName string, p *types.Projection) (ProjectionType, []string, error) {
	if p == nil {
		return "", nil, fmt.Errorf("%w: index %q has no projection", ErrSchema, indexName)
	}
	switch p.ProjectionType {
	case types.ProjectionTypeAll:
		return ProjectAll, nil, nil
	case types.ProjectionTypeKeysOnly:
		return ProjectKeysOnly, nil, nil
	case types.ProjectionTypeInclude:
		return ProjectInclude, slices.Clone(p.NonKeyAttributes), nil
	}
	return "", nil, fmt.Errorf("%w: index %q: unknown ProjectionType %q", ErrSchema, indexName, p.ProjectionType)
}

// throughputFrom reads provisioned throughput; zero read and write (what
// DynamoDB reports for on-demand tables) is nil.
func throughputFrom(d *types.ProvisionedThroughputDescription) *Throughput {
	if d == nil {
		return nil
	}
	t := Throughput{Read: deref(d.ReadCapacityUnits), Write: deref(d.WriteCapacityUnits)}
	if t.Read == 0 && t.Write == 0 {
		return nil
	}
	return &t
}
