package codec

import (
	"math/big"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Deferred is a value kept for a codec not known yet: Freeze makes it,
// and Codec.Marshal encodes what it holds.
type Deferred struct{ v any }

// maxSnapshotDepth bounds how deep Freeze copies a value: far beyond what
// DynamoDB stores (32 levels), and a stop for pointer cycles.
const maxSnapshotDepth = 64

// Freeze returns what a call keeps of a value it will encode later with a
// codec it does not know yet (a Filter operand, before the table it is
// used with is known), so that the caller may change or reuse v at once:
//
//   - when every codec encodes v alike (its encoding depends on no
//     Options: strings, numbers, bools, binaries, dynamap's numbers and
//     sets, attribute values, Marshalers, and lists and maps of those), v
//     encoded now, with Default; err is the encoding's error;
//   - else (a struct, a time, a value with MarshalText or MarshalBinary,
//     or a list or map holding one) a Deferred holding a deep copy of
//     what a codec reads of v: its elements, what its pointers point to,
//     and the exported fields of its structs (a struct's unexported fields
//     are copied as they are, so what they point to stays shared).
func Freeze(v any) (any, error) {
	if d, ok := v.(Deferred); ok {
		return d, nil
	}
	rv := reflect.ValueOf(v)
	if optionFree(rv, 0) {
		return Default.Marshal(v)
	}
	return Deferred{snapshot(rv, 0).Interface()}, nil
}

// optionFree reports whether every codec encodes v alike.
func optionFree(v reflect.Value, depth int) bool {
	if !v.IsValid() {
		return true
	}
	if depth > maxSnapshotDepth {
		return false
	}
	t := v.Type()
	switch {
	case specialType(t), t.Implements(avType):
		return true
	case isTime(t):
		return false
	case t.Implements(marshalerType), reflect.PointerTo(t).Implements(marshalerType):
		return true
	case t.Implements(textMarshaler), reflect.PointerTo(t).Implements(textMarshaler),
		t.Implements(binMarshaler), reflect.PointerTo(t).Implements(binMarshaler):
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		return false // the tag key names its fields
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || optionFree(v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return true
		}
		for i := range v.Len() {
			if !optionFree(v.Index(i), depth+1) {
				return false
			}
		}
	case reflect.Map:
		set := isSetMap(t)
		it := v.MapRange()
		for it.Next() {
			if set && !optionFree(it.Key(), depth+1) || !optionFree(it.Value(), depth+1) {
				return false
			}
		}
	}
	return true
}

// snapshot returns a deep copy of v (see Freeze).
func snapshot(v reflect.Value, depth int) reflect.Value {
	if !v.IsValid() || depth > maxSnapshotDepth {
		return v
	}
	t := v.Type()
	switch t {
	case bigIntType:
		n := new(big.Int).Set(addressable(v).Addr().Interface().(*big.Int))
		return reflect.ValueOf(n).Elem()
	case bigFloatType:
		n := new(big.Float).Copy(addressable(v).Addr().Interface().(*big.Float))
		return reflect.ValueOf(n).Elem()
	case bigRatType:
		n := new(big.Rat).Set(addressable(v).Addr().Interface().(*big.Rat))
		return reflect.ValueOf(n).Elem()
	}
	if t.Kind() == reflect.Pointer && t.Implements(avType) && !v.IsNil() {
		return reflect.ValueOf(Clone(v.Interface().(types.AttributeValue)))
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(t.Elem())
		n.Elem().Set(snapshot(v.Elem(), depth+1))
		return n
	case reflect.Interface:
		n := reflect.New(t).Elem()
		if !v.IsNil() {
			n.Set(snapshot(v.Elem(), depth+1))
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(snapshot(v.Index(i), depth+1))
		}
		return n
	case reflect.Array:
		n := reflect.New(t).Elem()
		for i := range v.Len() {
			n.Index(i).Set(snapshot(v.Index(i), depth+1))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(t, v.Len())
		it := v.MapRange()
		for it.Next() {
			n.SetMapIndex(snapshot(it.Key(), depth+1), snapshot(it.Value(), depth+1))
		}
		return n
	case reflect.Struct:
		n := reflect.New(t).Elem()
		n.Set(v)
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				n.Field(i).Set(snapshot(v.Field(i), depth+1))
			}
		}
		return n
	}
	return v
}
