package conn

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Measurement describes one call made through [Conn.API], as reported to
// Options.OnRequest and [Tracer].TraceRequestEnd. It never contains
// credentials.
type Measurement struct {
	// Op is the DynamoDB operation, e.g. "GetItem", "BatchWriteItem".
	Op string

	// Table is the table the call is about: the input's TableName; for
	// BatchGetItem/BatchWriteItem the RequestItems keys, sorted and
	// comma-joined; for TransactGetItems/TransactWriteItems the distinct
	// table names in order of first appearance, comma-joined; empty for
	// ListTables and for a nil input. It is only worked out when
	// Options.OnRequest or Options.Tracer is set.
	Table string

	// Wait is the time spent waiting for a concurrency slot.
	Wait time.Duration

	// Duration is the time the underlying call took, retries and backoff
	// included, slot wait and hooks excluded.
	Duration time.Duration

	// Attempts is the number of HTTP attempts, retries included. For
	// clients that support smithy middleware (such as *dynamodb.Client,
	// including one given to FromClient) it is counted per attempt; else
	// it comes from the SDK's retry metadata or *retry.MaxAttemptsError;
	// for a client that reports neither (a fake) it is 1. It is 0 only if
	// the context was done before a concurrency slot was free.
	Attempts int

	// ConsumedCapacity is what DynamoDB reported, one entry per table (and
	// index, with INDEXES). It is empty unless the input asked for it with
	// ReturnConsumedCapacity (see Options.ReturnConsumedCapacity).
	ConsumedCapacity []types.ConsumedCapacity

	// CapacityUnits is the sum of ConsumedCapacity[i].CapacityUnits.
	CapacityUnits float64

	// RequestID is the x-amzn-RequestId of a successful call, if known.
	RequestID string

	// Err is the error the call returned, nil on success.
	Err error
}

// Tracer follows each call made through [Conn.API] from start to end, so
// that it can open a span (or a log record, a timer) per call, as pgx's
// QueryTracer does for queries. Set it with Options.Tracer; the default is
// none. Both methods run in the caller's goroutine and may be called
// concurrently for different calls.
type Tracer interface {
	// TraceRequestStart is called first, before the call waits for a
	// concurrency slot. op and table are as in [Measurement]. The context
	// it returns, which should be derived from ctx, is the one the call
	// uses from then on: for the slot wait, for the underlying API (so the
	// SDK's middleware sees it) and for TraceRequestEnd. Returning nil
	// leaves ctx as it is.
	TraceRequestStart(ctx context.Context, op, table string) context.Context

	// TraceRequestEnd is called exactly once for each TraceRequestStart
	// (also when ctx was done before a slot was free; not if the
	// underlying API panics), after the concurrency slot is released and
	// before Options.OnRequest and Options.OnError. ctx is the context
	// TraceRequestStart returned.
	TraceRequestEnd(ctx context.Context, m Measurement)
}

// attemptCounterID names the per-attempt middleware.
const attemptCounterID = "dynamap.conn.CountAttempts"

type attemptsKey struct{}

// attemptCtx carries a call's attempt counter: one allocation for the
// context and the counter together.
type attemptCtx struct {
	context.Context
	n atomic.Int32
}

// Value returns the counter for attemptsKey and defers to the parent for
// everything else (so the context package still sees the parent's cancel
// context and starts no goroutine for it).
func (c *attemptCtx) Value(key any) any {
	if key == (attemptsKey{}) {
		return &c.n
	}
	return c.Context.Value(key)
}

