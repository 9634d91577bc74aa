// Command quickstart walks through dynamap: connect, create a table, put,
// get, partial save, batch load, query with filters, batch get, delete.
//
// Run it with: go run ./examples/quickstart
//
// It starts an embedded DynamoDB Local (ddblocal installs it on first use)
// unless DYNAMODB_ENDPOINT names one. With -aws it runs against DynamoDB on
// AWS instead: it creates a table named users there and deletes it at the end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/ddblocal"
)

// User is a typed view of an item; dynamodbav tags name the attributes.
type User struct {
	Username   string `dynamodbav:"username"`
	DateJoined int64  `dynamodbav:"date_joined"`
	FirstName  string `dynamodbav:"first_name"`
	Visits     int    `dynamodbav:"visits,omitempty"`
}

func main() {
	onAWS := flag.Bool("aws", false, "use DynamoDB on AWS (AWS_REGION, the shared config and the SDK's credential chain)")
	flag.Parse()
	if err := run(*onAWS); err != nil {
		log.Fatal(err)
	}
}

// connect returns a connection and a function that stops what it started.
func connect(ctx context.Context, onAWS bool) (*conn.Conn, func(), error) {
	if onAWS || os.Getenv(conn.EnvEndpoint) != "" {
		// This is how you connect to AWS: the region, profile and
		// credentials come from AWS_REGION, AWS_PROFILE, the shared config
		// and the SDK's credential chain; DYNAMODB_ENDPOINT, when set, points
		// the connection at another endpoint, such as a DynamoDB Local.
		c, err := conn.New(ctx)
		return c, func() {}, err
	}
	// An embedded DynamoDB Local on a free loopback port.
	fmt.Fprintln(os.Stderr, "starting an embedded DynamoDB Local (set DYNAMODB_ENDPOINT to use another)...")
	srv, err := ddblocal.Start(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = srv.Endpoint() })
	if err != nil {
		_ = srv.Close()
		return nil, nil, err
	}
	return c, func() { _ = srv.Close() }, nil
}

func run(onAWS bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	c, stop, err := connect(ctx, onAWS)
	if err != nil {
		return err
	}
	defer stop()

	// 1. Create a table with a hash and a range key and a global index.
	users, err := dynamap.CreateTable(ctx, c, "users",
		[]dynamap.KeyField{dynamap.HashKey("username"), dynamap.RangeKey("date_joined", dynamap.N)},
		dynamap.WithIndexes(dynamap.GlobalAllIndex("ByFirstName", dynamap.HashKey("first_name"))))
	if err != nil {
		return err
	}
	defer func() {
		if err := users.DeleteTable(context.WithoutCancel(ctx)); err != nil {
			log.Print(err)
		}
	}()
	if err := users.WaitActive(ctx); err != nil {
		return err
	}
	keys, err := users.KeyNames(ctx)
	if err != nil {
		return err
	}
	fmt.Println("created table users with key", keys)

	// 2. Put an item: a map, a struct or an *Item. The default refuses to
	// replace an existing item.
	if err := users.PutItem(ctx, map[string]any{
		"username": "johndoe", "date_joined": 1366056668, "first_name": "John", "friends": dynamap.StringSet{"alice", "bob"},
	}); err != nil {
		return err
	}
	err = users.PutItem(ctx, User{Username: "johndoe", DateJoined: 1366056668, FirstName: "Impostor"})
	fmt.Println("second put of the same key refused:", errors.Is(err, dynamap.ErrConditionalCheckFailed))

	// 3. Get it back (a consistent read sees every write before it), change one field, save only that change.
	john, err := users.GetItem(ctx, dynamap.Key{"username": "johndoe", "date_joined": 1366056668}, dynamap.Consistent())
	if err != nil {
		return err
	}
	fmt.Println("got", john.Get("first_name"), "friends", john.Get("friends"))
	if err := john.Set("first_name", "Johann"); err != nil {
		return err
	}
	fmt.Println("needs save:", john.NeedsSave())
	if err := john.PartialSave(ctx); err != nil { // UpdateItem: SET first_name if it is still "John"
		return err
	}
	visits, err := users.Increment(ctx, dynamap.Key{"username": "johndoe", "date_joined": 1366056668}, "visits", 1)
	if err != nil {
		return err
	}
	fmt.Println("saved first_name; visits is now", visits)

	// 4. Load many items through the batch writer: 25 a request, unprocessed
	// items re-sent, 4 requests in flight.
	err = users.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
		for i := range 200 {
			u := User{Username: fmt.Sprintf("user%03d", i%10), DateJoined: int64(1366056669 + i), FirstName: []string{"Ann", "Bob", "Cid"}[i%3]}
			if err := b.PutItem(ctx, u); err != nil {
				return err
			}
		}
		return nil
	}, dynamap.Concurrency(4))
	if err != nil {
		return err
	}
	n, err := users.Scan(nil, dynamap.Consistent()).Count(ctx)
	if err != nil {
		return err
	}
	fmt.Println("batch loaded; the table now holds", n, "items")

	// 5. Query with key conditions and a filter, ranging over the lazy result.
	rs := users.Query(dynamap.Filter{"username__eq": "user003", "date_joined__gte": 1366056700},
		dynamap.Where(dynamap.Filter{"first_name__in": []string{"Ann", "Cid"}}), dynamap.Limit(5), dynamap.Consistent())
	for item, err := range rs.All(ctx) {
		if err != nil {
			return err
		}
		fmt.Println("  query:", item.Get("username"), item.Get("date_joined"), item.Get("first_name"))
	}

	// ... or decode straight into structs, from an index (global indexes are
	// eventually consistent: on AWS the newest items may be missing for a moment).
	bobs, err := dynamap.Collect[User](ctx, users.Query(dynamap.Filter{"first_name__eq": "Bob"}, dynamap.Index("ByFirstName")))
	if err != nil {
		return err
	}
	fmt.Println("users named Bob:", len(bobs))

	// 6. Batch get: 100 keys a request; missing keys are simply absent.
	var want []dynamap.Key
	for i := range 5 {
		want = append(want, dynamap.Key{"username": fmt.Sprintf("user%03d", i), "date_joined": 1366056669 + i})
	}
	want = append(want, dynamap.Key{"username": "nobody", "date_joined": 1})
	got, err := users.BatchGet(want, dynamap.Consistent()).Collect(ctx)
	if err != nil {
		return err
	}
	fmt.Println("batch get of", len(want), "keys found", len(got))

	// 7. Conditional delete: a failed condition is an error that holds the
	// stored item (the one that made it fail).
	_, err = users.DeleteItem(ctx, dynamap.Key{"username": "johndoe", "date_joined": 1366056668},
		dynamap.Expected(dynamap.Filter{"first_name__eq": "John"}))
	var failed *dynamap.ConditionFailedError
	if !errors.As(err, &failed) {
		return fmt.Errorf("want a failed condition, got %v", err)
	}
	fmt.Println("not deleted: first_name is", failed.Item.Get("first_name"))
	if err := john.Delete(ctx); err != nil {
		return err
	}
	_, err = users.GetItem(ctx, dynamap.Key{"username": "johndoe", "date_joined": 1366056668}, dynamap.Consistent())
	fmt.Println("after Delete, GetItem says not found:", errors.Is(err, dynamap.ErrItemNotFound))

	return nil
}
