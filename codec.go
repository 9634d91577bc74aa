package dynamap

import (
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
)

// The codec engine (encoding, decoding, number checks, sets, equality,
// cloning, size estimates and key text) lives in internal/codec; this file
// is the public surface over it: the number and set types, which the codec
// is configured with once, here, and a table's codec options (WithCodec).

func init() {
	codec.Configure(codec.Types{
		Number:        reflect.TypeFor[Number](),
		StringSet:     reflect.TypeFor[StringSet](),
		NumberSet:     reflect.TypeFor[NumberSet](),
		BinarySet:     reflect.TypeFor[BinarySet](),
		MakeNumber:    func(s string) any { return Number(s) },
		MakeStringSet: func(ss []string) any { return StringSet(slices.Clone(ss)) },
		MakeNumberSet: func(ss []string) any {
			ns := make(NumberSet, len(ss))
			for i, s := range ss {
				ns[i] = Number(s)
			}
			return ns
		},
		MakeBinarySet: func(bs [][]byte) any { return BinarySet(bs) },
	})
}

// CodecOptions configures how one Table encodes Go values into attribute
// values and decodes them back (WithCodec). The zero CodecOptions is the
// default codec: `dynamodbav` struct tags, a time.Time as an RFC 3339
// string (Unix seconds for a field tagged unixtime), no
// encoding.TextMarshaler or BinaryMarshaler. The fields mirror the
// attributevalue package's EncoderOptions and DecoderOptions, with the same
// names and meaning; its UseNumber does not apply (dynamap always decodes
// a number into an interface as a Number), nor NullEmptySets (an empty
// slice tagged stringset, numberset or binaryset is always NULL).
type CodecOptions struct {
	// TagKey is a struct tag read besides `dynamodbav`, such as "json".
	// As with attributevalue, the dynamodbav tag is always read, and a
	// non-empty TagKey tag on the same field wins: its name (or "-")
	// replaces dynamodbav's, and its options (omitempty, string, unixtime,
	// ...) are added to dynamodbav's. Default "" (dynamodbav alone).
	TagKey string

	// EncodeTime encodes every time.Time (or type convertible to it) that
	// is not tagged unixtime, wherever it appears: a struct field, a map
	// or list element, an Item.Set value, a Filter or update value.
	// Default nil: an RFC 3339 string with nanoseconds.
	EncodeTime func(time.Time) (types.AttributeValue, error)

	// DecodeTime decodes a time stored as an S (DecodeTime.S) or an N
	// (DecodeTime.N, except into a field tagged unixtime, which is always
	// Unix seconds). Default nil functions: RFC 3339 for S, Unix seconds
	// for N.
	DecodeTime attributevalue.DecodeTimeAttributes

	// UseEncodingMarshalers stores a value that implements
	// encoding.TextMarshaler as an S of its text, else one that implements
	// encoding.BinaryMarshaler as a B of its bytes. A
	// MarshalDynamoDBAttributeValue method comes first. Unlike
	// attributevalue, a time.Time and dynamap's Number, sets and big
	// numbers keep their own encoding (so EncodeTime applies to times).
	// Default false.
	UseEncodingMarshalers bool

	// UseEncodingUnmarshalers loads an S into a value that implements
	// encoding.TextUnmarshaler with UnmarshalText, and a B into one that
	// implements encoding.BinaryUnmarshaler with UnmarshalBinary. An
	// UnmarshalDynamoDBAttributeValue method comes first; times and
	// dynamap's own types decode as always. Default false.
	UseEncodingUnmarshalers bool

	// OmitEmptyTime omits a zero time from a field tagged omitempty.
	// Default false: a time is never empty, so the zero time is stored.
	OmitEmptyTime bool

	// OmitNullAttributeValues omits the NULL a MarshalDynamoDBAttributeValue
	// method returns from a field tagged omitempty (or an element under
	// omitemptyelem). Default false: the NULL is stored.
	OmitNullAttributeValues bool
}

// WithCodec gives the table a codec of its own: every value the Table (and
// its Items, ResultSets, BatchTables and transaction actions) encodes or
// decodes goes through it: items put as maps, structs or Items, Item.Set
// and Item.Decode, Items, Collect, First and One, key values, Filter and
// Condition values, update values, Increment, TxPut, TxUpdate, TxCheck,
// BatchGet keys and the Item of a ConditionFailedError. It fits NewTable
// and CreateTable. Functions without a table (NumberOf, the Marshal methods
// of Number and the sets) use the default codec. Default: the zero
// CodecOptions.
func WithCodec(o CodecOptions) TableOption {
	cd := codec.New(codec.Options{
		TagKey:                  o.TagKey,
		EncodeTime:              o.EncodeTime,
		DecodeTime:              o.DecodeTime,
		UseEncodingMarshalers:   o.UseEncodingMarshalers,
		UseEncodingUnmarshalers: o.UseEncodingUnmarshalers,
		OmitEmptyTime:           o.OmitEmptyTime,
		OmitNullAttributeValues: o.OmitNullAttributeValues,
	})
	return tableOnlyFunc(func(c *tableConfig) { c.codec = cd })
}

