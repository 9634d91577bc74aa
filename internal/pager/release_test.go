package pager

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestPageLetsGoOfYieldedItems: a page drops each item as it is yielded,
// so that a long page's items already handed out can be collected while
// the rest of it is yielded (the caller owns them).
func TestPageLetsGoOfYieldedItems(t *testing.T) {
	items := make([]map[string]types.AttributeValue, 5)
	for i := range items {
		items[i] = map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: "1"}}
	}
	var r Pager
	r.Build = FromSource(false, false, func() (PageFunc, func()) {
		sent := false
		return func(context.Context) ([]map[string]types.AttributeValue, bool, error) {
			if sent {
				return nil, false, nil
			}
			sent = true
			return items, false, nil
		}, nil
	})
	n := 0
	r.Run(context.Background(), 0, false, func(_ *Plan, av map[string]types.AttributeValue, _ int, err error) bool {
		if err != nil {
			t.Fatal(err)
		}
		if av == nil {
			t.Fatalf("item %d is nil", n)
		}
		for j := 0; j <= n; j++ {
			if items[j] != nil {
				t.Errorf("yielding item %d: the page still holds item %d", n, j)
			}
		}
		n++
		return true
	})
	if n != len(items) {
		t.Fatalf("yielded %d items, want %d", n, len(items))
	}
}
