package codec

import (
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DefaultTagKey is the struct tag every codec reads: `dynamodbav`.
const DefaultTagKey = "dynamodbav"

// Options configures a Codec. The zero Options is the default codec
// (Default): `dynamodbav` tags, times as RFC 3339 strings (Unix seconds
// with the unixtime tag), no encoding.TextMarshaler or BinaryMarshaler.
// The fields mirror attributevalue's EncoderOptions and DecoderOptions
// (same names, same meaning) where they apply to dynamap; UseNumber does
// not apply (a number always decodes into an interface as dynamap.Number),
// nor NullEmptySets (an empty set slice tagged stringset, numberset or
// binaryset is always NULL) or FixUnmarshalIndividualSetValues.
type Options struct {
	// TagKey is a struct tag read besides `dynamodbav` (json, say). As with
	// attributevalue, the dynamodbav tag is always read; a non-empty TagKey
	// tag is read after it and wins: its name (or "-") replaces
	// dynamodbav's, and its options (omitempty, string, unixtime, ...) are
	// added to dynamodbav's. "" and "dynamodbav" read dynamodbav alone.
	TagKey string

	// EncodeTime encodes every time.Time (and type convertible to it) that
	// is not tagged unixtime. nil: an RFC 3339 string with nanoseconds.
	EncodeTime func(time.Time) (types.AttributeValue, error)

	// DecodeTime decodes an S (DecodeTime.S) or N (DecodeTime.N) into a
	// time.Time; an N into a field tagged unixtime is always Unix seconds.
	// A nil function: S is RFC 3339, N is Unix seconds.
	DecodeTime attributevalue.DecodeTimeAttributes

	// UseEncodingMarshalers encodes a value that implements
	// encoding.TextMarshaler as an S of its text, else one that implements
	// encoding.BinaryMarshaler as a B of its bytes. A Marshaler
	// (MarshalDynamoDBAttributeValue) comes first; unlike attributevalue,
	// time.Time and dynamap's Number, sets and big numbers are never
	// encoded by their MarshalText, so that EncodeTime applies to times.
	UseEncodingMarshalers bool

	// UseEncodingUnmarshalers decodes an S into a value that implements
	// encoding.TextUnmarshaler with UnmarshalText, and a B into one that
	// implements encoding.BinaryUnmarshaler with UnmarshalBinary. An
	// Unmarshaler comes first; times and dynamap's own types are decoded by
	// the codec, as for UseEncodingMarshalers.
	UseEncodingUnmarshalers bool

	// OmitEmptyTime omits a zero time.Time from a field tagged omitempty
	// (by default a time is never empty, so the zero time is stored).
	OmitEmptyTime bool

	// OmitNullAttributeValues omits a NULL returned by a Marshaler
	// (MarshalDynamoDBAttributeValue) from a field tagged omitempty, or from
	// an element of a list or map tagged omitemptyelem.
	OmitNullAttributeValues bool
}

// Codec encodes Go values to attribute values and back with one set of
// Options. It is safe for concurrent use; it caches what it learns of each
// struct type, for itself alone (the tag key changes a struct's fields).
type Codec struct {
	opts    Options
	structs sync.Map // reflect.Type → *structInfo
	memo    sync.Map // Memo's values
}

// New returns a codec with opts.
func New(opts Options) *Codec {
	if opts.TagKey == DefaultTagKey {
		opts.TagKey = ""
	}
	return &Codec{opts: opts}
}

// Default is the codec of the zero Options: the one every Table uses unless
// it is given another, and the one of the functions that have no table
// (dynamap.NumberOf, the Marshal methods of Number and the sets).
var Default = New(Options{})