// Number is a DynamoDB number held as its exact decimal text, so nothing
// loses precision on the way in or out (DynamoDB keeps 38 significant digits,
// more than float64 or int64 can). Numbers load from DynamoDB as Number; any
// Go integer or float can be stored and compares equal to the Number it
// loads as (42 == Number("42") == Number("42.0")).
type Number string

// NumberOf converts a Go integer, float, Number, json.Number, *big.Int,
// *big.Float, *big.Rat or decimal string to a Number. It fails with a
// *ValueError (ErrInvalidValue) for NaN, infinities, non-numeric text and
// numbers DynamoDB cannot store: more than 38 significant digits, or a
// magnitude outside 1E-130 to 9.9999999999999999999999999999999999999E+125
// (zero is fine).
func NumberOf(v any) (Number, error) {
	s, err := codec.NumberText(v)
	return Number(s), err
}

// String returns the decimal text.
func (n Number) String() string { return string(n) }

// Int64 returns n as an int64; it fails when n is not an integer or does not
// fit.
func (n Number) Int64() (int64, error) { return codec.NumberInt64(string(n)) }

// Uint64 returns n as a uint64; it fails when n is not a non-negative integer
// that fits.
func (n Number) Uint64() (uint64, error) { return codec.NumberUint64(string(n)) }

// Float64 returns the float64 nearest to n.
func (n Number) Float64() (float64, error) { return codec.NumberFloat64(string(n)) }

// Rat returns n as an exact rational number.
func (n Number) Rat() (*big.Rat, error) { return codec.NumberRat(string(n)) }

// Equal reports whether n and m are the same number ("42" equals "42.0" and
// "4.2e1"). Text that is not a number equals only the same text.
func (n Number) Equal(m Number) bool { return codec.NumberEqual(string(n), string(m)) }

// MarshalDynamoDBAttributeValue stores n as a DynamoDB number, so Number works
// as a struct field with attributevalue too. Text DynamoDB would refuse (see
// NumberOf) is a *ValueError.
func (n Number) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return codec.NumberAV(string(n))
}

// UnmarshalDynamoDBAttributeValue loads a DynamoDB number into n; NULL loads
// as "".
func (n *Number) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	switch v := av.(type) {
	case *types.AttributeValueMemberN:
		*n = Number(v.Value)
	case *types.AttributeValueMemberNULL:
		*n = ""
	default:
		return &ValueError{Reason: fmt.Sprintf("cannot load %s into Number", codec.Kind(av))}
	}
	return nil
}

// StringSet is a DynamoDB string set (SS). Order is not significant. It is
// stored as a set wherever it appears (an attribute, a struct field, an
// element of a list or map); a nil StringSet is stored as NULL, and an empty
// one or one holding a member twice is refused (*ValueError), as DynamoDB
// refuses them.
type StringSet []string

// NumberSet is a DynamoDB number set (NS). Order is not significant; members
// are compared by value, so NumberSet{"1", "1.0"} holds one member twice and
// is refused. Storage rules as StringSet.
type NumberSet []Number

// BinarySet is a DynamoDB binary set (BS). Order is not significant; members
// are copied when stored. Storage rules as StringSet.
type BinarySet [][]byte

// MarshalDynamoDBAttributeValue stores s as an SS (NULL when nil), so that
// StringSet is a set with attributevalue too.
func (s StringSet) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return codec.Default.Marshal(s)
}

// UnmarshalDynamoDBAttributeValue loads an SS (or an L of strings, as
// older versions stored struct fields) into s; NULL loads as nil.
func (s *StringSet) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	return codec.UnmarshalSet(av, "SS", s)
}

// MarshalDynamoDBAttributeValue stores s as an NS (NULL when nil).
func (s NumberSet) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return codec.Default.Marshal(s)
}

// UnmarshalDynamoDBAttributeValue loads an NS (or an L of numbers) into s;
// NULL loads as nil.
func (s *NumberSet) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	return codec.UnmarshalSet(av, "NS", s)
}

// MarshalDynamoDBAttributeValue stores s as a BS (NULL when nil), copying
// its members.
func (s BinarySet) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return codec.Default.Marshal(s)
}

// UnmarshalDynamoDBAttributeValue loads a BS (or an L of binaries) into s,
// copying its members; NULL loads as nil.
func (s *BinarySet) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	return codec.UnmarshalSet(av, "BS", s)
}
