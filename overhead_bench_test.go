package dynamap

import (
	"context"
	"maps"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/conn"
)

// The benchmarks here measure dynamap's own cost on top of an API that
// answers at once from memory (no SDK pipeline, no HTTP): what the library
// adds per call. bench/ compares whole stacks against the raw SDK and
// guregu/dynamo.

type instantAPI struct {
	conn.API
	item map[string]types.AttributeValue
	page []map[string]types.AttributeValue
}

func (a *instantAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: maps.Clone(a.item)}, nil // fresh, as the SDK's deserializer makes
}

func (a *instantAPI) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, nil
}

func (a *instantAPI) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	// Fresh maps each page, as the SDK's deserializer would make.
	items := make([]map[string]types.AttributeValue, len(a.page))
	for i, it := range a.page {
		items[i] = maps.Clone(it)
	}
	return &dynamodb.QueryOutput{Items: items, Count: int32(len(items))}, nil
}

func (a *instantAPI) BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return &dynamodb.BatchWriteItemOutput{}, nil
}

type benchRow struct {
	ID    string `dynamodbav:"id"`
	Seq   int    `dynamodbav:"seq"`
	Name  string `dynamodbav:"name"`
	Score int    `dynamodbav:"score"`
}

func benchTable() (*Table, *instantAPI) {
	api := &instantAPI{}
	for i := range 100 {
		api.page = append(api.page, map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: "a"}, "seq": numAV(strconv.Itoa(i)),
			"name": &types.AttributeValueMemberS{Value: "name"}, "score": numAV("42"),
		})
	}
	api.item = api.page[0]
	keys := []KeyField{HashKey("id"), RangeKey("seq", N)}
	return NewTable(conn.FromClient(withSchemaOf(api, "bench", keys)), "bench", WithSchema(keys...)), api
}

func BenchmarkOverheadGetItemDecode(b *testing.B) {
	t, _ := benchTable()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		it, err := t.GetItem(ctx, Key{"id": "a", "seq": 0})
		if err != nil {
			b.Fatal(err)
		}
		var r benchRow
		if err := it.Decode(&r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOverheadPutItem(b *testing.B) {
	t, _ := benchTable()
	ctx := context.Background()
	r := benchRow{ID: "a", Seq: 1, Name: "n", Score: 3}
	b.ReportAllocs()
	for b.Loop() {
		if err := t.PutItem(ctx, r, Overwrite()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOverheadQueryPage100(b *testing.B) {
	t, _ := benchTable()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rows, err := Collect[benchRow](ctx, t.Query(Filter{"id__eq": "a"}))
		if err != nil || len(rows) != 100 {
			b.Fatal(err, len(rows))
		}
	}
}

func BenchmarkOverheadBatchWrite25(b *testing.B) {
	t, _ := benchTable()
	ctx := context.Background()
	rows := make([]benchRow, 25)
	for i := range rows {
		rows[i] = benchRow{ID: "a", Seq: i, Name: "n", Score: i}
	}
	b.ReportAllocs()
	for b.Loop() {
		bt := t.BatchWrite()
		for _, r := range rows {
			if err := bt.PutItem(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		if err := bt.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func (a *instantAPI) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return &dynamodb.UpdateItemOutput{}, nil
}

func BenchmarkOverheadRename(b *testing.B) {
	t, _ := benchTable()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		it, err := t.GetItem(ctx, Key{"id": "a", "seq": 0})
		if err != nil {
			b.Fatal(err)
		}
		if err := it.Set("name", "other"); err != nil {
			b.Fatal(err)
		}
		if err := it.PartialSave(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOverheadQueryPage100Raw is the same page through the API and
// attributevalue alone: the baseline for BenchmarkOverheadQueryPage100.
func BenchmarkOverheadQueryPage100Raw(b *testing.B) {
	_, api := benchTable()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := api.Query(ctx, &dynamodb.QueryInput{})
		if err != nil {
			b.Fatal(err)
		}
		var rows []benchRow
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &rows); err != nil || len(rows) != 100 {
			b.Fatal(err)
		}
	}
}
