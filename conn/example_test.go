package conn_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/conn"
)

// tinyAPI answers GetItem offline; every other method panics.
type tinyAPI struct{ conn.API }

func (tinyAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{
		Item:             map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "42"}},
		ConsumedCapacity: &types.ConsumedCapacity{TableName: in.TableName, CapacityUnits: aws.Float64(0.5)},
	}, nil
}

// FromClient wraps any conn.API (here an offline fake) with the concurrency
// cap and measurements.
func ExampleFromClient() {
	c := conn.FromClient(tinyAPI{}, func(o *conn.Options) {
		o.MaxConcurrency = 4
		o.OnRequest = func(m conn.Measurement) {
			fmt.Printf("%s %s attempts=%d capacity=%.1f err=%v\n", m.Op, m.Table, m.Attempts, m.CapacityUnits, m.Err)
		}
	})
	out, err := c.API().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("Users")})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Item["id"].(*types.AttributeValueMemberS).Value)
	// Output:
	// GetItem Users attempts=1 capacity=0.5 err=<nil>
	// 42
}

// New makes no network calls: a Conn for DynamoDB Local, with its options
// printed (secrets redacted).
func ExampleNew() {
	c, err := conn.New(context.Background(), func(o *conn.Options) {
		o.Region = "us-east-1"
		o.Endpoint = "http://127.0.0.1:8000"
		o.AccessKeyID = "AKIDEXAMPLE"
		o.SecretAccessKey = "wJalrXUtnFEMI"
		o.MaxRetries = 5
		o.MaxConcurrency = 16
	})
	if err != nil {
		panic(err)
	}
	o := c.Options()
	fmt.Println(o.Region, o.Endpoint, o.MaxRetries, o.MaxConcurrency)
	fmt.Printf("%+v\n", conn.Options{AccessKeyID: o.AccessKeyID, SecretAccessKey: "wJalrXUtnFEMI"})
	// Output:
	// us-east-1 http://127.0.0.1:8000 5 16
	// {Region: Profile: Endpoint: AccessKeyID:AKIDEXAMPLE SecretAccessKey:*** SessionToken: MaxRetries:0 RetryMaxBackoff:0s MaxConcurrency:0 HTTPClient:<nil> ReturnConsumedCapacity: OnRequest:<nil> OnError:<nil> Tracer:<nil>}
}
