// Package codec is dynamap's one codec: it encodes Go values (maps, Items'
// values, structs) to DynamoDB attribute values and decodes them back,
// checks number text as DynamoDB does, compares, clones and sizes attribute
// values and makes canonical key text. Everything the dynamap package
// stores or loads goes through it.
//
// The dynamap package holds the public surface: its Number, StringSet,
// NumberSet and BinarySet types, which it hands the codec once with
// Configure, and ValueError, an alias of the codec's ValueError, the error
// every failure here is.
package codec
