// Command models keeps a movie catalogue as Go structs with a typed table:
// CreateTableOf builds the table, its indexes and its TTL from the struct's
// tags; Put writes a movie (and fills its version and timestamps); Get and
// Lookup read one back; Query by the ByGenre index lists a genre by rating;
// Modify changes one field and sends only that field, retrying when another
// writer got there first (RetryConflicts); BatchPut loads many movies;
// Delete removes one, conditioned on its version.
//
// Run it with: go run ./examples/models
// (on an embedded DynamoDB Local, or the one in DYNAMODB_ENDPOINT).
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"time"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/examples/internal/exenv"
)

// Movie is one item of the movies table: hash key year, range key title;
// the global index ByGenre (genre, rating) and the local index ByStudio
// (year, studio); an optimistic-locking version; timestamps the library
// fills; and a time-to-live attribute.
type Movie struct {
	Year    int       `dynamodbav:"year"    dynamap:"hash"`
	Title   string    `dynamodbav:"title"   dynamap:"range"`
	Genre   string    `dynamodbav:"genre"   dynamap:"hash:ByGenre"`
	Rating  float64   `dynamodbav:"rating"  dynamap:"range:ByGenre"`
	Studio  string    `dynamodbav:"studio"  dynamap:"range:ByStudio,local"`
	Actors  []string  `dynamodbav:"actors,stringset,omitempty"`
	Version int64     `dynamodbav:"version" dynamap:"version"`
	Created time.Time `dynamodbav:"created" dynamap:"created"`
	Updated time.Time `dynamodbav:"updated" dynamap:"updated"`
	Expires time.Time `dynamodbav:"expires,unixtime,omitempty" dynamap:"ttl"`
}

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	c, stop, err := exenv.Connect(ctx)
	if err != nil {
		return err
	}
	defer stop()

	// 1. The table, its two indexes and its TTL come from the tags.
	movies, err := dynamap.CreateTableOf[Movie](ctx, c, "movies")
	if err != nil {
		return err
	}
	defer func() {
		if err := movies.Table().DeleteTable(context.Background()); err != nil {
			log.Print(err)
		}
	}()
	if err := movies.Table().WaitActive(ctx); err != nil {
		return err
	}
	keys, err := movies.Table().KeyNames(ctx)
	if err != nil {
		return err
	}
	fmt.Println("created table movies with key", keys)

	// 2. Put fills the version and the timestamps; a second Put of a new
	// movie with the same key is refused.
	heat := Movie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8.2, Studio: "Warner",
		Actors: []string{"Al Pacino", "Robert De Niro"}}
	if err := movies.Put(ctx, &heat); err != nil {
		return err
	}
	fmt.Println("put Heat: version", heat.Version, "created set:", !heat.Created.IsZero())
	again := Movie{Year: 1995, Title: "Heat", Genre: "crime", Studio: "Universal"}
	err = movies.Put(ctx, &again)
	fmt.Println("second put of a new Heat refused:", errors.Is(err, dynamap.ErrConditionalCheckFailed))

	// 3. BatchPut loads a whole catalogue, 25 movies a request.
	catalogue := []Movie{
		{Year: 1972, Title: "The Godfather", Genre: "crime", Rating: 9.2, Studio: "Paramount"},
		{Year: 1994, Title: "Pulp Fiction", Genre: "crime", Rating: 8.9, Studio: "Miramax"},
		{Year: 1994, Title: "The Shawshank Redemption", Genre: "drama", Rating: 9.3, Studio: "Columbia"},
		{Year: 1999, Title: "The Matrix", Genre: "scifi", Rating: 8.7, Studio: "Warner"},
		{Year: 2014, Title: "Interstellar", Genre: "scifi", Rating: 8.7, Studio: "Paramount"},
	}
	for i := range 40 {
		catalogue = append(catalogue, Movie{Year: 2000 + i%20, Title: fmt.Sprintf("Sequel %02d", i), Genre: "sequel", Rating: float64(i%50) / 10, Studio: "Indie"})
	}
	if err := movies.BatchPut(ctx, slices.Values(catalogue), dynamap.Concurrency(2)); err != nil {
		return err
	}
	n, err := movies.Scan(nil).Count(ctx)
	if err != nil {
		return err
	}
	fmt.Println("batch loaded; the table now holds", n, "movies")

	// 4. Get and Lookup read one movie as a Movie.
	m, err := movies.Get(ctx, dynamap.Key{"year": 1994, "title": "Pulp Fiction"}, dynamap.Consistent())
	if err != nil {
		return err
	}
	fmt.Printf("get: %d %s (%s) rating %.1f\n", m.Year, m.Title, m.Studio, m.Rating)
	m, err = movies.Lookup(ctx, 1999, "The Matrix")
	if err != nil {
		return err
	}
	fmt.Printf("lookup: %d %s rating %.1f\n", m.Year, m.Title, m.Rating)

	// 5. Query the ByGenre index: crime movies, best first.
	crime, err := movies.Query(dynamap.Filter{"genre__eq": "crime"}, dynamap.Index("ByGenre"), dynamap.Reverse()).Collect(ctx)
	if err != nil {
		return err
	}
	fmt.Print("crime by rating:")
	for _, m := range crime {
		fmt.Printf(" %s (%.1f)", m.Title, m.Rating)
	}
	fmt.Println()

	// 6. Modify reads Heat, applies the change and sends one UpdateItem
	// with only what changed, conditioned on the version it read. Here a
	// second writer changes the movie between the read and the write on
	// the first attempt: the version no longer matches, and
	// RetryConflicts(3) re-reads and re-applies the change.
	key := dynamap.Key{"year": 1995, "title": "Heat"}
	calls := 0
	heat, err = movies.Modify(ctx, key, func(m *Movie) error {
		calls++
		if calls == 1 { // another writer, just after our read
			if _, err := movies.Modify(ctx, key, func(o *Movie) error { o.Studio = "Warner Bros."; return nil }); err != nil {
				return err
			}
		}
		m.Rating = 8.3
		return nil
	}, dynamap.RetryConflicts(3))
	if err != nil {
		return err
	}
	fmt.Printf("modified Heat in %d attempts: rating %.1f, studio %s, version %d\n", calls, heat.Rating, heat.Studio, heat.Version)

	// A function that changes nothing writes nothing.
	same, err := movies.Modify(ctx, key, func(m *Movie) error { m.Rating = 8.3; return nil })
	if err != nil {
		return err
	}
	fmt.Println("unchanged Modify kept version", same.Version)

	// 7. Delete is conditioned on the version: a stale copy is refused.
	stale := heat
	stale.Version--
	err = movies.Delete(ctx, &stale)
	fmt.Println("delete of a stale copy refused:", errors.Is(err, dynamap.ErrConditionalCheckFailed))
	if err := movies.Delete(ctx, &heat); err != nil {
		return err
	}
	_, err = movies.Get(ctx, key, dynamap.Consistent())
	fmt.Println("after Delete, Get says not found:", errors.Is(err, dynamap.ErrItemNotFound))

	fmt.Fprintln(os.Stderr, "done")
	return nil
}
