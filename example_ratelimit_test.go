package dynamap_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dynamap/dynamap"
)

func ExampleRateLimit() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	// A background load that must not eat the table's write capacity:
	// at most 200 write units a second, as DynamoDB reports them.
	err := users.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
		for i := range 50 {
			if err := b.PutItem(ctx, User{Username: fmt.Sprint("user", i), DateJoined: int64(1366056660 + i), FirstName: "Ann"}); err != nil {
				return err
			}
		}
		return nil
	}, dynamap.RateLimit(200), dynamap.Concurrency(4))
	if err != nil {
		log.Fatal(err)
	}

	// A background scan held to 50 read units a second: its segments
	// share the one budget.
	rs := users.Scan(nil, dynamap.Parallel(2), dynamap.RateLimit(50))
	n := 0
	for _, err := range rs.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	fmt.Println("scanned", n, "users")
	// Output:
	// scanned 50 users
}

func ExamplePrefetch() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)
	err := users.BatchWriteFunc(ctx, func(b *dynamap.BatchTable) error {
		for i := range 10 {
			if err := b.PutItem(ctx, User{Username: "johndoe", DateJoined: int64(1366056660 + i), FirstName: "Bob"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	// While the loop works on one page of 3, the next page is already
	// being read. Breaking out cancels that request and leaves a cursor
	// right after the last item yielded.
	q := dynamap.Filter{"username__eq": "johndoe"}
	rs := users.Query(q, dynamap.PageSize(3), dynamap.Prefetch(1), dynamap.Consistent())
	for item, err := range rs.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(item.Get("date_joined"))
		if fmt.Sprint(item.Get("date_joined")) == "1366056664" {
			break
		}
	}
	rest, err := users.Query(q, dynamap.StartFrom(rs.Cursor()), dynamap.Prefetch(2), dynamap.Consistent()).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after the cursor:", rest)
	// Output:
	// 1366056660
	// 1366056661
	// 1366056662
	// 1366056663
	// 1366056664
	// after the cursor: 5
}
