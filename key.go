package dynamap

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
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
				v = codec.Clone(x)
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
		av, err := t.codec().Marshal(v)
		if err != nil {
			return nil, &KeyError{Table: t.name, Attribute: f.Name, Reason: causeText(err)}
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

// DynamoDB's limits on key values and on nesting.
const (
	// maxHashKeyBytes is the most bytes a hash (partition) key value takes,
	// of the table or of an index.
	maxHashKeyBytes = 2048
	// maxRangeKeyBytes is the most bytes a range (sort) key value takes, of
	// the table or of an index.
	maxRangeKeyBytes = 1024
	// maxNesting is how many maps and lists deep one attribute's value may
	// go: DynamoDB's 32 levels, the item itself being the first. A top-level
	// map holding maps 30 deep is at the limit (so is one holding a set at
	// that depth); one more map or list is refused.
	maxNesting = 31
)

// keyBytesLimit returns DynamoDB's size limit for a key value of role r.
func keyBytesLimit(r KeyRole) int {
	if r == Range {
		return maxRangeKeyBytes
	}
	return maxHashKeyBytes
}

// checkKeyAV checks that av, the value of the table's key attribute f, is
// present, has f's type, is not empty and fits DynamoDB's size limit.
func (t *Table) checkKeyAV(f KeyField, av types.AttributeValue) error {
	return t.checkKeyValue(f, av, "")
}

// checkKeyValue checks av as the value of key attribute f of the table
// (index "") or of the named index: it has f's type, is not an empty string
// or binary, and is within DynamoDB's 2048 bytes for a hash key or 1024 for
// a range key. A table key that is absent or NULL is missing; an index key
// that is NULL has the wrong type. Every fault is a *KeyError.
func (t *Table) checkKeyValue(f KeyField, av types.AttributeValue, index string) error {
	_, null := av.(*types.AttributeValueMemberNULL)
	if index == "" && (av == nil || null) {
		return &KeyError{Table: t.name, Attribute: f.Name, Missing: true}
	}
	bad := func(reason string) error {
		if index != "" {
			reason = fmt.Sprintf("key of index %q: %s", index, reason)
		}
		return &KeyError{Table: t.name, Attribute: f.Name, Reason: reason}
	}
	if kind := codec.Kind(av); kind != string(f.Type) {
		return bad(fmt.Sprintf("want type %s, got %s", f.Type, kind))
	}
	n := 0
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		if x.Value == "" {
			return bad("empty string")
		}
		n = len(x.Value)
	case *types.AttributeValueMemberB:
		if len(x.Value) == 0 {
			return bad("empty binary")
		}
		n = len(x.Value)
	}
	if limit := keyBytesLimit(f.Role); n > limit {
		role := "hash"
		if f.Role == Range {
			role = "range"
		}
		return bad(fmt.Sprintf("%d bytes, over DynamoDB's limit of %d bytes for a %s key value", n, limit, role))
	}
	return nil
}

// checkAttr checks one top-level attribute before it is written, as
// DynamoDB would: the name is not empty; if it names a key attribute of
// the table or of an index, the value has that key's type, is not empty
// and fits the key's size limit (a *KeyError); and the value holds no
// empty map key and no maps or lists deeper than DynamoDB's 32 levels (a
// *ValueError). checkItem runs it on every attribute of a whole item;
// PartialSave on each attribute it SETs, and UpdateItem and TxUpdate on
// every value they write to a top-level name.
func (t *Table) checkAttr(s *tableSchema, name string, av types.AttributeValue) error {
	if name == "" {
		return &ValueError{Reason: "empty attribute name"}
	}
	for _, f := range s.keys {
		if f.Name == name {
			if err := t.checkKeyAV(f, av); err != nil {
				return err
			}
		}
	}
	for _, ix := range s.indexes {
		for _, f := range ix.Parts {
			if f.Name == name {
				if err := t.checkKeyValue(f, av, ix.Name); err != nil {
					return err
				}
			}
		}
	}
	if err := checkNested(av, 0); err != nil {
		return codec.PrefixAttr(err, name)
	}
	return nil
}

