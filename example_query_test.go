package dynamap_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/dynamap/dynamap"
)

func ExampleTable_Query() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	// johndoe joined ten times, jane once.
	err := users.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
		for i := range 10 {
			u := User{Username: "johndoe", DateJoined: int64(1366056660 + i), FirstName: []string{"Ann", "Bob", "Cid"}[i%3]}
			if err := b.PutItem(ctx, u); err != nil {
				return err
			}
		}
		return b.PutItem(ctx, User{Username: "jane", DateJoined: 1366056700, FirstName: "Jane"})
	})
	if err != nil {
		log.Fatal(err)
	}

	// Key condition: an eq on the hash key, at most one condition on the
	// range key. Where filters what the key condition reads.
	rs := users.Query(dynamap.Filter{"username__eq": "johndoe", "date_joined__gte": 1366056663},
		dynamap.Where(dynamap.Filter{"first_name__in": []string{"Ann", "Cid"}}),
		dynamap.Reverse(), dynamap.Limit(3), dynamap.Consistent())
	for item, err := range rs.All(ctx) { // pages are fetched lazily; break stops fetching
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(item.Get("date_joined"), item.Get("first_name"))
	}

	// Count with Select=COUNT over all pages.
	n, err := users.Query(dynamap.Filter{"username__eq": "johndoe"}, dynamap.Consistent()).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("johndoe:", n)

	// Decode into structs.
	for u, err := range dynamap.Items[User](ctx, users.Query(dynamap.Filter{"username__eq": "jane"}, dynamap.Consistent())) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.FirstName, u.DateJoined)
	}
	// Output:
	// 1366056669 Ann
	// 1366056668 Cid
	// 1366056666 Ann
	// johndoe: 10
	// Jane 1366056700
}

func ExampleTable_Scan() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	err := users.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
		for _, u := range []map[string]any{
			{"username": "ann", "date_joined": 1, "age": 25, "address": map[string]any{"city": "Oslo"}, "email": "ann@example.com", "tags": dynamap.StringSet{"admin"}, "score": 12},
			{"username": "bob", "date_joined": 2, "age": 26, "address": map[string]any{"city": "Oslo"}, "tags": dynamap.StringSet{"admin"}, "score": 15},
			{"username": "cid", "date_joined": 3, "age": 70, "address": map[string]any{"city": "Lyon"}, "nick": "C"},
			{"username": "dee", "date_joined": 4, "age": 12, "nick": 7},
		} {
			if err := b.PutItem(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	// scan returns the usernames a scan yields, sorted: a scan's order is
	// DynamoDB's, and Parallel merges segments as they come.
	scan := func(rs *dynamap.ResultSet) []string {
		var names []string
		for item, err := range rs.All(ctx) {
			if err != nil {
				log.Fatal(err)
			}
			name, _ := item.GetString("username")
			names = append(names, name)
		}
		slices.Sort(names)
		return names
	}

	// Filters: eq ne lt lte gt gte beginswith between in contains ncontains
	// null. The conditions are ANDed.
	fmt.Println(scan(users.Scan(dynamap.Filter{
		"age__in":          []int{25, 26},
		"address.city__eq": "Oslo",  // dotted paths reach into maps
		"email__null":      true,    // the attribute is absent
		"tags__contains":   "admin", // sets, lists, substrings
		"score__between":   [2]int{10, 20},
	}, dynamap.Parallel(4), dynamap.Consistent()))) // four segments in goroutines, merged

	// OR is scoped to what it groups: AnyOf ORs one Filter's conditions, Or
	// any conditions. A Scan's filter and its Where conditions are ANDed:
	// this is (age < 18 OR age > 65) AND address exists.
	fmt.Println(scan(users.Scan(dynamap.Filter{"address__null": false},
		dynamap.Where(dynamap.AnyOf(dynamap.Filter{"age__lt": 18, "age__gt": 65})), dynamap.Consistent())))

	// Conditions compose: And, Or, Not, Exists, NotExists, IsType, Size.
	fmt.Println(scan(users.Scan(nil, dynamap.Where(dynamap.Or(
		dynamap.And(dynamap.Size("tags").Gte(1), dynamap.NotExists("email")),
		dynamap.IsType("nick", expression.Number),
	)), dynamap.Consistent())))

	// A raw expression where the helpers are not enough.
	fmt.Println(scan(users.Scan(nil, dynamap.Where(dynamap.Expr(expression.Name("nick").BeginsWith("C"))), dynamap.Consistent())))
	// Output:
	// [bob]
	// [cid]
	// [bob dee]
	// [cid]
}

func ExampleResultSet_Cursor() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	err := users.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
		for i := range 45 {
			if err := b.PutItem(ctx, User{Username: "johndoe", DateJoined: int64(1366056600 + i), FirstName: "John"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	// A paging API: 20 items a page, resumed from an opaque, URL-safe cursor.
	page := func(cursor string) ([]*dynamap.Item, string, error) {
		rs := users.Query(dynamap.Filter{"username__eq": "johndoe"}, dynamap.Limit(20), dynamap.StartFrom(cursor), dynamap.Consistent())
		items, err := rs.Collect(ctx)
		return items, rs.Cursor(), err // "" once everything was read
	}
	cursor := ""
	for n := 1; ; n++ {
		items, next, err := page(cursor)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("page %d: %d items, from %v to %v\n", n, len(items), items[0].Get("date_joined"), items[len(items)-1].Get("date_joined"))
		if next == "" {
			break
		}
		cursor = next
	}
	// Output:
	// page 1: 20 items, from 1366056600 to 1366056619
	// page 2: 20 items, from 1366056620 to 1366056639
	// page 3: 5 items, from 1366056640 to 1366056644
}
