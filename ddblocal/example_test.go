package ddblocal_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dynamap/dynamap/ddblocal"
)

// Start DynamoDB Local (installing it on first use), point a client at its
// endpoint, and stop it.
func Example() {
	ctx := context.Background()
	srv, err := ddblocal.Start(ctx)
	if err != nil {
		log.Fatal(err) // e.g. Java 17+ missing: the error says how to get it
	}
	defer srv.Close()

	// With aws-sdk-go-v2:
	//   client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
	//       o.BaseEndpoint = aws.String(srv.Endpoint())
	//   })
	fmt.Println("DynamoDB Local at", srv.Endpoint())
}
