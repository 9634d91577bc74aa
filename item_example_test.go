package dynamap_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/dynamap/dynamap"
)

func ExampleItem_NeedsSave() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	key := dynamap.Key{"username": "johndoe", "date_joined": 1366056668}
	if err := users.PutItem(ctx, map[string]any{"username": "johndoe", "date_joined": 1366056668, "age": 42}); err != nil {
		log.Fatal(err)
	}
	john, err := users.GetItem(ctx, key, dynamap.Consistent())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(john.NeedsSave())

	// Dirty tracking compares values: 42 as a Go int equals the 42 that was
	// loaded, so the item is still clean.
	if err := john.Set("age", 42); err != nil {
		log.Fatal(err)
	}
	fmt.Println(john.NeedsSave())

	if err := john.Set("age", 43); err != nil {
		log.Fatal(err)
	}
	fmt.Println(john.NeedsSave())
	// Output:
	// false
	// false
	// true
}

func ExampleItem_PartialSave() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	key := dynamap.Key{"username": "johndoe", "date_joined": 1366056668}
	if err := users.PutItem(ctx, map[string]any{
		"username": "johndoe", "date_joined": 1366056668, "first_name": "John", "nickname": "JD", "visits": 1,
	}); err != nil {
		log.Fatal(err)
	}
	// Two copies of the same item, as two writers would hold them.
	a, err := users.GetItem(ctx, key, dynamap.Consistent())
	if err != nil {
		log.Fatal(err)
	}
	b, err := users.GetItem(ctx, key, dynamap.Consistent())
	if err != nil {
		log.Fatal(err)
	}

	// One UpdateItem: SET first_name, REMOVE nickname, if both still hold
	// their loaded values.
	if err := a.Set("first_name", "Johann"); err != nil {
		log.Fatal(err)
	}
	if err := a.Remove("nickname"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("a saved:", a.PartialSave(ctx))

	// b changes an attribute a did not touch: saved, and a's change is kept.
	if err := b.Set("visits", 2); err != nil {
		log.Fatal(err)
	}
	fmt.Println("b saved:", b.PartialSave(ctx))

	// b changes first_name, which a changed after b loaded it: refused.
	if err := b.Set("first_name", "Jack"); err != nil {
		log.Fatal(err)
	}
	err = b.PartialSave(ctx)
	fmt.Println("b refused:", errors.Is(err, dynamap.ErrConditionalCheckFailed))

	stored, err := users.GetItem(ctx, key, dynamap.Consistent())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(stored.Get("first_name"), stored.Get("visits"), stored.Has("nickname"))
	// Output:
	// a saved: <nil>
	// b saved: <nil>
	// b refused: true
	// Johann 2 false
}

func ExampleTable_PutItem() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	// A map, a struct (dynamodbav tags) or an *Item.
	err := users.PutItem(ctx, map[string]any{
		"username": "johndoe", "date_joined": 1366056668, "first_name": "John", "friends": dynamap.StringSet{"alice", "bob"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// By default PutItem refuses to replace an item with the same key
	// (username and date_joined).
	err = users.PutItem(ctx, User{Username: "johndoe", DateJoined: 1366056668, FirstName: "Impostor"})
	fmt.Println("same key refused:", errors.Is(err, dynamap.ErrConditionalCheckFailed))

	// Another date_joined is another item.
	err = users.PutItem(ctx, User{Username: "johndoe", DateJoined: 1366056669, FirstName: "Jon"})
	fmt.Println("other key:", err)

	// Overwrite() replaces unconditionally: the whole item, friends included.
	err = users.PutItem(ctx, User{Username: "johndoe", DateJoined: 1366056668, FirstName: "Johnny"}, dynamap.Overwrite())
	if err != nil {
		log.Fatal(err)
	}
	john, err := users.GetItem(ctx, dynamap.Key{"username": "johndoe", "date_joined": 1366056668}, dynamap.Consistent())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(john.Get("first_name"), john.Has("friends"))
	// Output:
	// same key refused: true
	// other key: <nil>
	// Johnny false
}

func ExampleTable_UpdateItem() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	key := dynamap.Key{"username": "jane", "date_joined": 1366056700}
	if err := users.PutItem(ctx, map[string]any{
		"username": "jane", "date_joined": 1366056700, "first_name": "Jane", "nickname": "JJ",
	}); err != nil {
		log.Fatal(err)
	}

	janet, err := users.UpdateItem(ctx, key,
		dynamap.SetValue("first_name", "Janet"),
		dynamap.Add("logins", 1),
		dynamap.RemoveAttr("nickname"),
		dynamap.Strict(),    // the item must exist; default: upsert
		dynamap.ReturnNew(), // return the item as it is after the update
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(janet.Get("first_name"), janet.Get("logins"), janet.Has("nickname"))

	// Strict on a key with no item: nothing is written.
	_, err = users.UpdateItem(ctx, dynamap.Key{"username": "nobody", "date_joined": 1}, dynamap.Add("logins", 1), dynamap.Strict())
	fmt.Println("no such item:", errors.Is(err, dynamap.ErrConditionalCheckFailed))

	// An atomic counter.
	logins, err := users.Increment(ctx, key, "logins", 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logins:", logins)
	// Output:
	// Janet 1 false
	// no such item: true
	// logins: 2
}

func ExampleItem_Decode() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	if err := users.PutItem(ctx, map[string]any{"username": "johndoe", "date_joined": 1366056668, "age": 42}); err != nil {
		log.Fatal(err)
	}
	john, err := users.GetItem(ctx, dynamap.Key{"username": "johndoe", "date_joined": 1366056668}, dynamap.Consistent())
	if err != nil {
		log.Fatal(err)
	}
	var u struct {
		Username string         `dynamodbav:"username"`
		Age      dynamap.Number `dynamodbav:"age"` // the exact decimal text
	}
	if err := john.Decode(&u); err != nil {
		log.Fatal(err)
	}
	age, err := u.Age.Int64()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Username, age)
	// Output:
	// johndoe 42
}
