package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// raw is what a careful user writes on the bare SDK: attributevalue for
// struct mapping, hand-written expressions with placeholders, paginators,
// and their own BatchWriteItem / BatchGetItem loaders (a pool of workers)
// that re-send what comes back unprocessed.
type raw struct {
	c     *dynamodb.Client
	table *string
}

func newRaw(c *dynamodb.Client, table string) Impl { return &raw{c: c, table: aws.String(table)} }

func rawKey(k RowKey) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: k.PK},
		"sk": &types.AttributeValueMemberN{Value: strconv.FormatInt(k.SK, 10)},
	}
}

func (r *raw) GetItem(ctx context.Context, k RowKey) (Row, error) {
	out, err := r.c.GetItem(ctx, &dynamodb.GetItemInput{TableName: r.table, Key: rawKey(k)})
	if err != nil {
		return Row{}, err
	}
	if out.Item == nil {
		return Row{}, fmt.Errorf("raw: item %v not found", k)
	}
	var row Row
	err = attributevalue.UnmarshalMap(out.Item, &row)
	return row, err
}

func (r *raw) PutItem(ctx context.Context, row Row) error {
	av, err := attributevalue.MarshalMap(row)
	if err != nil {
		return err
	}
	_, err = r.c.PutItem(ctx, &dynamodb.PutItemInput{TableName: r.table, Item: av})
	return err
}

func (r *raw) Rename(ctx context.Context, k RowKey, name string) error {
	row, err := r.GetItem(ctx, k)
	if err != nil {
		return err
	}
	_, err = r.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                r.table,
		Key:                      rawKey(k),
		UpdateExpression:         aws.String("SET #n = :new"),
		ConditionExpression:      aws.String("#n = :old"),
		ExpressionAttributeNames: map[string]string{"#n": "name"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": &types.AttributeValueMemberS{Value: name},
			":old": &types.AttributeValueMemberS{Value: row.Name},
		},
	})
	return err
}

func (r *raw) queryInput(pk string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                 r.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": "pk"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
	}
}

func (r *raw) QueryAll(ctx context.Context, pk string) ([]Row, error) {
	var rows []Row
	p := dynamodb.NewQueryPaginator(r.c, r.queryInput(pk))
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		var page []Row
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, err
		}
		if rows == nil {
			rows = page
		} else {
			rows = append(rows, page...)
		}
	}
	return rows, nil
}

func (r *raw) QueryEach(ctx context.Context, pk string, fn func(*Row)) (int, error) {
	n := 0
	p := dynamodb.NewQueryPaginator(r.c, r.queryInput(pk))
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		for _, item := range out.Items {
			var row Row
			if err := attributevalue.UnmarshalMap(item, &row); err != nil {
				return n, err
			}
			fn(&row)
			n++
		}
	}
	return n, nil
}

// QueryFirst pages through the partition with the filter in every request
// and no request Limit (DynamoDB applies Limit before the filter, so a
// Limit of 1 would evaluate one item per request), stopping once it has
// limit matches.
func (r *raw) QueryFirst(ctx context.Context, pk, match string, limit int) ([]Row, error) {
	in := r.queryInput(pk)
	in.FilterExpression = aws.String("#n = :n")
	in.ExpressionAttributeNames["#n"] = "name"
	in.ExpressionAttributeValues[":n"] = &types.AttributeValueMemberS{Value: match}
	var rows []Row
	p := dynamodb.NewQueryPaginator(r.c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, item := range out.Items {
			var row Row
			if err := attributevalue.UnmarshalMap(item, &row); err != nil {
				return nil, err
			}
			rows = append(rows, row)
			if limit > 0 && len(rows) == limit {
				return rows, nil
			}
		}
	}
	return rows, nil
}

// backoff sleeps before re-sending unprocessed work: capped exponential
// with full jitter.
func backoff(ctx context.Context, attempt int) error {
	d := min(50*time.Millisecond<<min(attempt, 5), time.Second)
	t := time.NewTimer(rand.N(d) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

const maxUnprocessedRetries = 20

// workers runs fn(i) for i in [0, n) on up to conc goroutines, each taking
// the next index when done with its last: the worker pool a hand-written
// concurrent loader uses. It returns the first error; after one, the
// workers take no new index.
func workers(ctx context.Context, conc, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range max(1, min(conc, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// BatchPut is a competent hand-written loader: concurrency workers, each
// marshalling the next chunk of 25 and sending it with BatchWriteItem,
// re-sending UnprocessedItems with capped, jittered backoff.
func (r *raw) BatchPut(ctx context.Context, rows []Row, concurrency int) error {
	chunks := (len(rows) + 24) / 25
	return workers(ctx, concurrency, chunks, func(ctx context.Context, c int) error {
		chunk := rows[c*25 : min(c*25+25, len(rows))]
		reqs := make([]types.WriteRequest, len(chunk))
		for i, row := range chunk {
			av, err := attributevalue.MarshalMap(row)
			if err != nil {
				return err
			}
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: av}}
		}
		pending := map[string][]types.WriteRequest{*r.table: reqs}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > maxUnprocessedRetries {
				return fmt.Errorf("raw: %d items still unprocessed", len(pending[*r.table]))
			}
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
			out, err := r.c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems
		}
		return nil
	})
}

// BatchGet is the same loader for reads: concurrency workers, each sending
// the next 100 keys with BatchGetItem and re-asking UnprocessedKeys with
// capped, jittered backoff.
func (r *raw) BatchGet(ctx context.Context, keys []RowKey, concurrency int) ([]Row, error) {
	chunks := (len(keys) + 99) / 100
	results := make([][]Row, chunks)
	err := workers(ctx, concurrency, chunks, func(ctx context.Context, c int) error {
		chunk := keys[c*100 : min(c*100+100, len(keys))]
		ks := make([]map[string]types.AttributeValue, len(chunk))
		for i, k := range chunk {
			ks[i] = rawKey(k)
		}
		rows := make([]Row, 0, len(chunk))
		pending := map[string]types.KeysAndAttributes{*r.table: {Keys: ks}}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > maxUnprocessedRetries {
				return fmt.Errorf("raw: %d keys still unprocessed", len(pending[*r.table].Keys))
			}
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
			out, err := r.c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			for _, item := range out.Responses[*r.table] {
				var row Row
				if err := attributevalue.UnmarshalMap(item, &row); err != nil {
					return err
				}
				rows = append(rows, row)
			}
			pending = out.UnprocessedKeys
		}
		results[c] = rows
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Row, 0, len(keys))
	for _, rows := range results {
		out = append(out, rows...)
	}
	return out, nil
}

func (r *raw) Scan(ctx context.Context, segments int) ([]Row, error) {
	if segments <= 1 {
		return r.scanSegment(ctx, nil, nil)
	}
	results := make([][]Row, segments)
	errs := make([]error, segments)
	var wg sync.WaitGroup
	for s := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[s], errs[s] = r.scanSegment(ctx, aws.Int32(int32(s)), aws.Int32(int32(segments)))
		}()
	}
	wg.Wait()
	var rows []Row
	for s := range segments {
		if errs[s] != nil {
			return nil, errs[s]
		}
		rows = append(rows, results[s]...)
	}
	return rows, nil
}

func (r *raw) scanSegment(ctx context.Context, seg, total *int32) ([]Row, error) {
	var rows []Row
	p := dynamodb.NewScanPaginator(r.c, &dynamodb.ScanInput{TableName: r.table, Segment: seg, TotalSegments: total})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		var page []Row
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, err
		}
		rows = append(rows, page...)
	}
	return rows, nil
}
