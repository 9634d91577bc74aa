package dynamap

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BatchGet reads the items with the given keys (boto's batch_get) with
// BatchGetItem, 100 keys a request, fetching lazily as the ResultSet is
// iterated. Keys that DynamoDB leaves unprocessed are asked again with capped
// exponential backoff and jitter (MaxRetries and Backoff; defaults 10 and
// 50ms–5s). Items come back in no particular order; keys with no item are
// simply absent, and a key given twice is asked (and returned) once.
// Options: Consistent, Attributes, MaxRetries, Backoff.
//
// Iterating validates every key first: an invalid key is a *KeyError before
// any request. Keys still unread when the retry budget runs out, or when a
// request fails for good, are returned in an *UnprocessedError (Keys) after
// every item that could be read. Count iterates.
func (t *Table) BatchGet(keys []Key, opts ...BatchGetOption) *ResultSet {
	cfg := newReadConfig(opts, BatchGetOption.applyBatchGet)
	keys = slices.Clone(keys)
	return newResultSetFromPages(t, len(cfg.attrs) > 0, func() func(context.Context) ([]map[string]types.AttributeValue, bool, error) {
		src := &batchGetSource{t: t, keys: keys, cfg: cfg}
		return src.next
	})
}

// bgKey is one key to read.
type bgKey struct {
	av       map[string]types.AttributeValue
	id       string // canonical key
	attempts int    // re-sends so far
}

// batchGetSource is one iteration's page source.
type batchGetSource struct {
	t       *Table
	keys    []Key
	cfg     *readConfig
	started bool
	fields  []KeyField
	queue   []bgKey // keys to read, re-sends first
	failed  []bgKey // keys whose budget ran out
	lastErr error
	proj    *expression.Expression
}

func (s *batchGetSource) retry() retryPolicy {
	if s.cfg.batchRetry != nil {
		return *s.cfg.batchRetry
	}
	return defaultRetry
}

// start validates and de-duplicates the keys, and builds the projection.
func (s *batchGetSource) start(ctx context.Context) error {
	sch, err := s.t.schemaFor(ctx)
	if err != nil {
		return err
	}
	s.fields = sch.keys
	seen := make(map[string]bool, len(s.keys))
	for i, k := range s.keys {
		av, err := s.t.keyFromValues(sch.keys, map[string]any(k))
		if err != nil {
			return fmt.Errorf("dynamap: batch get key %d: %w", i, err)
		}
		id := keyString(sch.keys, av)
		if seen[id] {
			continue
		}
		seen[id] = true
		s.queue = append(s.queue, bgKey{av: av, id: id})
	}
	if len(s.cfg.attrs) > 0 {
		proj := expression.NamesList(expression.Name(s.cfg.attrs[0]))
		for _, a := range s.cfg.attrs[1:] {
			proj = proj.AddNames(expression.Name(a))
		}
		expr, err := expression.NewBuilder().WithProjection(proj).Build()
		if err != nil {
			return &ValueError{Reason: "cannot build projection", Err: err}
		}
		s.proj = &expr
	}
	s.started = true
	return nil
}

// next reads one chunk of up to 100 keys.
func (s *batchGetSource) next(ctx context.Context) ([]map[string]types.AttributeValue, bool, error) {
	if !s.started {
		if err := s.start(ctx); err != nil {
			return nil, false, err
		}
	}
	if len(s.queue) == 0 {
		if len(s.failed) > 0 {
			return nil, false, s.unprocessedErr(s.failed, s.lastErr)
		}
		return nil, false, nil
	}
	n := min(len(s.queue), maxBatchGet)
	chunk := s.queue[:n:n]
	s.queue = s.queue[n:]
	if a := slices.MaxFunc(chunk, func(x, y bgKey) int { return x.attempts - y.attempts }).attempts; a > 0 {
		if err := sleepCtx(ctx, s.retry().backoff(a-1)); err != nil {
			return nil, false, s.unprocessedErr(append(append(chunk, s.queue...), s.failed...), err)
		}
	}
	ka := types.KeysAndAttributes{Keys: make([]map[string]types.AttributeValue, len(chunk))}
	for i, k := range chunk {
		ka.Keys[i] = k.av
	}
	if s.cfg.consistent {
		ka.ConsistentRead = ptr(true)
	}
	if s.proj != nil {
		ka.ProjectionExpression, ka.ExpressionAttributeNames = s.proj.Projection(), s.proj.Names()
	}
	name := s.t.name
	out, err := s.t.c.API().BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
		RequestItems: map[string]types.KeysAndAttributes{name: ka},
	})
	var again []bgKey
	var items []map[string]types.AttributeValue
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		err = fmt.Errorf("dynamap: batch get %q: %w", name, wrapErr(err))
		if ctx.Err() != nil || !retryableBatchErr(err) {
			return nil, false, s.unprocessedErr(append(append(chunk, s.queue...), s.failed...), err)
		}
		s.lastErr = err
		again = chunk
	} else {
		items = out.Responses[name]
		if u, ok := out.UnprocessedKeys[name]; ok && len(u.Keys) > 0 {
			want := make(map[string]bool, len(u.Keys))
			for _, k := range u.Keys {
				want[keyString(s.fields, k)] = true
			}
			for _, k := range chunk {
				if want[k.id] {
					again = append(again, k)
				}
			}
		}
	}
	var retry []bgKey
	for _, k := range again {
		k.attempts++
		if k.attempts > s.retry().maxRetries {
			s.failed = append(s.failed, k)
		} else {
			retry = append(retry, k)
		}
	}
	s.queue = append(retry, s.queue...)
	return items, len(s.queue) > 0 || len(s.failed) > 0, nil
}

func (s *batchGetSource) unprocessedErr(keys []bgKey, err error) error {
	e := &UnprocessedError{Table: s.t.name, Err: err}
	for _, k := range keys {
		e.Keys = append(e.Keys, k.av)
	}
	return e
}
