// Package exenv gives the examples a DynamoDB connection: to the endpoint in
// DYNAMODB_ENDPOINT when it is set, else to an embedded DynamoDB Local that
// ddblocal installs (first run only) and starts on a free loopback port.
package exenv

import (
	"context"
	"fmt"
	"os"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/ddblocal"
)

// Connect returns a connection and a function that stops the embedded
// server, if one was started. optFns adjust the connection options.
func Connect(ctx context.Context, optFns ...func(*conn.Options)) (*conn.Conn, func(), error) {
	stop := func() {}
	if os.Getenv(conn.EnvEndpoint) == "" {
		fmt.Fprintln(os.Stderr, "starting an embedded DynamoDB Local (set DYNAMODB_ENDPOINT to use another)...")
		srv, err := ddblocal.Start(ctx)
		if err != nil {
			return nil, stop, err
		}
		stop = func() { _ = srv.Close() }
		optFns = append([]func(*conn.Options){func(o *conn.Options) { o.Endpoint = srv.Endpoint() }}, optFns...)
	}
	c, err := conn.New(ctx, optFns...)
	if err != nil {
		stop()
		return nil, func() {}, err
	}
	return c, stop, nil
}
