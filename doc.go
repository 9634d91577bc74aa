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
package dynamap
