package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/dynamap/dynamap/conn"
)

// fakeAPI answers offline; it reports whether the call's context carries a
// span (the one SDK-level instrumentation would nest under).
type fakeAPI struct {
	conn.API
	sawSpan []bool
}

func (f *fakeAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.sawSpan = append(f.sawSpan, trace.SpanContextFromContext(ctx).IsValid())
	return &dynamodb.GetItemOutput{
		ConsumedCapacity: &types.ConsumedCapacity{TableName: in.TableName, CapacityUnits: aws.Float64(0.5)},
	}, nil
}

func (f *fakeAPI) BatchWriteItem(ctx context.Context, _ *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	f.sawSpan = append(f.sawSpan, trace.SpanContextFromContext(ctx).IsValid())
	return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
}

// One span per call, recorded in memory here; in a program tp would export
// to a collector.
func ExampleNewTracer() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	api := &fakeAPI{}
	c := conn.FromClient(api, func(o *conn.Options) {
		o.Tracer = NewTracer(tp)
		o.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	})
	ctx := context.Background()
	_, _ = c.API().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Users")})
	_, _ = c.API().BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{"Users": nil, "Orders": nil},
	})

	for _, s := range rec.Ended() {
		var attrs []string
		for _, a := range s.Attributes() {
			if a.Key != WaitKey { // a duration: not the same twice
				attrs = append(attrs, string(a.Key)+"="+a.Value.Emit())
			}
		}
		slices.Sort(attrs)
		fmt.Printf("%s %s status=%s %q\n", s.Name(), s.SpanKind(), s.Status().Code, s.Status().Description)
		fmt.Println("  " + strings.Join(attrs, "\n  "))
	}
	fmt.Println("the API saw the span:", api.sawSpan)
	// Output:
	// DynamoDB.GetItem client status=Unset ""
	//   aws.dynamodb.table_names=["Users"]
	//   db.system.name=aws.dynamodb
	//   dynamap.attempts=1
	//   dynamap.capacity_units=0.5
	//   rpc.method=GetItem
	// DynamoDB.BatchWriteItem client status=Error "ProvisionedThroughputExceededException: slow down"
	//   aws.dynamodb.table_names=["Orders","Users"]
	//   db.system.name=aws.dynamodb
	//   dynamap.attempts=1
	//   rpc.method=BatchWriteItem
	// the API saw the span: [true true]
}
