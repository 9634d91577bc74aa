// Package model parses a Go struct type's tags into a typed table's model,
// once per type and tag key: which attribute is the hash key, the range
// key, the keys of each secondary index (`dynamap:"hash:Index"`,
// `"range:Index"`, `"range:Index,local"` for a local index), the version
// attribute and the created, updated and ttl timestamps. Attribute names
// come from the codec's tag (dynamodbav by default) and follow the codec's
// rules for embedded structs; key types come from the Go types. The root
// package's TypedTable is its one user.
package model
