package conn

import (
	"context"
	"errors"
	"slices"
	"sort"
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
// Options.OnRequest. It never contains credentials.
type Measurement struct {
	// Op is the DynamoDB operation, e.g. "GetItem", "BatchWriteItem".
	Op string

	// Table is the table the call is about: the input's TableName; for
	// BatchGetItem/BatchWriteItem the RequestItems keys, sorted and
	// comma-joined; for TransactGetItems/TransactWriteItems the distinct
	// table names in order of first appearance, comma-joined; empty for
	// ListTables.
	Table string

	// Wait is the time spent waiting for a concurrency slot.
	Wait time.Duration

	// Duration is the time the underlying call took, retries and backoff
	// included, slot wait excluded.
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

// invoke runs one call through c: slot, call, measurement, hooks.
func invoke[In, Out any](ctx context.Context, c *Conn, op, table string, in In, optFns []func(*dynamodb.Options),
	call func(context.Context, In, ...func(*dynamodb.Options)) (Out, error),
	meta func(Out) (middleware.Metadata, []types.ConsumedCapacity),
) (Out, error) {
	m := Measurement{Op: op, Table: table}
	start := time.Now()
	if err := c.acquire(ctx); err != nil {
		m.Wait = time.Since(start)
		var zero Out
		return zero, c.report(&m, err)
	}
	defer c.release()

	callCtx := &attemptCtx{Context: ctx}
	counter := &callCtx.n
	opts := optFns
	if !c.counting {
		// A client whose middleware does not count yet: add it per call.
		opts = append(slices.Clip(optFns), countAttempts)
	}

	t0 := time.Now()
	m.Wait = t0.Sub(start)
	out, err := call(callCtx, in, opts...)
	m.Duration = time.Since(t0)

	m.Attempts = int(counter.Load())
	if err == nil {
		md, cc := meta(out)
		if m.Attempts == 0 {
			if ar, ok := retry.GetAttemptResults(md); ok {
				m.Attempts = len(ar.Results)
			}
		}
		m.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
		m.ConsumedCapacity = cc
		for _, x := range cc {
			if x.CapacityUnits != nil {
				m.CapacityUnits += *x.CapacityUnits
			}
		}
	} else if m.Attempts == 0 {
		var mae *retry.MaxAttemptsError
		if errors.As(err, &mae) {
			m.Attempts = mae.Attempt
		}
	}
	if m.Attempts == 0 {
		m.Attempts = 1
	}
	return out, c.report(&m, err)
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

// report redacts err if needed, then calls the hooks. It returns the
// (possibly redacted) error.
func (c *Conn) report(m *Measurement, err error) error {
	err = c.redact(err)
	m.Err = err
	if c.opts.OnRequest != nil {
		c.opts.OnRequest(*m)
	}
	if err != nil && c.opts.OnError != nil {
		c.opts.OnError(m.Op, err)
	}
	return err
}

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

// withCapacity returns in, or a shallow copy with ReturnConsumedCapacity set
// when the Conn asks for it and the input does not.
func withCapacity[T any](c *Conn, in *T, field func(*T) *types.ReturnConsumedCapacity) *T {
	if in == nil || c.opts.ReturnConsumedCapacity == "" || *field(in) != "" {
		return in
	}
	cp := *in
	*field(&cp) = c.opts.ReturnConsumedCapacity
	return &cp
}

func one(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func sortedKeys[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func joinDistinct(names []string) string {
	var out []string
	for _, n := range names {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

// instrumented is the API returned by Conn.API.
type instrumented struct{ c *Conn }

var _ API = (*instrumented)(nil)

func (a *instrumented) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.GetItemInput) *types.ReturnConsumedCapacity { return &x.ReturnConsumedCapacity })
	return invoke(ctx, a.c, "GetItem", table, in, optFns, a.c.raw.GetItem,
		func(o *dynamodb.GetItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, one(o.ConsumedCapacity)
		})
}

func (a *instrumented) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.PutItemInput) *types.ReturnConsumedCapacity { return &x.ReturnConsumedCapacity })
	return invoke(ctx, a.c, "PutItem", table, in, optFns, a.c.raw.PutItem,
		func(o *dynamodb.PutItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, one(o.ConsumedCapacity)
		})
}

func (a *instrumented) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.UpdateItemInput) *types.ReturnConsumedCapacity { return &x.ReturnConsumedCapacity })
	return invoke(ctx, a.c, "UpdateItem", table, in, optFns, a.c.raw.UpdateItem,
		func(o *dynamodb.UpdateItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, one(o.ConsumedCapacity)
		})
}

func (a *instrumented) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.DeleteItemInput) *types.ReturnConsumedCapacity { return &x.ReturnConsumedCapacity })
	return invoke(ctx, a.c, "DeleteItem", table, in, optFns, a.c.raw.DeleteItem,
		func(o *dynamodb.DeleteItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, one(o.ConsumedCapacity)
		})
}

