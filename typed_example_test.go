package dynamap_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"time"

	"github.com/dynamap/dynamap"
)

// Movie is a typed model: attribute names come from the dynamodbav tags,
// keys, indexes, the version and the timestamps from the dynamap tags.
type Movie struct {
	Year    int       `dynamodbav:"year"    dynamap:"hash"`
	Title   string    `dynamodbav:"title"   dynamap:"range"`
	Genre   string    `dynamodbav:"genre"   dynamap:"hash:ByGenre"`                  // GSI hash
	Rating  float64   `dynamodbav:"rating"  dynamap:"range:ByGenre"`                 // GSI range
	Studio  string    `dynamodbav:"studio,omitempty" dynamap:"range:ByStudio,local"` // LSI range (sparse)
	Actors  []string  `dynamodbav:"actors,stringset,omitempty"`
	Version int64     `dynamodbav:"version" dynamap:"version"`
	Created time.Time `dynamodbav:"created" dynamap:"created"`
	Updated time.Time `dynamodbav:"updated" dynamap:"updated"`
	Expires time.Time `dynamodbav:"expires,unixtime,omitempty" dynamap:"ttl"`
}

func ExampleCreateTableOf() {
	ctx := context.Background()
	c := localConn()
	// Key schema, the ByGenre (global) and ByStudio (local) indexes, and TTL
	// on expires, from the tags.
	movies, err := dynamap.CreateTableOf[Movie](ctx, c, fmt.Sprintf("movies_%d", os.Getpid()))
	if err != nil {
		log.Fatal(err)
	}
	defer movies.Table().DeleteTable(ctx)
	if err := movies.Table().WaitActive(ctx); err != nil {
		log.Fatal(err)
	}

	heat := Movie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8.3, Studio: "Warner"}
	if err := movies.Put(ctx, &heat); err != nil { // version 0: must be new; writes 1
		log.Fatal(err)
	}
	fmt.Println("version", heat.Version, "created set:", !heat.Created.IsZero())

	// A second new item with the same key is refused.
	again := Movie{Year: 1995, Title: "Heat", Genre: "crime"}
	err = movies.Put(ctx, &again)
	var cf *dynamap.ConditionFailedError
	fmt.Println("second new Heat:", errors.As(err, &cf), again.Version)

	// Version v: the stored version must still be v; v+1 is written.
	stale := heat
	heat.Rating = 8.4
	if err := movies.Put(ctx, &heat); err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", heat.Version)
	fmt.Println("stale put refused:", dynamap.IsConditionFailed(movies.Put(ctx, &stale)))

	// A batch load: no conditions in a batch, so each item is written as
	// Put with Overwrite would write it (version 0 becomes 1).
	more := []Movie{
		{Year: 1995, Title: "Casino", Genre: "crime", Rating: 8.2},
		{Year: 1995, Title: "Se7en", Genre: "crime", Rating: 8.6},
		{Year: 1994, Title: "Speed", Genre: "action", Rating: 7.3},
	}
	if err := movies.BatchPut(ctx, slices.Values(more), dynamap.Concurrency(4)); err != nil {
		log.Fatal(err)
	}

	m, err := movies.Lookup(ctx, 1994, "Speed")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Title, m.Genre, m.Version)

	// Query the global index, best rated first.
	for m, err := range movies.Query(dynamap.Filter{"genre__eq": "crime"}, dynamap.Index("ByGenre"), dynamap.Reverse()).All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(m.Rating, m.Title)
	}

	// Delete is conditioned on the version.
	fmt.Println("stale delete refused:", dynamap.IsConditionFailed(movies.Delete(ctx, &stale)))
	if err := movies.Delete(ctx, &heat); err != nil {
		log.Fatal(err)
	}
	_, err = movies.Get(ctx, dynamap.Key{"year": 1995, "title": "Heat"}, dynamap.Consistent())
	fmt.Println(errors.Is(err, dynamap.ErrItemNotFound))
	// Output:
	// version 1 created set: true
	// second new Heat: true 0
	// version 2
	// stale put refused: true
	// Speed action 1
	// 8.6 Se7en
	// 8.4 Heat
	// 8.2 Casino
	// stale delete refused: true
	// true
}

func ExampleTableOf() {
	ctx := context.Background()
	c := localConn()
	// A table made without the model: its hash key year is a string.
	t := createTable(ctx, c, "movies_untyped", []dynamap.KeyField{dynamap.HashKey("year"), dynamap.RangeKey("title")})
	defer t.DeleteTable(ctx)

	// TableOf does no I/O; the first call checks the tags against the table
	// once, and every call reports the mismatch.
	movies := dynamap.TableOf[Movie](c, t.Name())
	_, err := movies.Get(ctx, dynamap.Key{"year": 1995, "title": "Heat"})
	var me *dynamap.SchemaMismatchError
	if errors.As(err, &me) {
		fmt.Println(me.What)
		fmt.Println("model:", me.Declared)
		fmt.Println("table:", me.Actual)
	}
	// Output:
	// key schema
	// model: [year (HASH N), title (RANGE S)]
	// table: [year (HASH S), title (RANGE S)]
}
