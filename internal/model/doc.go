// Package model parses a Go struct type's tags into a typed table's model,
// once per type and codec: which attribute is the hash key, the range
// key, the keys of each secondary index (`dynamap:"hash:Index"`,
// `"range:Index"`, `"range:Index,local"` for a local index), the version
// attribute and the created, updated and ttl timestamps. Which struct field
// is which attribute, and its options, is the codec's rule alone
// (codec.Codec.Fields and Tag: dynamodbav, then the codec's TagKey tag);
// this package adds the roles, checks that every field carrying a dynamap
// tag is one the codec stores, and keeps each model in the codec it was
// read with (codec.Codec.Memo). Key types come from the Go types (and the
// codec's UseEncodingMarshalers). The root package's TypedTable is its one
// user.
package model
