package main

// This file is the part to copy: a conn.Tracer that opens an OpenTelemetry
// span for every DynamoDB call made through a dynamap connection.
//
// A span is named "DynamoDB.<Op>" (e.g. "DynamoDB.GetItem"), of kind
// client. It starts before the call waits for a concurrency slot and ends
// after the call returns, so it covers the wait, the SDK's retries and
// backoff. Its context is the one the SDK call gets, so spans that SDK-level
// instrumentation opens become its children.

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dynamap/dynamap/conn"
)

// ScopeName is the instrumentation scope name of the spans a [Tracer] makes.
const ScopeName = "github.com/dynamap/dynamap/conn"

// Attribute keys set on each span, beside OpenTelemetry's db.system.name,
// rpc.method, aws.dynamodb.table_names and aws.request_id.
const (
	// AttemptsKey is the number of HTTP attempts (conn.Measurement.Attempts).
	AttemptsKey = attribute.Key("dynamap.attempts")
	// CapacityUnitsKey is the consumed capacity (conn.Measurement.CapacityUnits),
	// set when DynamoDB reported any.
	CapacityUnitsKey = attribute.Key("dynamap.capacity_units")
	// WaitKey is the time spent waiting for a concurrency slot, in
	// seconds (conn.Measurement.Wait).
	WaitKey = attribute.Key("dynamap.slot_wait_seconds")
)

// Tracer is a conn.Tracer that makes one OpenTelemetry span per call.
// Build one with [NewTracer]; it is safe for concurrent use.
type Tracer struct {
	tracer trace.Tracer
}

var _ conn.Tracer = (*Tracer)(nil)

// NewTracer returns a Tracer whose spans come from tp, under [ScopeName].
func NewTracer(tp trace.TracerProvider) *Tracer {
	return &Tracer{tracer: tp.Tracer(ScopeName)}
}

// TraceRequestStart starts the call's span and returns ctx with it.
func (t *Tracer) TraceRequestStart(ctx context.Context, op, table string) context.Context {
	attrs := []attribute.KeyValue{
		attribute.String("db.system.name", "aws.dynamodb"),
		attribute.String("rpc.method", op),
	}
	if table != "" {
		attrs = append(attrs, attribute.StringSlice("aws.dynamodb.table_names", strings.Split(table, ",")))
	}
	ctx, _ = t.tracer.Start(ctx, "DynamoDB."+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

// TraceRequestEnd records m on the call's span, marks the span as failed
// when m.Err is set, and ends it.
func (t *Tracer) TraceRequestEnd(ctx context.Context, m conn.Measurement) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(AttemptsKey.Int(m.Attempts), WaitKey.Float64(m.Wait.Seconds()))
	if len(m.ConsumedCapacity) > 0 {
		span.SetAttributes(CapacityUnitsKey.Float64(m.CapacityUnits))
	}
	if m.RequestID != "" {
		span.SetAttributes(attribute.String("aws.request_id", m.RequestID))
	}
	if m.Err != nil {
		span.RecordError(m.Err)
		span.SetStatus(codes.Error, m.Err.Error())
	}
	span.End()
}
