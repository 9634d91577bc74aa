package dynamap

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DataType is the DynamoDB scalar type of a key attribute.
type DataType string

// The key attribute types DynamoDB allows.
const (
	S DataType = "S" // S is a string key.
	N DataType = "N" // N is a number key.
	B DataType = "B" // B is a binary key.
)

// String returns "S", "N" or "B".
func (d DataType) String() string { return string(d) }

func (d DataType) valid() bool { return d == S || d == N || d == B }

// KeyRole tells whether a key attribute is a table's (or index's) hash
// (partition) key or range (sort) key.
type KeyRole string

// The two key roles, with DynamoDB's names.
const (
	Hash  KeyRole = "HASH"  // Hash is the partition key.
	Range KeyRole = "RANGE" // Range is the sort key.
)

// KeyField is one attribute of a key schema: its name, type and role. Build
// them with HashKey and RangeKey.
type KeyField struct {
	Name string
	Type DataType
	Role KeyRole
}

// HashKey returns the hash (partition) key field name. The data type defaults
// to S (string); pass N or B for numbers or binary.
func HashKey(name string, dataType ...DataType) KeyField {
	return KeyField{Name: name, Type: firstType(dataType), Role: Hash}
}

// RangeKey returns the range (sort) key field name. The data type defaults to
// S (string); pass N or B for numbers or binary.
func RangeKey(name string, dataType ...DataType) KeyField {
	return KeyField{Name: name, Type: firstType(dataType), Role: Range}
}

func firstType(dt []DataType) DataType {
	if len(dt) == 0 {
		return S
	}
	return dt[0]
}

// String returns "name (HASH S)".
func (k KeyField) String() string { return fmt.Sprintf("%s (%s %s)", k.Name, k.Role, k.Type) }

func (k KeyField) schemaElement() types.KeySchemaElement {
	name := k.Name
	return types.KeySchemaElement{AttributeName: &name, KeyType: types.KeyType(k.Role)}
}

func (k KeyField) definition() types.AttributeDefinition {
	name := k.Name
	return types.AttributeDefinition{AttributeName: &name, AttributeType: types.ScalarAttributeType(k.Type)}
}

// validateKeySchema checks that parts hold one hash key first, optionally one
// range key, with known types and names.
func validateKeySchema(what string, parts []KeyField) error {
	if len(parts) == 0 || len(parts) > 2 {
		return fmt.Errorf("%w: %s needs a hash key and at most one range key, got %d fields", ErrSchema, what, len(parts))
	}
	for i, p := range parts {
		if p.Name == "" {
			return fmt.Errorf("%w: %s: key field %d has no name", ErrSchema, what, i)
		}
		if !p.Type.valid() {
			return fmt.Errorf("%w: %s: key field %q has unknown type %q (want S, N or B)", ErrSchema, what, p.Name, p.Type)
		}
		want := Hash
		if i == 1 {
			want = Range
		}
		if p.Role != want {
			return fmt.Errorf("%w: %s: key field %d (%q) must be a %s key", ErrSchema, what, i, p.Name, want)
		}
	}
	return nil
}

// keyFieldsFrom turns a DescribeTable key schema back into KeyFields, typed
// from the attribute definitions. Unknown key types are ErrSchema.
func keyFieldsFrom(ks []types.KeySchemaElement, defs map[string]DataType) ([]KeyField, error) {
	out := make([]KeyField, 0, len(ks))
	for _, e := range ks {
		name := deref(e.AttributeName)
		var role KeyRole
		switch e.KeyType {
		case types.KeyTypeHash:
			role = Hash
		case types.KeyTypeRange:
			role = Range
		default:
			return nil, fmt.Errorf("%w: unknown KeyType %q for attribute %q", ErrSchema, e.KeyType, name)
		}
		dt, ok := defs[name]
		if !ok {
			return nil, fmt.Errorf("%w: key attribute %q has no attribute definition", ErrSchema, name)
		}
		out = append(out, KeyField{Name: name, Type: dt, Role: role})
	}
	// Hash first, as DynamoDB and validateKeySchema expect.
	if len(out) == 2 && out[0].Role == Range {
		out[0], out[1] = out[1], out[0]
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
