package dynamap_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/dynamap/dynamap"
)

// Film is a typed model: the table's keys and the version come from the
// dynamap tags.
type Film struct {
	Year    int       `dynamodbav:"year"    dynamap:"hash"`
	Title   string    `dynamodbav:"title"   dynamap:"range"`
	Rating  float64   `dynamodbav:"rating"`
	Studio  string    `dynamodbav:"studio"`
	Version int64     `dynamodbav:"version" dynamap:"version"`
	Updated time.Time `dynamodbav:"updated" dynamap:"updated"`
}

func ExampleTypedTable_Modify() {
	ctx := context.Background()
	c := localConn()
	films, err := dynamap.CreateTableOf[Film](ctx, c, fmt.Sprintf("modify_films_%d", os.Getpid()))
	if err != nil {
		log.Fatal(err)
	}
	defer films.Table().DeleteTable(ctx)
	if err := films.Table().WaitActive(ctx); err != nil {
		log.Fatal(err)
	}
	heat := Film{Year: 1995, Title: "Heat", Rating: 8.2, Studio: "Warner"}
	if err := films.Put(ctx, &heat); err != nil { // version 0: must be new; writes 1
		log.Fatal(err)
	}

	// Modify reads the film, calls the function, and sends one UpdateItem
	// with only what changed (SET rating), conditioned on the version it
	// read, which it bumps. On a conflict it re-reads and re-applies, up to
	// 3 more times.
	key := dynamap.Key{"year": 1995, "title": "Heat"}
	heat, err = films.Modify(ctx, key, func(f *Film) error {
		f.Rating = 8.3
		return nil
	}, dynamap.RetryConflicts(3))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(heat.Rating, heat.Version)

	// SaveChanges does the same for a caller that kept its own copy.
	before := heat
	heat.Studio = "Warner Bros."
	if err := films.SaveChanges(ctx, &before, &heat); err != nil {
		log.Fatal(err)
	}
	fmt.Println(heat.Studio, heat.Version)

	// A stale copy (version 2, stored 3) is refused.
	stale := before
	stale.Rating = 1
	err = films.SaveChanges(ctx, &before, &stale)
	fmt.Println(dynamap.IsConditionFailed(err))

	// Typed actions mix with untyped ones in one transaction; TxGet decodes.
	next := heat
	next.Rating = 8.4
	if err := dynamap.TransactWrite(ctx, c, films.TxSaveChanges(&heat, &next)); err != nil {
		log.Fatal(err)
	}
	var got *Film
	if _, err := dynamap.TransactGet(ctx, c, films.TxGet(key, &got)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Rating, got.Version)
	// Output:
	// 8.3 2
	// Warner Bros. 3
	// true
	// 8.4 4
}
