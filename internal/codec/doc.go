// Package codec is dynamap's one codec: it encodes Go values (maps, Items'
// values, structs) to DynamoDB attribute values and decodes them back,
// checks number text as DynamoDB does, compares, clones and sizes attribute
// values and makes canonical key text. Everything the dynamap package
// stores or loads goes through it.
//
// Encoding and decoding are methods of a Codec, made by New with Options
// (struct tag key, time encoding and decoding, encoding.TextMarshaler and
// BinaryMarshaler use, OmitEmptyTime, OmitNullAttributeValues); each Codec
// caches struct fields for itself. Default is the codec of the zero
// Options. A dynamap Table holds one Codec (WithCodec) and hands it to
// every path that encodes or decodes; Freeze keeps a value for a codec not
// known yet (a Filter operand). Checking, comparing, cloning and sizing
// attribute values depend on no options and are plain functions.
//
// The dynamap package holds the public surface: its Number, StringSet,
// NumberSet and BinarySet types, which it hands the codec once with
// Configure, and ValueError, an alias of the codec's ValueError, the error
// every failure here is.
package codec
