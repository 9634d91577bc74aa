package dynamap

import "github.com/dynamap/dynamap/internal/codec"

// The codec engine (encoding, decoding, number checks, sets, equality,
// cloning, size estimates and key text) lives in internal/codec; this file
// is the public surface over it. The types below are aliases, so their
// methods (documented here) are the codec's own.

// Number is a DynamoDB number held as its exact decimal text, so nothing
// loses precision on the way in or out (DynamoDB keeps 38 significant digits,
// more than float64 or int64 can). Numbers load from DynamoDB as Number; any
// Go integer or float can be stored and compares equal to the Number it
// loads as (42 == Number("42") == Number("42.0")).
//
// Its methods: String returns the text; Int64, Uint64, Float64 and Rat
// convert it (a *ValueError when it does not fit); Equal compares by value
// ("42" equals "42.0" and "4.2e1"); MarshalDynamoDBAttributeValue and
// UnmarshalDynamoDBAttributeValue make it an N with attributevalue too.
type Number = codec.Number

// StringSet is a DynamoDB string set (SS). Order is not significant. It is
// stored as a set wherever it appears (an attribute, a struct field, an
// element of a list or map); a nil StringSet is stored as NULL, and an empty
// one or one holding a member twice is refused (*ValueError), as DynamoDB
// refuses them. It loads from an SS (or an L of strings, as older versions
// stored struct fields); NULL loads as nil.
type StringSet = codec.StringSet

// NumberSet is a DynamoDB number set (NS). Order is not significant; members
// are compared by value, so NumberSet{"1", "1.0"} holds one member twice and
// is refused. Storage rules as StringSet.
type NumberSet = codec.NumberSet

// BinarySet is a DynamoDB binary set (BS). Order is not significant; members
// are copied when stored and when loaded. Storage rules as StringSet.
type BinarySet = codec.BinarySet

// NumberOf converts a Go integer, float, Number, json.Number, *big.Int,
// *big.Float, *big.Rat or decimal string to a Number. It fails with a
// *ValueError (ErrInvalidValue) for NaN, infinities, non-numeric text and
// numbers DynamoDB cannot store: more than 38 significant digits, or a
// magnitude outside 1E-130 to 9.9999999999999999999999999999999999999E+125
// (zero is fine).
func NumberOf(v any) (Number, error) { return codec.NumberOf(v) }
