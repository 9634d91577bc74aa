package codec

import (
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EncodeItem converts data to a whole item the caller no longer shares:
// data is a map[string]any (each value through Marshal), a
// map[string]types.AttributeValue (copied and checked), or a struct, a map
// with string-like keys, or a pointer to one (struct tags as the codec's
// options say). Anything else, or a value that is not stored as a map, is
// a *ValueError.
func (c *Codec) EncodeItem(data any) (map[string]types.AttributeValue, error) {
	switch x := data.(type) {
	case nil:
		return nil, &ValueError{Reason: "nil item"}
	case map[string]any:
		return c.MarshalMap(x)
	case map[string]types.AttributeValue:
		return CloneCheckMap(x)
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
	av, err := c.EncodeReflect(rv)
	if err != nil {
		return nil, err
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, &ValueError{Reason: fmt.Sprintf("cannot store %T as an item: it is stored as %s, not a map", data, Kind(av))}
	}
	return m.Value, nil
}

// DecodeItem decodes a whole item into out, a non-nil pointer (to a struct,
// a map, or an interface), with the codec's rules and options; item is not
// modified and out shares nothing with it. Failures are *ValueError.
func (c *Codec) DecodeItem(item map[string]types.AttributeValue, out any) error {
	return c.Decode(&types.AttributeValueMemberM{Value: item}, out)
}