func (a *instrumented) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.QueryInput) *types.ReturnConsumedCapacity { return &x.ReturnConsumedCapacity })
	return invoke(ctx, a.c, "Query", table, in, optFns, a.c.raw.Query,
		func(o *dynamodb.QueryOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, one(o.ConsumedCapacity)
		})
}

func (a *instrumented) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.ScanInput) *types.ReturnConsumedCapacity { return &x.ReturnConsumedCapacity })
	return invoke(ctx, a.c, "Scan", table, in, optFns, a.c.raw.Scan,
		func(o *dynamodb.ScanOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, one(o.ConsumedCapacity)
		})
}

func (a *instrumented) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	var table string
	if in != nil {
		table = sortedKeys(in.RequestItems)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.BatchWriteItemInput) *types.ReturnConsumedCapacity { return &x.ReturnConsumedCapacity })
	return invoke(ctx, a.c, "BatchWriteItem", table, in, optFns, a.c.raw.BatchWriteItem,
		func(o *dynamodb.BatchWriteItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, o.ConsumedCapacity
		})
}

func (a *instrumented) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	var table string
	if in != nil {
		table = sortedKeys(in.RequestItems)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.BatchGetItemInput) *types.ReturnConsumedCapacity { return &x.ReturnConsumedCapacity })
	return invoke(ctx, a.c, "BatchGetItem", table, in, optFns, a.c.raw.BatchGetItem,
		func(o *dynamodb.BatchGetItemOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, o.ConsumedCapacity
		})
}

func (a *instrumented) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	var table string
	if in != nil {
		var names []string
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				names = append(names, str(it.Put.TableName))
			case it.Update != nil:
				names = append(names, str(it.Update.TableName))
			case it.Delete != nil:
				names = append(names, str(it.Delete.TableName))
			case it.ConditionCheck != nil:
				names = append(names, str(it.ConditionCheck.TableName))
			}
		}
		table = joinDistinct(names)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.TransactWriteItemsInput) *types.ReturnConsumedCapacity {
		return &x.ReturnConsumedCapacity
	})
	return invoke(ctx, a.c, "TransactWriteItems", table, in, optFns, a.c.raw.TransactWriteItems,
		func(o *dynamodb.TransactWriteItemsOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, o.ConsumedCapacity
		})
}

func (a *instrumented) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	var table string
	if in != nil {
		var names []string
		for _, it := range in.TransactItems {
			if it.Get != nil {
				names = append(names, str(it.Get.TableName))
			}
		}
		table = joinDistinct(names)
	}
	in = withCapacity(a.c, in, func(x *dynamodb.TransactGetItemsInput) *types.ReturnConsumedCapacity {
		return &x.ReturnConsumedCapacity
	})
	return invoke(ctx, a.c, "TransactGetItems", table, in, optFns, a.c.raw.TransactGetItems,
		func(o *dynamodb.TransactGetItemsOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, o.ConsumedCapacity
		})
}

func (a *instrumented) CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	return invoke(ctx, a.c, "CreateTable", table, in, optFns, a.c.raw.CreateTable,
		func(o *dynamodb.CreateTableOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, nil
		})
}

func (a *instrumented) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	return invoke(ctx, a.c, "DescribeTable", table, in, optFns, a.c.raw.DescribeTable,
		func(o *dynamodb.DescribeTableOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, nil
		})
}

func (a *instrumented) UpdateTable(ctx context.Context, in *dynamodb.UpdateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTableOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	return invoke(ctx, a.c, "UpdateTable", table, in, optFns, a.c.raw.UpdateTable,
		func(o *dynamodb.UpdateTableOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, nil
		})
}

func (a *instrumented) DeleteTable(ctx context.Context, in *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	return invoke(ctx, a.c, "DeleteTable", table, in, optFns, a.c.raw.DeleteTable,
		func(o *dynamodb.DeleteTableOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, nil
		})
}

func (a *instrumented) ListTables(ctx context.Context, in *dynamodb.ListTablesInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ListTablesOutput, error) {
	return invoke(ctx, a.c, "ListTables", "", in, optFns, a.c.raw.ListTables,
		func(o *dynamodb.ListTablesOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, nil
		})
}

func (a *instrumented) UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	return invoke(ctx, a.c, "UpdateTimeToLive", table, in, optFns, a.c.raw.UpdateTimeToLive,
		func(o *dynamodb.UpdateTimeToLiveOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, nil
		})
}

func (a *instrumented) DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error) {
	var table string
	if in != nil {
		table = str(in.TableName)
	}
	return invoke(ctx, a.c, "DescribeTimeToLive", table, in, optFns, a.c.raw.DescribeTimeToLive,
		func(o *dynamodb.DescribeTimeToLiveOutput) (middleware.Metadata, []types.ConsumedCapacity) {
			if o == nil {
				return middleware.Metadata{}, nil
			}
			return o.ResultMetadata, nil
		})
}
