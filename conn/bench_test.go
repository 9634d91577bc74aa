package conn_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/conn"
)

// The benchmarks measure what Conn.API adds to a call on an API that
// answers at once from memory.

func BenchmarkGetItemNoHooks(b *testing.B) {
	c := conn.FromClient(fakeAPI{})
	in := &dynamodb.GetItemInput{TableName: aws.String("Users")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.API().GetItem(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetItemOnRequestCapacity(b *testing.B) {
	var units float64
	c := conn.FromClient(fakeAPI{}, func(o *conn.Options) {
		o.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
		o.OnRequest = func(m conn.Measurement) { units += m.CapacityUnits }
	})
	in := &dynamodb.GetItemInput{TableName: aws.String("Users")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.API().GetItem(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchWriteItemOnRequest(b *testing.B) {
	n := 0
	c := conn.FromClient(fakeAPI{}, func(o *conn.Options) {
		o.OnRequest = func(m conn.Measurement) { n += len(m.Table) }
	})
	in := &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"Users": nil, "Orders": nil}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.API().BatchWriteItem(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
