package dynamap_test

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap"
	"github.com/dynamap/dynamap/conn"
)

// offlineAPI stands in for DynamoDB in the examples: DescribeTable
// describes a users table keyed by username, GetItem returns a fixed user,
// writes print what they would send. No I/O happens.
type offlineAPI struct{ conn.API }

func (offlineAPI) DescribeTable(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return &dynamodb.DescribeTableOutput{Table: &types.TableDescription{
		TableName:            in.TableName,
		TableStatus:          types.TableStatusActive,
		KeySchema:            []types.KeySchemaElement{{AttributeName: ptrTo("username"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: ptrTo("username"), AttributeType: types.ScalarAttributeTypeS}},
	}}, nil
}

func (offlineAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{
		"username":   &types.AttributeValueMemberS{Value: "johndoe"},
		"first_name": &types.AttributeValueMemberS{Value: "John"},
		"nickname":   &types.AttributeValueMemberS{Value: "JD"},
		"age":        &types.AttributeValueMemberN{Value: "42"},
	}}, nil
}

func (offlineAPI) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	fmt.Println("UpdateItem", expand(in.UpdateExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues))
	fmt.Println("  if", expand(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues))
	return &dynamodb.UpdateItemOutput{}, nil
}

func (offlineAPI) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	fmt.Println("PutItem with", len(in.Item), "attributes")
	fmt.Println("  if", expand(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues))
	return &dynamodb.PutItemOutput{}, nil
}

// expand replaces expression placeholders with names and values.
func expand(expr *string, names map[string]string, values map[string]types.AttributeValue) string {
	if expr == nil {
		return "(none)"
	}
	var ph []string
	for k := range names {
		ph = append(ph, k)
	}
	for k := range values {
		ph = append(ph, k)
	}
	sort.Slice(ph, func(i, j int) bool { return len(ph[i]) > len(ph[j]) })
	s := *expr
	for _, k := range ph {
		if n, ok := names[k]; ok {
			s = strings.ReplaceAll(s, k, n)
			continue
		}
		switch v := values[k].(type) {
		case *types.AttributeValueMemberS:
			s = strings.ReplaceAll(s, k, fmt.Sprintf("%q", v.Value))
		case *types.AttributeValueMemberN:
			s = strings.ReplaceAll(s, k, v.Value)
		}
	}
	return strings.Join(strings.Fields(s), " ")
}

func offlineUsers() *dynamap.Table {
	c := conn.FromClient(offlineAPI{})
	return dynamap.NewTable(c, "users", dynamap.WithSchema(dynamap.HashKey("username")))
}

func ExampleItem_NeedsSave() {
	ctx := context.Background()
	users := offlineUsers()

	john, err := users.GetItem(ctx, dynamap.Key{"username": "johndoe"})
	if err != nil {
		panic(err)
	}
	fmt.Println(john.NeedsSave())

	// 42 as a Go int equals the 42 that was loaded: still clean.
	_ = john.Set("age", 42)
	fmt.Println(john.NeedsSave())

	_ = john.Set("age", 43)
	fmt.Println(john.NeedsSave())
	// Output:
	// false
	// false
	// true
}

func ExampleItem_PartialSave() {
	ctx := context.Background()
	users := offlineUsers()

	john, err := users.GetItem(ctx, dynamap.Key{"username": "johndoe"})
	if err != nil {
		panic(err)
	}
	if err := john.Set("first_name", "Johann"); err != nil {
		panic(err)
	}
	john.Remove("nickname")

	// Only what changed is sent, conditioned on its loaded values.
	if err := john.PartialSave(ctx); err != nil {
		panic(err)
	}
	fmt.Println(john.NeedsSave())
	// Output:
	// UpdateItem REMOVE nickname SET first_name = "Johann"
	//   if (first_name = "John") AND (nickname = "JD")
	// false
}

func ExampleTable_PutItem() {
	ctx := context.Background()
	users := offlineUsers()

	type user struct {
		Username  string         `dynamodbav:"username"`
		FirstName string         `dynamodbav:"first_name"`
		Visits    dynamap.Number `dynamodbav:"visits"`
	}
	// By default PutItem refuses to replace an existing item.
	if err := users.PutItem(ctx, user{Username: "jane", FirstName: "Jane", Visits: "0"}); err != nil {
		panic(err)
	}
	// Overwrite() replaces unconditionally.
	if err := users.PutItem(ctx, map[string]any{"username": "jane"}, dynamap.Overwrite()); err != nil {
		panic(err)
	}
	// Output:
	// PutItem with 3 attributes
	//   if attribute_not_exists (username)
	// PutItem with 1 attributes
	//   if (none)
}

func ExampleTable_UpdateItem() {
	ctx := context.Background()
	users := offlineUsers()

	_, err := users.UpdateItem(ctx, dynamap.Key{"username": "jane"},
		dynamap.SetValue("first_name", "Janet"),
		dynamap.Add("logins", 1),
		dynamap.RemoveAttr("nickname"),
		dynamap.Strict(), // the item must exist; default: upsert
	)
	if err != nil {
		panic(err)
	}
	// Output:
	// UpdateItem ADD logins 1 REMOVE nickname SET first_name = "Janet"
	//   if attribute_exists (username)
}

func ExampleItem_Decode() {
	ctx := context.Background()
	users := offlineUsers()

	john, err := users.Lookup(ctx, "johndoe")
	if err != nil {
		panic(err)
	}
	var u struct {
		Username string         `dynamodbav:"username"`
		Age      dynamap.Number `dynamodbav:"age"`
	}
	if err := john.Decode(&u); err != nil {
		panic(err)
	}
	age, _ := u.Age.Int64()
	fmt.Println(u.Username, age)
	// Output:
	// johndoe 42
}

func ptrTo[T any](v T) *T { return &v }
