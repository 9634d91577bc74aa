package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// raw is what a careful user writes on the bare SDK: attributevalue for
// struct mapping, hand-written expressions with placeholders, paginators,
// and their own BatchWriteItem / BatchGetItem loops that re-send what comes
// back unprocessed (one request at a time).
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

func (r *raw) BatchPut(ctx context.Context, rows []Row, _ int) error {
	for start := 0; start < len(rows); start += 25 {
		chunk := rows[start:min(start+25, len(rows))]
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
	}
	return nil
}

func (r *raw) BatchGet(ctx context.Context, keys []RowKey) ([]Row, error) {
	rows := make([]Row, 0, len(keys))
	for start := 0; start < len(keys); start += 100 {
		chunk := keys[start:min(start+100, len(keys))]
		ks := make([]map[string]types.AttributeValue, len(chunk))
		for i, k := range chunk {
			ks[i] = rawKey(k)
		}
		pending := map[string]types.KeysAndAttributes{*r.table: {Keys: ks}}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > maxUnprocessedRetries {
				return nil, fmt.Errorf("raw: %d keys still unprocessed", len(pending[*r.table].Keys))
			}
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return nil, err
				}
			}
			out, err := r.c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, err
			}
			for _, item := range out.Responses[*r.table] {
				var row Row
				if err := attributevalue.UnmarshalMap(item, &row); err != nil {
					return nil, err
				}
				rows = append(rows, row)
			}
			pending = out.UnprocessedKeys
		}
	}
	return rows, nil
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
