package dynamap_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/dynamap/dynamap"
)

func ExampleResultSet_One() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)
	for i, name := range []string{"John", "Johann", "Jon"} {
		err := users.PutItem(ctx, map[string]any{"username": "johndoe", "date_joined": 1366056668 + i, "first_name": name})
		if err != nil {
			log.Fatal(err)
		}
	}

	// First: the newest join of johndoe, with one request for one item.
	newest, err := users.Query(dynamap.Filter{"username__eq": "johndoe"}, dynamap.Reverse(), dynamap.Consistent()).First(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("newest:", newest.Get("first_name"))

	// One: exactly one item, or an error (it reads at most two).
	jon, err := users.Query(dynamap.Filter{"username__eq": "johndoe"},
		dynamap.Where(dynamap.Filter{"first_name__eq": "Jon"}), dynamap.Consistent()).One(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("one:", jon.Get("date_joined"))
	_, err = users.Query(dynamap.Filter{"username__eq": "johndoe"}, dynamap.Consistent()).One(ctx)
	fmt.Println("several:", errors.Is(err, dynamap.ErrTooManyItems))
	_, err = users.Query(dynamap.Filter{"username__eq": "nobody"}).One(ctx)
	fmt.Println("none:", errors.Is(err, dynamap.ErrItemNotFound))

	// Or decoded into a struct.
	first, err := dynamap.First[User](ctx, users.Query(dynamap.Filter{"username__eq": "johndoe"}, dynamap.Consistent()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("first:", first.FirstName, first.DateJoined)
	// Output:
	// newest: Jon
	// one: 1366056670
	// several: true
	// none: true
	// first: John 1366056668
}

func ExampleConditionFailedError() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)
	key := dynamap.Key{"username": "jane", "date_joined": 1366056700}
	err := users.PutItem(ctx, map[string]any{"username": "jane", "date_joined": 1366056700, "first_name": "Jane", "balance": 10})
	if err != nil {
		log.Fatal(err)
	}

	// A failed condition is an error that holds the item that made it fail.
	_, err = users.UpdateItem(ctx, key, dynamap.Add("balance", -20), dynamap.If(dynamap.Filter{"balance__gte": 20}))
	var failed *dynamap.ConditionFailedError
	if errors.As(err, &failed) {
		fmt.Println("not updated; the balance is", failed.Item.Get("balance"))
	}
	_, err = users.DeleteItem(ctx, key, dynamap.Expected(dynamap.Filter{"balance__eq": 0}))
	fmt.Println("not deleted:", errors.Is(err, dynamap.ErrConditionalCheckFailed))

	// OldItem returns the item a put replaced or a delete deleted.
	var old *dynamap.Item
	err = users.PutItem(ctx, map[string]any{"username": "jane", "date_joined": 1366056700, "first_name": "Janet"},
		dynamap.Overwrite(), dynamap.OldItem(&old))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("replaced:", old.Get("first_name"), old.Get("balance"))
	if _, err := users.DeleteItem(ctx, key, dynamap.OldItem(&old)); err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted:", old.Get("first_name"))
	// Output:
	// not updated; the balance is 10
	// not deleted: true
	// replaced: Jane 10
	// deleted: Janet
}
