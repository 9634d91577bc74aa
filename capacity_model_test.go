package dynamap

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/internal/capacity"
	"github.com/dynamap/dynamap/internal/faultproxy"
)

// TestCapacityModelInFrontOfDynamoDBLocal checks the capacity model's
// answers and charges against real storage: what it reports unprocessed is
// not written, what it charges is what the items cost, and what it says it
// read is what DynamoDB Local holds.
func TestCapacityModelInFrontOfDynamoDBLocal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := testTable(t, testConn(t), batchSchema)
	p := newProxy(t, faultproxy.Config{Capacity: faultproxy.Capacity{Write: 40, Read: 40, Burst: time.Second}})
	api := endpointConn(t, p.URL).API()

	// 25 items of 1.5 KB cost 2 WCU each: 20 of the 40 units fit.
	reqs := make([]types.WriteRequest, 25)
	for i := range reqs {
		av, err := marshalItem(map[string]any{"pk": "cap", "n": i, "payload": string(make([]byte, 1500))})
		require.NoError(t, err)
		require.Equal(t, 2.0, capacity.WriteUnits(itemSize(av)))
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: av}}
	}
	out, err := api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
		RequestItems:           map[string][]types.WriteRequest{tb.name: reqs},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	require.NoError(t, err)
	left := out.UnprocessedItems[tb.name]
	assert.Len(t, left, 5)
	require.Len(t, out.ConsumedCapacity, 1)
	assert.Equal(t, 40.0, *out.ConsumedCapacity[0].CapacityUnits)
	stored := scanAll(t, tb)
	assert.Len(t, stored, 20, "what is reported unprocessed is not written")
	for _, w := range left {
		_, ok := stored[keyString(batchSchema, w.PutRequest.Item)]
		assert.False(t, ok)
	}

	// Reads: 1.5 KB items cost 1 RCU consistent; 40 units at start, 40/s.
	keys := make([]map[string]types.AttributeValue, 0, 20)
	for _, it := range stored {
		keys = append(keys, map[string]types.AttributeValue{"pk": it["pk"], "n": it["n"]})
	}
	got, err := api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
		RequestItems:           map[string]types.KeysAndAttributes{tb.name: {Keys: keys, ConsistentRead: ptr(true)}},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	require.NoError(t, err)
	assert.Len(t, got.Responses[tb.name], 20)
	assert.Empty(t, got.UnprocessedKeys)
	assert.Equal(t, 20.0, *got.ConsumedCapacity[0].CapacityUnits)
	q, err := api.Query(ctx, &dynamodb.QueryInput{
		TableName: &tb.name, KeyConditionExpression: ptr("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "cap"}},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	require.NoError(t, err)
	assert.Len(t, q.Items, 20)
	size := 0
	for _, it := range q.Items {
		size += itemSize(it)
	}
	assert.Equal(t, capacity.ReadUnits(size, false), *q.ConsumedCapacity.CapacityUnits, "a page costs its summed size, eventually consistent")
	st := p.Stats()
	assert.Equal(t, 40.0, st.WriteUnits)
	assert.Equal(t, 20+capacity.ReadUnits(size, false), st.ReadUnits)
}
