package dynamap_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
)

// User is decoded from query results with dynamap.Items and dynamap.Collect.
type User struct {
	Username   string `dynamodbav:"username"`
	DateJoined int64  `dynamodbav:"date_joined"`
	FirstName  string `dynamodbav:"first_name"`
}

func ExampleTable_Query() {
	ctx := context.Background()
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = "http://127.0.0.1:8000" })
	if err != nil {
		log.Fatal(err)
	}
	users := dynamap.NewTable(c, "users")

	// Key condition: an eq on the hash key, at most one condition on the range key.
	rs := users.Query(dynamap.Filter{"username__eq": "johndoe", "date_joined__gte": 1236451000},
		dynamap.Reverse(), dynamap.Limit(3), dynamap.PageSize(50),
		dynamap.Where(dynamap.Filter{"first_name__beginswith": "A"}))
	for item, err := range rs.All(ctx) { // pages are fetched lazily; break stops fetching
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(item)
	}
	fmt.Println(rs.ScannedCount(), rs.ConsumedCapacity())

	// Count with Select=COUNT over all pages.
	n, err := users.Query(dynamap.Filter{"username__eq": "johndoe"}).Count(ctx)
	fmt.Println(n, err)

	// Decode into structs.
	for u, err := range dynamap.Items[User](ctx, users.Query(dynamap.Filter{"username__eq": "johndoe"})) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.FirstName)
	}
	all, err := dynamap.Collect[User](ctx, users.Query(dynamap.Filter{"username__eq": "johndoe"}, dynamap.Index("DateJoinedIndex")))
	fmt.Println(len(all), err)
}

func ExampleTable_Scan() {
	ctx := context.Background()
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = "http://127.0.0.1:8000" })
	if err != nil {
		log.Fatal(err)
	}
	users := dynamap.NewTable(c, "users")

	// Filters: eq ne lt lte gt gte beginswith between in contains ncontains null.
	rs := users.Scan(dynamap.Filter{
		"age__in":          []int{25, 26},
		"address.city__eq": "Oslo",  // dotted paths reach into maps
		"email__null":      false,   // the attribute is present
		"tags__contains":   "admin", // sets, lists, substrings
		"score__between":   [2]int{10, 20},
	}, dynamap.Parallel(4)) // four segments in goroutines, merged
	for item, err := range rs.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(item)
	}

	// OR instead of AND, and a raw expression where the mini-language is not enough.
	rs = users.Scan(dynamap.Filter{"age__lt": 18, "age__gt": 65}, dynamap.MatchAny(),
		dynamap.Where(expression.Name("nick").AttributeType(expression.String)))
	_ = rs
}

func ExampleResultSet_Cursor() {
	ctx := context.Background()
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = "http://127.0.0.1:8000" })
	if err != nil {
		log.Fatal(err)
	}
	users := dynamap.NewTable(c, "users")

	// A paging API: 20 items a page, resumed from an opaque, URL-safe cursor.
	page := func(cursor string) ([]*dynamap.Item, string, error) {
		rs := users.Query(dynamap.Filter{"username__eq": "johndoe"}, dynamap.Limit(20), dynamap.StartFrom(cursor))
		items, err := rs.Collect(ctx)
		return items, rs.Cursor(), err // "" once everything was read
	}
	items, next, err := page("")
	for err == nil && next != "" {
		fmt.Println(len(items))
		items, next, err = page(next)
	}
}
