package dynamap

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TypedBatch is a TypedTable's batch writer: a BatchTable (see
// Table.BatchWrite: 25 requests a BatchWriteItem, unprocessed items sent
// again, *UnprocessedError listing what could not be written, OnProgress,
// Concurrency) that takes T values.
//
// Batch writes carry no conditions, so a batch put is Put with
// Overwrite(): it replaces any stored item unconditionally. A version
// field v is written as v+1 (0 becomes 1), as Put with Overwrite writes
// it; a created field that is zero is set to now and an updated field
// always (UTC). The values are copies: the caller's T is not changed.
type TypedBatch[T any] struct {
	tt *TypedTable[T]
	b  *BatchTable
}

// BatchWrite returns a batch writer taking T values; opts as
// Table.BatchWrite (OnProgress, Concurrency, MaxResends, Backoff). Close it
// to send what is buffered.
func (tt *TypedTable[T]) BatchWrite(opts ...BatchOption) *TypedBatch[T] {
	return &TypedBatch[T]{tt: tt, b: tt.t.BatchWrite(opts...)}
}

// Put buffers a put of v (see TypedBatch for version and timestamps), and
// sends the buffer when it is full. A bad value or key, or a bad model, is
// an error and nothing is buffered; as BatchTable.PutItem, a non-nil error
// means v was not accepted (an *UnprocessedError then lists earlier
// requests that could not be written).
func (b *TypedBatch[T]) Put(ctx context.Context, v T) error {
	av, err := b.item(ctx, &v)
	if err != nil {
		return err
	}
	return b.b.PutItem(ctx, av)
}

// item is the item a batch put of *v writes.
func (b *TypedBatch[T]) item(ctx context.Context, v *T) (map[string]types.AttributeValue, error) {
	tt := b.tt
	if _, err := tt.schema(ctx); err != nil {
		return nil, err
	}
	ver, err := tt.versionOf(v)
	if err != nil {
		return nil, err
	}
	if err := tt.nextVersionFits(ver); err != nil {
		return nil, err
	}
	av, err := tt.encode(tt.stamp(v, time.Now().UTC()))
	if err != nil {
		return nil, err
	}
	if f := tt.m.Version; f != nil {
		next, err := NumberOf(ver + 1)
		if err != nil {
			return nil, err
		}
		av[f.Attr] = &types.AttributeValueMemberN{Value: string(next)}
	}
	return av, nil
}

// Delete buffers a delete of v's item (by its key fields; no version
// check: batch writes carry no conditions).
func (b *TypedBatch[T]) Delete(ctx context.Context, v T) error {
	s, err := b.tt.schema(ctx)
	if err != nil {
		return err
	}
	av, err := b.tt.encode(&v)
	if err != nil {
		return err
	}
	key, err := b.tt.keyOf(s, av)
	if err != nil {
		return err
	}
	k := make(Key, len(key))
	for name, a := range key {
		k[name] = a
	}
	return b.b.DeleteItem(ctx, k)
}

// DeleteKey buffers a delete of the item with the given key.
func (b *TypedBatch[T]) DeleteKey(ctx context.Context, key Key) error {
	if _, err := b.tt.schema(ctx); err != nil {
		return err
	}
	return b.b.DeleteItem(ctx, key)
}

// Flush sends what is buffered and waits for every request in flight, as
// BatchTable.Flush.
func (b *TypedBatch[T]) Flush(ctx context.Context) error { return b.b.Flush(ctx) }

// Close flushes and closes the batch, as BatchTable.Close: an
// *UnprocessedError lists every item that could not be written.
func (b *TypedBatch[T]) Close(ctx context.Context) error { return b.b.Close(ctx) }

// Batch returns the untyped BatchTable beneath, to mix in untyped puts and
// deletes.
func (b *TypedBatch[T]) Batch() *BatchTable { return b.b }

// BatchPut writes every item of items with one batch writer (see
// TypedBatch: no conditions, version v stored as v+1, timestamps set) and
// closes it; opts as Table.BatchWrite (Concurrency, OnProgress, ...). Every
// item handed over is written, or returned in the error: an
// *UnprocessedError lists the items DynamoDB did not take once retries
// ran out (an item refused because earlier ones failed is added to it). An
// item that cannot be written (a bad value or key), or ctx ending while
// BatchPut waits to send, stops the loop: the items before it are still
// sent, and the error (naming the item's 0-based position, joined with the
// Close error, if any) says which one was not; items after it are not
// consumed.
func (tt *TypedTable[T]) BatchPut(ctx context.Context, items iter.Seq[T], opts ...BatchOption) error {
	if _, err := tt.schema(ctx); err != nil {
		return err
	}
	b := tt.BatchWrite(opts...)
	var failed error
	i := 0
	for v := range items {
		av, err := b.item(ctx, &v)
		if err == nil {
			err = b.b.PutItem(ctx, av)
			var ue *UnprocessedError
			if errors.As(err, &ue) {
				// Not accepted, because earlier requests failed: it
				// joins them in the error.
				ue.Puts = append(ue.Puts, av)
				failed = err
				break
			}
		}
		if err != nil {
			failed = errorf("dynamap: batch put into %q: item %d: %w", tt.t.name, i, err)
			break
		}
		i++
	}
	if err := b.Close(ctx); err != nil {
		return errors.Join(failed, err)
	}
	return failed
}
