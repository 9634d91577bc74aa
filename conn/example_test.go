package conn_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/conn"
)

// tinyAPI answers GetItem offline (table "Missing" does not exist); every
// other method panics.
type tinyAPI struct{ conn.API }

func (tinyAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if aws.ToString(in.TableName) == "Missing" {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	}
	return &dynamodb.GetItemOutput{
		Item:             map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "42"}},
		ConsumedCapacity: &types.ConsumedCapacity{TableName: in.TableName, CapacityUnits: aws.Float64(0.5)},
	}, nil
}

// FromClient wraps any conn.API (here an offline fake) with the concurrency
// cap and measurements.
func ExampleFromClient() {
	c := conn.FromClient(tinyAPI{}, func(o *conn.Options) {
		o.MaxConcurrency = 4
		o.OnRequest = func(m conn.Measurement) {
			fmt.Printf("%s %s attempts=%d capacity=%.1f err=%v\n", m.Op, m.Table, m.Attempts, m.CapacityUnits, m.Err)
		}
	})
	out, err := c.API().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("Users")})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Item["id"].(*types.AttributeValueMemberS).Value)
	// Output:
	// GetItem Users attempts=1 capacity=0.5 err=<nil>
	// 42
}

// New makes no network calls: a Conn for DynamoDB Local, with its options
// printed (secrets redacted).
func ExampleNew() {
	c, err := conn.New(context.Background(), func(o *conn.Options) {
		o.Region = "us-east-1"
		o.Endpoint = "http://127.0.0.1:8000"
		o.AccessKeyID = "AKIDEXAMPLE"
		o.SecretAccessKey = "wJalrXUtnFEMI"
		o.MaxRetries = 5
		o.MaxConcurrency = 16
	})
	if err != nil {
		panic(err)
	}
	o := c.Options()
	fmt.Println(o.Region, o.Endpoint, o.MaxRetries, o.MaxConcurrency)
	fmt.Printf("%+v\n", conn.Options{AccessKeyID: o.AccessKeyID, SecretAccessKey: "wJalrXUtnFEMI"})
	// Output:
	// us-east-1 http://127.0.0.1:8000 5 16
	// {Region: Profile: Endpoint: AccessKeyID:AKIDEXAMPLE SecretAccessKey:*** SessionToken: MaxRetries:0 RetryMaxBackoff:0s MaxConcurrency:0 HTTPClient:<nil> ReturnConsumedCapacity: OnRequest:<nil> OnError:<nil> Tracer:<nil>}
}

// slogTracer logs every call made through a Conn with log/slog: one record
// when the call starts, one when it ends. The per-call logger travels in the
// context from start to end, as a span does with a tracing library.
type slogTracer struct {
	log   *slog.Logger
	calls atomic.Int64
}

type callLogKey struct{}

func (t *slogTracer) TraceRequestStart(ctx context.Context, op, table string) context.Context {
	log := t.log.With("call", t.calls.Add(1), "op", op, "table", table)
	log.DebugContext(ctx, "dynamodb call")
	return context.WithValue(ctx, callLogKey{}, log)
}

func (t *slogTracer) TraceRequestEnd(ctx context.Context, m conn.Measurement) {
	log := ctx.Value(callLogKey{}).(*slog.Logger)
	if m.Err != nil {
		log.ErrorContext(ctx, "dynamodb call failed", "attempts", m.Attempts, "duration", m.Duration, "err", m.Err)
		return
	}
	log.InfoContext(ctx, "dynamodb call done", "attempts", m.Attempts, "capacity", m.CapacityUnits, "duration", m.Duration)
}

// A Tracer wired to log/slog. The handler drops the time and the duration
// so that the output is the same on every run.
func ExampleTracer() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	c := conn.FromClient(tinyAPI{}, func(o *conn.Options) {
		o.Tracer = &slogTracer{log: logger}
		o.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	})
	ctx := context.Background()
	if _, err := c.API().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Users")}); err != nil {
		panic(err)
	}
	_, err := c.API().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("Missing")})
	var rnf *types.ResourceNotFoundException
	fmt.Println("table missing:", errors.As(err, &rnf))
	// Output:
	// level=DEBUG msg="dynamodb call" call=1 op=GetItem table=Users
	// level=INFO msg="dynamodb call done" call=1 op=GetItem table=Users attempts=1 capacity=0.5
	// level=DEBUG msg="dynamodb call" call=2 op=GetItem table=Missing
	// level=ERROR msg="dynamodb call failed" call=2 op=GetItem table=Missing attempts=1 err="ResourceNotFoundException: Requested resource not found"
	// table missing: true
}
