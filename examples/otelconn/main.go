// Command otelconn shows dynamap's conn.Tracer wired to OpenTelemetry: one
// span per DynamoDB call, with the table, the attempts, the consumed
// capacity and the error. The spans are recorded in memory and printed;
// a real program would hand them to an exporter instead. It is a module of
// its own, so that dynamap itself does not depend on OpenTelemetry.
// Run it with: cd examples/otelconn && go run .
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/examples/internal/exenv"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// In a program: sdktrace.WithBatcher(an OTLP exporter).
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	c, stop, err := exenv.Connect(ctx, func(o *conn.Options) {
		o.Tracer = NewTracer(tp)
		o.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	})
	if err != nil {
		return err
	}
	defer stop()

	notes, err := dynamap.CreateTable(ctx, c, "otel_notes", []dynamap.KeyField{dynamap.HashKey("id")})
	if err != nil {
		return err
	}
	if err := notes.WaitActive(ctx); err != nil {
		return err
	}
	if err := notes.PutItem(ctx, map[string]any{"id": "n1", "text": "hello"}); err != nil {
		return err
	}
	if _, err := notes.GetItem(ctx, dynamap.Key{"id": "n1"}); err != nil {
		return err
	}
	_, err = dynamap.NewTable(c, "otel_missing").Describe(ctx)
	fmt.Println("describing a missing table fails:", errors.Is(err, dynamap.ErrTableNotFound))
	if err := notes.DeleteTable(ctx); err != nil {
		return err
	}

	describes := 0
	for _, s := range rec.Ended() {
		if s.Name() == "DynamoDB.DescribeTable" && s.Status().Code != codes.Error {
			describes++ // WaitActive polls: how often varies
			continue
		}
		fmt.Printf("span %s table=%s status=%s attempts=%s capacity=%s%s\n", s.Name(),
			attr(s.Attributes(), "aws.dynamodb.table_names"), s.Status().Code,
			attr(s.Attributes(), string(AttemptsKey)), attr(s.Attributes(), string(CapacityUnitsKey)),
			errText(s.Status()))
	}
	fmt.Printf("and %d DescribeTable spans from WaitActive\n", describes)
	fmt.Println("every span ended:", len(rec.Started()) == len(rec.Ended()))
	return nil
}

// attr returns the value of the attribute named key, or "-".
func attr(attrs []attribute.KeyValue, key string) string {
	for _, a := range attrs {
		if string(a.Key) == key {
			if s := a.Value.AsStringSlice(); s != nil {
				return strings.Join(s, ",")
			}
			return a.Value.Emit()
		}
	}
	return "-"
}

func errText(st sdktrace.Status) string {
	if st.Code != codes.Error {
		return ""
	}
	return fmt.Sprintf(" (%.40s...)", st.Description)
}
