package dynamap

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// typedMovie is the model: table keys, a GSI, an LSI, a version,
// timestamps and a TTL.
type typedMovie struct {
	Year    int       `dynamodbav:"year"    dynamap:"hash"`
	Title   string    `dynamodbav:"title"   dynamap:"range"`
	Genre   string    `dynamodbav:"genre"   dynamap:"hash:ByGenre"`
	Rating  float64   `dynamodbav:"rating"  dynamap:"range:ByGenre"`
	Studio  string    `dynamodbav:"studio,omitempty" dynamap:"range:ByStudio,local"` // sparse: may be empty
	Actors  StringSet `dynamodbav:"actors,omitempty"`
	Version int64     `dynamodbav:"version" dynamap:"version"`
	Created time.Time `dynamodbav:"created" dynamap:"created"`
	Updated time.Time `dynamodbav:"updated" dynamap:"updated"`
	Expires time.Time `dynamodbav:"expires,unixtime" dynamap:"ttl"`
}

// typedMovies creates a typedMovie table (deleted when the test ends).
func typedMovies(t *testing.T, rc *requestCounter) *TypedTable[typedMovie] {
	t.Helper()
	c := testConn(t)
	if rc != nil {
		c = testConn(t, rc.option)
	}
	ctx := context.Background()
	tt, err := CreateTableOf[typedMovie](ctx, c, testTableName(t))
	if err != nil {
		t.Fatalf("CreateTableOf: %v", err)
	}
	t.Cleanup(func() {
		if err := tt.Table().DeleteTable(context.Background()); err != nil {
			t.Errorf("deleting table: %v", err)
		}
	})
	if err := tt.Table().WaitActive(ctx); err != nil {
		t.Fatal(err)
	}
	return tt
}

func TestTypedPutGetRoundTrip(t *testing.T) {
	ctx := context.Background()
	tt := typedMovies(t, nil)
	m := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8.3, Studio: "WB",
		Actors: StringSet{"Pacino", "De Niro"}, Expires: time.Unix(2000000000, 0)}
	before := time.Now().UTC().Add(-time.Second)
	if err := tt.Put(ctx, &m); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if m.Version != 1 {
		t.Errorf("Version after Put = %d, want 1", m.Version)
	}
	if m.Created.Before(before) || !m.Updated.Equal(m.Created) {
		t.Errorf("Created %v, Updated %v: want both now", m.Created, m.Updated)
	}
	got, err := tt.Get(ctx, Key{"year": 1995, "title": "Heat"})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Title != "Heat" || got.Version != 1 || !got.Created.Equal(m.Created) || !got.Expires.Equal(m.Expires) || len(got.Actors) != 2 {
		t.Errorf("Get = %+v, want %+v", got, m)
	}
	if _, err := tt.Get(ctx, Key{"year": 1995, "title": "Nope"}); !errors.Is(err, ErrItemNotFound) {
		t.Errorf("Get of a missing item: %v, want ErrItemNotFound", err)
	}
	// Stored as the codec stores it: expires in Unix seconds.
	it, err := tt.Table().GetItem(ctx, Key{"year": 1995, "title": "Heat"})
	if err != nil {
		t.Fatal(err)
	}
	if av, ok := it.avMap()["expires"].(*types.AttributeValueMemberN); !ok || av.Value != "2000000000" {
		t.Errorf("expires stored as %#v", it.avMap()["expires"])
	}
}
