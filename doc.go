// Package dynamap models Amazon DynamoDB tables as Go objects, in the manner
// of Python boto's dynamodb2 (Table, Item, ResultSet, BatchTable), on
// aws-sdk-go-v2.
//
// A Table learns its key schema and indexes from one DescribeTable (a schema
// given with WithSchema is checked against it). An Item remembers what it was loaded as and
// saves only what changed, conditioned on what it saw. Query, Scan and
// BatchGet return a lazy ResultSet that pages as it is ranged over. Filters
// are maps of "attribute__op" keys compiled into DynamoDB expressions; they
// and the helpers And, Or, Not, AnyOf, Exists, IsType, Size and Expr are the
// Conditions that Where, Expected, If and TxCheck take. A
// batch writer buffers puts and deletes 25 at a time and re-sends whatever
// DynamoDB leaves unprocessed.
//
// A tour:
//
//	c, err := conn.New(ctx)                     // AWS_REGION, credentials, DYNAMODB_ENDPOINT...
//	users, err := dynamap.CreateTable(ctx, c, "users",
//		[]dynamap.KeyField{dynamap.HashKey("username"), dynamap.RangeKey("date_joined", dynamap.N)})
//	err = users.WaitActive(ctx)
//
//	err = users.PutItem(ctx, map[string]any{"username": "johndoe", "date_joined": 1366056668, "first_name": "John"})
//	john, err := users.GetItem(ctx, dynamap.Key{"username": "johndoe", "date_joined": 1366056668})
//	john.Set("first_name", "Johann")
//	err = john.PartialSave(ctx)                 // UpdateItem: SET first_name, if still "John"
//
//	rs := users.Query(dynamap.Filter{"username__eq": "johndoe", "date_joined__gte": 1366000000},
//		dynamap.Limit(10), dynamap.Where(dynamap.Filter{"first_name__beginswith": "J"}))
//	for item, err := range rs.All(ctx) { ... }
//
//	err = users.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
//		return b.PutItem(ctx, map[string]any{"username": "jane", "date_joined": 1366056669})
//	})
//
// Errors are sentinels (ErrItemNotFound, ErrConditionalCheckFailed, ...) and
// typed errors (*KeyError, *FilterError, *UnprocessedError,
// *TransactionCanceledError); the SDK's own exception types stay reachable
// with errors.As.
//
// The conn package configures the connection (region, endpoint, retries,
// concurrency cap, per-request measurements); the ddblocal package runs
// AWS DynamoDB Local for tests and examples.
//
// # How it fits together
//
// Every request leaves through conn: conn.New (or conn.FromClient) wraps a
// DynamoDB client in a *conn.Conn, and its API method is the one door all
// calls of this package use. There the SDK retryer (conn.Options.MaxRetries),
// the in-flight cap (MaxConcurrency), the Tracer and the OnRequest and
// OnError measurements apply. This package, by concept:
//
//   - table.go: the Table handle, its options, and its schema, learnt from
//     one shared DescribeTable and checked against a declaration (WithSchema,
//     WithIndexes). admin.go: CreateTable, Describe, Update, global indexes,
//     TTL, DeleteTable, WaitActive, WaitDeleted, EstimatedItemCount and
//     ListTables. fields.go, indexes.go: key fields and secondary indexes.
//   - internal/codec: the one codec between Go values (maps, structs,
//     Number, sets) and attribute values, with number checks, equality,
//     size estimates and key text; it refuses what DynamoDB would. A
//     codec.Codec holds its options (struct tag key, time encoding,
//     encoding.TextMarshaler use...) and its own cache of struct fields;
//     each Table holds one, configured once with WithCodec (codec.Default
//     without it), and every value of that table goes through it: items
//     put as maps, structs or Items, Item.Set and Decode, Items and
//     Collect, keys, Filter and Condition values (internal/cond is handed
//     the table's codec when it compiles them), update values and
//     transaction actions. Functions without a table (NumberOf) use
//     codec.Default. codec.go: the public surface over it (Number,
//     StringSet, NumberSet, BinarySet, CodecOptions, WithCodec). key.go:
//     keys, and the checks of a whole item (key types, 400 KB).
//   - internal/cond: the conditions engine: the rule for attribute names
//     and document paths, the compiler of "attr__op" Filters and of the
//     other Conditions into expressions, DynamoDB's expression limits (4 KB,
//     300 operators) and the cache of update-expression shapes. names.go,
//     filters.go, conditions.go: the public surface over it (Name, Filter,
//     Condition and its constructors); FilterError is its type.
//   - internal/pager: the paging engine (a read's plan run page by page,
//     segments in parallel, the cursor kept right after each item, Count
//     with Select=COUNT) and the cursor codec. query.go: Query and Scan
//     plans; resultset.go: the public surface over the pager (ResultSet,
//     Items, Collect); cursor.go: resume-key attributes and a Query
//     cursor's check against its key condition; onerow.go: First and One.
//   - batch.go, batchget.go: the buffered batch writer and BatchGet, which
//     re-send what DynamoDB leaves unprocessed (MaxResends, Backoff).
//   - tx.go: TransactWrite and TransactGet.
//   - item.go: Item, its dirty tracking, Save, PartialSave and Delete.
//     itemops.go: GetItem, PutItem, DeleteItem; update.go: UpdateItem.
//   - internal/model: a struct type's model for a typed table (hash and
//     range keys, secondary index keys, version, created, updated, ttl from
//     the `dynamap` tags), parsed once per type and codec. Which struct
//     field is which attribute is the codec's one rule (codec.Fields,
//     codec.Tag: dynamodbav, then the TagKey tag); the model adds the roles
//     and refuses a dynamap tag on a field the codec does not store. typed.go:
//     TypedTable[T], TableOf and CreateTableOf (the model read with the
//     table's codec, WithCodec), the check of the tags against the described
//     table, Get, Lookup, Put, Delete and DeleteKey over the Item paths, every
//     T encoded and decoded through the table's codec. typed_results.go:
//     Results[T] for Query, Scan and BatchGet over the pager.
//     typed_batch.go: BatchWrite and BatchPut over the batch writer.
//     typed_modify.go: Modify and SaveChanges (one UpdateItem with only
//     the changed attributes, RetryConflicts). typed_tx.go: TxPut,
//     TxDelete, TxSaveChanges and TxGet, which mix with untyped actions.
//   - options.go, returns.go, errors.go: options typed by the calls they
//     fit, what a write returns (OldItem, *ConditionFailedError), errors.
//
// One PutItem: Table.PutItem (itemops.go) encodes data with the codec
// (internal/codec) into a new Item and saves it (item.go).
// The key schema comes from the Table (table.go: one DescribeTable the first
// time, none after); the item is checked (key.go) and its condition (by
// default: no item with that key yet, plus any Expected) is compiled
// within DynamoDB's limits by the conditions engine (internal/cond), all
// before any request. The PutItemInput then goes out through
// conn.Conn.API; a failed condition comes back as a *ConditionFailedError
// holding the stored item (returns.go, errors.go).
//
// One Query: Table.Query (query.go) does no I/O; it returns a ResultSet
// (resultset.go) holding the key condition and options. Ranging over All
// plans the read: the schema (table.go), the key condition and the Where
// conditions compiled (internal/cond), a StartFrom cursor decoded
// (internal/pager) and checked against the key condition (cursor.go). The
// pager (internal/pager) then fetches pages one at a time through
// conn.Conn.API as the loop asks for items; each is yielded as a loaded
// Item (item.go), or decoded into a T by Items[T] through the same codec,
// and the pager keeps the position after it for
// Cursor.
package dynamap