// indexKeyOf returns the name of an index that has name as a key
// attribute, or "".
func indexKeyOf(s *tableSchema, name string) string {
	for _, ix := range s.indexes {
		for _, f := range ix.Parts {
			if f.Name == name {
				return ix.Name
			}
		}
	}
	return ""
}

// checkNested checks inside a value that lies depth maps or lists below
// its top-level attribute (0: the attribute's own value) what DynamoDB
// checks: no map holds an empty attribute name, and no map or list lies
// more than maxNesting deep. A fault is a *ValueError whose Attribute is
// the path below av.
func checkNested(av types.AttributeValue, depth int) error {
	switch x := av.(type) {
	case *types.AttributeValueMemberM:
		if depth++; depth > maxNesting {
			return tooDeep()
		}
		for k, e := range x.Value {
			if k == "" {
				return &ValueError{Reason: "a map holds an empty attribute name"}
			}
			if err := checkNested(e, depth); err != nil {
				return codec.PrefixAttr(err, k)
			}
		}
	case *types.AttributeValueMemberL:
		if depth++; depth > maxNesting {
			return tooDeep()
		}
		for i, e := range x.Value {
			if err := checkNested(e, depth); err != nil {
				return codec.PrefixAttr(err, strconv.Itoa(i))
			}
		}
	}
	return nil
}

func tooDeep() error {
	return &ValueError{Reason: fmt.Sprintf("maps and lists nested deeper than DynamoDB's 32 levels (the item is the first, so an attribute's value may hold %d)", maxNesting)}
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
// present, and every attribute passes checkAttr (key attributes of the
// table and of its indexes have their key's type, are not empty and fit
// the key size limits; no name is empty; nothing is nested deeper than 32
// levels); and the item is within DynamoDB's 400 KB. A key fault is a
// *KeyError, any other a *ValueError; both come before any request. When
// the item has several faults, the table key's comes first, then that of
// the first attribute by name.
func (t *Table) checkItem(s *tableSchema, item map[string]types.AttributeValue) error {
	if err := t.checkItemKey(s.keys, item); err != nil {
		return err
	}
	for name, av := range item {
		if t.checkAttr(s, name, av) != nil {
			for _, name := range slices.Sorted(maps.Keys(item)) {
				if err := t.checkAttr(s, name, item[name]); err != nil {
					return err
				}
			}
		}
	}
	if size := itemSize(item); size > maxItemSize {
		return &ValueError{Reason: fmt.Sprintf("item is about %d bytes, over DynamoDB's 400 KB limit", size)}
	}
	return nil
}

// freezeKey copies a key that a call keeps past its return (the
// transaction actions): every value becomes the library's own attribute
// value (bytes copied), so that changes the caller makes to key or its
// values afterwards are not seen. A value the codec refuses is a *KeyError,
// as keyFromValues would report it. A nil value stays nil (missing).
func (t *Table) freezeKey(key Key) (Key, error) {
	if key == nil {
		return nil, nil
	}
	out := make(Key, len(key))
	for name, v := range key {
		if v == nil {
			out[name] = nil
			continue
		}
		av, err := t.codec().Marshal(v)
		if err != nil {
			return nil, &KeyError{Table: t.name, Attribute: name, Reason: causeText(err)}
		}
		out[name] = av
	}
	return out, nil
}

// encodeItem converts item data to attribute values the caller no longer
// shares, with cd (the codec of the item's table): data may be a
// map[string]any, a Key, a map[string]types.AttributeValue (copied and
// checked), an *Item (its values), or a struct or pointer to one (struct
// tags as cd reads them). Every value goes through the one codec
// (codec.Codec.EncodeItem), so it stores the same whichever way it came in.
func encodeItem(cd *codec.Codec, data any) (map[string]types.AttributeValue, error) {
	switch x := data.(type) {
	case Key:
		return cd.MarshalMap(x)
	case *Item:
		if x == nil {
			return nil, &ValueError{Reason: "nil *Item"}
		}
		return x.avMap(), nil
	}
	return cd.EncodeItem(data)
}