// countAttempts is a per-call dynamodb option that adds a Finalize
// middleware after the retry middleware, so it runs once per HTTP attempt
// and increments the counter carried in the call's context.
func countAttempts(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		if _, ok := s.Finalize.Get(attemptCounterID); ok {
			return nil // an outer Conn already added it
		}
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc(attemptCounterID,
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if n, ok := ctx.Value(attemptsKey{}).(*atomic.Int32); ok {
					n.Add(1)
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

// countAttemptsOnly is the option list of a call that brings none, shared
// by all such calls (full: a callee's append copies it).
var countAttemptsOnly = []func(*dynamodb.Options){countAttempts}

// operation describes one API method to the generic call path: its name,
// the method itself, and how to read its input and output. It holds no
// logic; invoke does everything else.
type operation[In, Out any] struct {
	name string
	call func(API, context.Context, *In, ...func(*dynamodb.Options)) (*Out, error)
	// table names the table(s) of a non-nil input; nil for ListTables.
	table func(*In) string
	// capacity points at the input's ReturnConsumedCapacity; nil for
	// operations that have none.
	capacity func(*In) *types.ReturnConsumedCapacity
	// meta returns a non-nil output's metadata and consumed capacity.
	meta func(*Out) (middleware.Metadata, []types.ConsumedCapacity)
}

// invoke is the one path every call through Conn.API takes: tracer start,
// ReturnConsumedCapacity, concurrency slot, attempt counting, timing,
// capacity and request ID, redaction, then the end hooks, which run after
// the slot is released.
func invoke[In, Out any](ctx context.Context, c *Conn, op *operation[In, Out], in *In, optFns []func(*dynamodb.Options)) (*Out, error) {
	m := Measurement{Op: op.name}
	if c.observed && in != nil && op.table != nil {
		m.Table = op.table(in)
	}
	if c.opts.Tracer != nil {
		if tctx := c.opts.Tracer.TraceRequestStart(ctx, m.Op, m.Table); tctx != nil {
			ctx = tctx
		}
	}
	if want := c.opts.ReturnConsumedCapacity; want != "" && in != nil && op.capacity != nil && *op.capacity(in) == "" {
		cp := *in // the caller's input is never modified
		*op.capacity(&cp) = want
		in = &cp
	}

	out, attempts, sent, err := send(ctx, c, op, in, optFns, &m)

	if sent {
		var md middleware.Metadata
		if err == nil && out != nil {
			md, m.ConsumedCapacity = op.meta(out)
			m.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
			for _, x := range m.ConsumedCapacity {
				if x.CapacityUnits != nil {
					m.CapacityUnits += *x.CapacityUnits
				}
			}
		}
		m.Attempts = int(attempts)
		if m.Attempts == 0 {
			m.Attempts = countFromResult(md, err)
		}
	}
	err = c.redact(err)
	m.Err = err
	if c.opts.Tracer != nil {
		c.opts.Tracer.TraceRequestEnd(ctx, m)
	}
	if c.opts.OnRequest != nil {
		c.opts.OnRequest(m)
	}
	if err != nil && c.opts.OnError != nil {
		c.opts.OnError(m.Op, err)
	}
	return out, err
}

// send holds a concurrency slot for as long as the underlying call runs,
// and no longer (the slot is released even if the call panics). It fills
// in m.Wait and m.Duration and returns the attempts the middleware
// counted; sent is false when ctx was done before a slot was free.
func send[In, Out any](ctx context.Context, c *Conn, op *operation[In, Out], in *In, optFns []func(*dynamodb.Options), m *Measurement) (out *Out, attempts int32, sent bool, err error) {
	start := time.Now()
	if err := c.acquire(ctx); err != nil {
		m.Wait = time.Since(start)
		return nil, 0, false, err
	}
	defer c.release()

	callCtx := &attemptCtx{Context: ctx}
	if !c.counting {
		// A client whose middleware does not count yet: add it per call.
		if len(optFns) == 0 {
			optFns = countAttemptsOnly
		} else {
			optFns = append(slices.Clip(optFns), countAttempts)
		}
	}
	t0 := time.Now()
	m.Wait = t0.Sub(start)
	out, err = op.call(c.raw, callCtx, in, optFns...)
	m.Duration = time.Since(t0)
	return out, callCtx.n.Load(), true, err
}

// countFromResult is the attempt count for a client whose middleware did
// not count: the SDK's retry metadata, a *retry.MaxAttemptsError, else 1.
func countFromResult(md middleware.Metadata, err error) int {
	if ar, ok := retry.GetAttemptResults(md); ok && len(ar.Results) > 0 {
		return len(ar.Results)
	}
	if err != nil { // (mae escapes: declare it on the error path only)
		var mae *retry.MaxAttemptsError
		if errors.As(err, &mae) && mae.Attempt > 0 {
			return mae.Attempt
		}
	}
	return 1
}

func (c *Conn) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Conn) release() { <-c.sem }

// redact is a safety net: if an error's text ever contains a configured
// secret, it is wrapped so that Error() shows "***" instead. errors.Is and
// errors.As still reach the original error.
func (c *Conn) redact(err error) error {
	if err == nil || len(c.secrets) == 0 {
		return err
	}
	msg := err.Error()
	clean := msg
	for _, s := range c.secrets {
		clean = strings.ReplaceAll(clean, s, redacted)
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
