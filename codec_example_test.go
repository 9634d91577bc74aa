package dynamap_test

import (
	"context"
	"fmt"
	"log"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap"
)

// Event is named by its json tags, which the events table's codec reads.
type Event struct {
	ID    string    `json:"id"`
	At    time.Time `json:"at"`
	Title string    `json:"title"`
	Notes string    `json:"-"` // not stored
}

func ExampleWithCodec() {
	ctx := context.Background()
	// One codec for the whole table: json tags, and times as Unix seconds
	// (read back by the default DecodeTime.N).
	events := createTable(ctx, localConn(), "events", []dynamap.KeyField{dynamap.HashKey("id")},
		dynamap.WithCodec(dynamap.CodecOptions{
			TagKey: "json",
			EncodeTime: func(t time.Time) (types.AttributeValue, error) {
				return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}, nil
			},
		}))
	defer events.DeleteTable(ctx)

	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := events.PutItem(ctx, Event{ID: "e1", At: at, Title: "launch", Notes: "draft"}); err != nil {
		log.Fatal(err)
	}
	it, err := events.GetItem(ctx, dynamap.Key{"id": "e1"}, dynamap.Consistent())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(it.Names(), it.Get("at"))

	// Filter values, update values and decoding use the table's codec too.
	if _, err := events.UpdateItem(ctx, dynamap.Key{"id": "e1"},
		dynamap.SetValue("at", at.Add(time.Hour)), dynamap.If(dynamap.Filter{"at__eq": at})); err != nil {
		log.Fatal(err)
	}
	late, err := dynamap.Collect[Event](ctx, events.Scan(dynamap.Filter{"at__gt": at}, dynamap.Consistent()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(late), late[0].Title, late[0].At.UTC())
	// Output:
	// [at id title] 1709294400
	// 1 launch 2024-03-01 13:00:00 +0000 UTC
}
