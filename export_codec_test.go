package dynamap

import (
	"math/big"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamap/dynamap/internal/codec"
)

// The root package's tests reach the codec engine (internal/codec) under
// the names they had when it lived here.

func marshalValue(v any) (types.AttributeValue, error) { return codec.Default.Marshal(v) }
func marshalMap(m map[string]any) (map[string]types.AttributeValue, error) {
	return codec.Default.MarshalMap(m)
}

// marshalItem encodes item data with the default codec.
func marshalItem(data any) (map[string]types.AttributeValue, error) {
	return encodeItem(codec.Default, data)
}
func unmarshalValue(av types.AttributeValue) any           { return codec.Unmarshal(av) }
func equalAV(a, b types.AttributeValue) bool               { return codec.Equal(a, b) }
func equalAVMap(a, b map[string]types.AttributeValue) bool { return codec.EqualMap(a, b) }
func avKind(av types.AttributeValue) string                { return codec.Kind(av) }
func checkNumber(s string) error                           { return codec.CheckNumber(s) }
func numberKey(s string) string                            { return codec.NumberKey(s) }
func canonicalNumber(s string) string                      { return codec.CanonicalNumber(s) }
func parseDecimal(s string) (*big.Rat, bool)               { return codec.ParseDecimal(s) }
func numAV(s string) types.AttributeValue                  { return codec.N(s) }
func cloneCheckAV(av types.AttributeValue) (types.AttributeValue, error) {
	return codec.CloneCheck(av)
}
func cloneCheckAVMap(m map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	return codec.CloneCheckMap(m)
}

// defaultCodec is the codec of a Table without WithCodec.
var defaultCodec = codec.Default
