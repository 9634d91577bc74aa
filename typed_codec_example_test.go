package dynamap_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/dynamap/dynamap"
)

// Book is a model whose attribute names are its json tags, under a json
// codec (WithCodec with TagKey "json").
type Book struct {
	ISBN    string `json:"isbn" dynamap:"hash"`
	Title   string `json:"title"`
	Rev     int64  `json:"rev" dynamap:"version"`
	Updated int64  `json:"updated_at" dynamap:"updated"`       // Unix seconds
	Expires int64  `json:"expires_at,omitempty" dynamap:"ttl"` // epoch seconds
	Draft   string `json:"-"`                                  // not stored
}

func ExampleTableOf_withCodec() {
	ctx := context.Background()
	c := localConn()
	jsonTags := dynamap.WithCodec(dynamap.CodecOptions{TagKey: "json"})
	// The key schema, the version attribute and TTL come from the json
	// names; TableOf and CreateTableOf read the model with the table's codec.
	books, err := dynamap.CreateTableOf[Book](ctx, c, fmt.Sprintf("books_%d", os.Getpid()), jsonTags)
	if err != nil {
		log.Fatal(err)
	}
	defer books.Table().DeleteTable(ctx)

	dune := Book{ISBN: "978-0441013593", Title: "Dune", Draft: "notes"}
	if err := books.Put(ctx, &dune); err != nil {
		log.Fatal(err)
	}
	keys, _ := books.Table().Schema(ctx)
	fmt.Println("keys:", keys)
	it, err := books.Table().GetItem(ctx, dynamap.Key{"isbn": dune.ISBN})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored:", it.Names())
	got, err := books.Get(ctx, dynamap.Key{"isbn": dune.ISBN})
	fmt.Println(got.Title, got.Rev, got.Draft == "", err)
	// Output:
	// keys: [isbn (HASH S)]
	// stored: [isbn rev title updated_at]
	// Dune 1 true <nil>
}
