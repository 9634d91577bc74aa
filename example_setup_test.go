package dynamap_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"sync/atomic"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
)

// The Examples run against the DynamoDB Local this test binary shares with
// its tests (started on first use; DYNAMODB_ENDPOINT names another one). Each
// Example creates the tables it uses, under names of its own, and deletes
// them.

// User is a typed view of an item of the users table: dynamodbav tags name
// the attributes.
type User struct {
	Username   string `dynamodbav:"username"`
	DateJoined int64  `dynamodbav:"date_joined"`
	FirstName  string `dynamodbav:"first_name"`
}

// localConn returns a connection to the test binary's DynamoDB Local. A
// program connects with conn.New(ctx) to AWS, or with
// conn.New(ctx, func(o *conn.Options) { o.Endpoint = srv.Endpoint() }) to a
// DynamoDB Local started by ddblocal.Start (see examples/quickstart).
func localConn() *conn.Conn {
	ep, err := dynamap.LocalEndpoint()
	if err != nil {
		log.Fatalf("the Examples need DynamoDB Local: %v", err)
	}
	c, err := conn.New(context.Background(), func(o *conn.Options) { o.Endpoint = ep })
	if err != nil {
		log.Fatal(err)
	}
	return c
}

var exampleTables atomic.Int64

// createTable creates a table with dynamap.CreateTable, under name plus a
// suffix unique to this run (test binaries may share one DynamoDB Local), and
// waits until it is active.
func createTable(ctx context.Context, c *conn.Conn, name string, schema []dynamap.KeyField, opts ...dynamap.TableOption) *dynamap.Table {
	name = fmt.Sprintf("%s_%d_%d", name, os.Getpid(), exampleTables.Add(1))
	t, err := dynamap.CreateTable(ctx, c, name, schema, opts...)
	if err != nil {
		log.Fatal(err)
	}
	if err := t.WaitActive(ctx); err != nil {
		log.Fatal(err)
	}
	return t
}

// createUsers creates the users table of the README's tour: hash key
// username (a string), range key date_joined (a number) and a global index
// ByFirstName on first_name.
func createUsers(ctx context.Context, c *conn.Conn) *dynamap.Table {
	return createTable(ctx, c, "users",
		[]dynamap.KeyField{dynamap.HashKey("username"), dynamap.RangeKey("date_joined", dynamap.N)},
		dynamap.WithIndexes(dynamap.GlobalAllIndex("ByFirstName", dynamap.HashKey("first_name"))))
}
