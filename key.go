package dynamap

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Key is a primary key: the hash key value and, for tables with a range key,
// the range key value, by attribute name. Values follow the key's DataType:
// string for S, any Go integer, float or Number for N, []byte for B.
type Key map[string]any

// keyAV validates key against the table's key schema (learning it with
// DescribeTable if needed) and converts it. Every failure is a *KeyError
// returned before any item request.
func (t *Table) keyAV(ctx context.Context, key Key) (map[string]types.AttributeValue, error) {
	s, err := t.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	return t.keyFromValues(s.keys, map[string]any(key))
}

// cloneKeys copies keys a call keeps past its return (BatchGet reads them
// when iterated): each Key map, and every binary value in it, so that the
// caller may reuse them at once.
func cloneKeys(keys []Key) []Key {
	out := make([]Key, len(keys))
	for i, k := range keys {
		if k == nil {
			continue
		}
		c := make(Key, len(k))
		for name, v := range k {
			switch x := v.(type) {
			case []byte:
				v = bytes.Clone(x)
			case types.AttributeValue:
				v = cloneAV(x)
			default:
				if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 && !rv.IsNil() {
					cp := reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len())
					reflect.Copy(cp, rv)
					v = cp.Interface()
				}
			}
			c[name] = v
		}
		out[i] = c
	}
	return out
}

// keyFromValues builds and checks the key for fields out of values; extra
// attributes in values are an error (a key names nothing else).
func (t *Table) keyFromValues(fields []KeyField, values map[string]any) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(fields))
	for _, f := range fields {
		v, ok := values[f.Name]
		if !ok || v == nil {
			return nil, &KeyError{Table: t.name, Attribute: f.Name, Missing: true}
		}
		av, err := marshalValue(v)
		if err != nil {
			return nil, &KeyError{Table: t.name, Attribute: f.Name, Reason: err.Error()}
		}
		if err := t.checkKeyAV(f, av); err != nil {
			return nil, err
		}
		out[f.Name] = av
	}
	if len(values) > len(fields) {
		for name := range values {
			if !slices.ContainsFunc(fields, func(f KeyField) bool { return f.Name == name }) {
				return nil, &KeyError{Table: t.name, Attribute: name, Reason: "not a key attribute of the table"}
			}
		}
	}
	return out, nil
}

// checkKeyAV checks that av has f's type and is not empty.
func (t *Table) checkKeyAV(f KeyField, av types.AttributeValue) error {
	if av == nil {
		return &KeyError{Table: t.name, Attribute: f.Name, Missing: true}
	}
	if _, null := av.(*types.AttributeValueMemberNULL); null {
		return &KeyError{Table: t.name, Attribute: f.Name, Missing: true}
	}
	if kind := avKind(av); kind != string(f.Type) {
		return &KeyError{Table: t.name, Attribute: f.Name, Reason: fmt.Sprintf("want type %s, got %s", f.Type, kind)}
	}
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		if x.Value == "" {
			return &KeyError{Table: t.name, Attribute: f.Name, Reason: "empty string"}
		}
	case *types.AttributeValueMemberB:
		if len(x.Value) == 0 {
			return &KeyError{Table: t.name, Attribute: f.Name, Reason: "empty binary"}
		}
	}
	return nil
}

// itemKey extracts and checks the primary key of a whole item.
func (t *Table) itemKey(fields []KeyField, item map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	if err := t.checkItemKey(fields, item); err != nil {
		return nil, err
	}
	out := make(map[string]types.AttributeValue, len(fields))
	for _, f := range fields {
		out[f.Name] = item[f.Name]
	}
	return out, nil
}

// checkItemKey checks the primary key attributes of a whole item.
func (t *Table) checkItemKey(fields []KeyField, item map[string]types.AttributeValue) error {
	for _, f := range fields {
		if err := t.checkKeyAV(f, item[f.Name]); err != nil {
			return err
		}
	}
	return nil
}

// checkItem checks a whole item before it is written (PutItem, Save, a
// batch put, TxPut), as DynamoDB would: the table's key attributes are
// present, of their type and not empty; every index key attribute the item
// holds has the index's key type and is not an empty string or binary; and
// the item is within DynamoDB's 400 KB. A key fault is a *KeyError, a size
// fault a *ValueError; both come before any request.
func (t *Table) checkItem(s *tableSchema, item map[string]types.AttributeValue) error {
	if err := t.checkItemKey(s.keys, item); err != nil {
		return err
	}
	for _, ix := range s.indexes {
		for _, f := range ix.Parts {
			av, ok := item[f.Name]
			if !ok {
				continue // an item without an index key is simply not indexed
			}
			if kind := avKind(av); kind != string(f.Type) {
				return &KeyError{Table: t.name, Attribute: f.Name, Reason: fmt.Sprintf("key of index %q: want type %s, got %s", ix.Name, f.Type, kind)}
			}
			switch x := av.(type) {
			case *types.AttributeValueMemberS:
				if x.Value == "" {
					return &KeyError{Table: t.name, Attribute: f.Name, Reason: fmt.Sprintf("key of index %q: empty string", ix.Name)}
				}
			case *types.AttributeValueMemberB:
				if len(x.Value) == 0 {
					return &KeyError{Table: t.name, Attribute: f.Name, Reason: fmt.Sprintf("key of index %q: empty binary", ix.Name)}
				}
			}
		}
	}
	if size := itemSize(item); size > maxItemSize {
		return &ValueError{Reason: fmt.Sprintf("item is about %d bytes, over DynamoDB's 400 KB limit", size)}
	}
	return nil
}

// marshalItem converts item data to attribute values the caller no longer
// shares: data may be a map[string]any, a Key, a map[string]types.AttributeValue
// (copied and checked), an *Item (its values), or a struct or pointer to one
// (dynamodbav tags apply). Every value goes through the one codec
// (marshalValue), so it stores the same whichever way it came in.
func marshalItem(data any) (map[string]types.AttributeValue, error) {
	switch x := data.(type) {
	case nil:
		return nil, &ValueError{Reason: "nil item"}
	case map[string]any:
		return marshalMap(x)
	case Key:
		return marshalMap(x)
	case map[string]types.AttributeValue:
		return cloneCheckAVMap(x)
	case *Item:
		if x == nil {
			return nil, &ValueError{Reason: "nil *Item"}
		}
		return x.avMap(), nil
	}
	rv := reflect.ValueOf(data)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Struct, reflect.Map:
	default:
		return nil, &ValueError{Reason: fmt.Sprintf("cannot store %T as an item: want a map, an *Item or a struct", data)}
	}
	av, err := encodeValue(rv, fieldTag{})
	if err != nil {
		return nil, err
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, &ValueError{Reason: fmt.Sprintf("cannot store %T as an item: it is stored as %s, not a map", data, avKind(av))}
	}
	return m.Value, nil
}

func cloneAVMap(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
