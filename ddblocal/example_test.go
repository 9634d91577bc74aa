package ddblocal_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/ddblocal"
)

// Start DynamoDB Local (installing it on first use), connect to it, and stop
// it.
func Example() {
	ctx := context.Background()
	srv, err := ddblocal.Start(ctx)
	if err != nil {
		log.Fatal(err) // e.g. Java 17+ missing: the error says how to get it
	}
	defer srv.Close()
	fmt.Println(strings.HasPrefix(srv.Endpoint(), "http://127.0.0.1:"))

	// Any aws-sdk-go-v2 client works with srv.Endpoint() as its BaseEndpoint.
	c, err := conn.New(ctx, func(o *conn.Options) { o.Endpoint = srv.Endpoint() })
	if err != nil {
		log.Fatal(err)
	}
	tables := 0
	for _, err := range dynamap.ListTables(ctx, c) {
		if err != nil {
			log.Fatal(err)
		}
		tables++
	}
	fmt.Println("tables:", tables) // -inMemory: every server starts empty
	// Output:
	// true
	// tables: 0
}
