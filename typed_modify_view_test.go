package dynamap

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// selfDoc encodes itself (a Marshaler on the struct), so Modify cannot
// compare it field by field (codec.DiffStruct) and encodes it whole, both
// T's view of the item before fn and fn's result.
type selfDoc struct {
	PK    string `dynamodbav:"pk" dynamap:"hash"`
	SK    string `dynamodbav:"sk" dynamap:"range"`
	Title string `dynamodbav:"title"`
	Note  string `dynamodbav:"note,omitempty"`
}

func (d selfDoc) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	m := map[string]types.AttributeValue{
		"pk":    &types.AttributeValueMemberS{Value: d.PK},
		"sk":    &types.AttributeValueMemberS{Value: d.SK},
		"title": &types.AttributeValueMemberS{Value: d.Title},
	}
	if d.Note != "" {
		m["note"] = &types.AttributeValueMemberS{Value: d.Note}
	}
	return &types.AttributeValueMemberM{Value: m}, nil
}

// TestModifyWholeEncodedModelKeepsWhatItDoesNotHold: a model that encodes
// itself takes Modify's other path (encode T whole, diff maps), which must
// compare with T's view of the item as the field-by-field path does: an
// attribute the model does not know and a NULL in its omitempty field are
// kept, and a no-op sends nothing.
func TestModifyWholeEncodedModelKeepsWhatItDoesNotHold(t *testing.T) {
	var rc requestCounter
	tbl, ctx := advTable(t, &rc)
	key := Key{"pk": "a", "sk": "1"}
	if err := tbl.PutItem(ctx, map[string]any{"pk": "a", "sk": "1", "title": "t", "note": nil, "other": "x"}); err != nil {
		t.Fatal(err)
	}
	tt := TableOf[selfDoc](tbl.Conn(), tbl.Name())
	if _, err := tt.Modify(ctx, key, func(*selfDoc) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := rc.count("UpdateItem"); n != 0 {
		t.Errorf("a no-op Modify sent %d UpdateItem", n)
	}
	got, err := tt.Modify(ctx, key, func(d *selfDoc) error { d.Title = "t2"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "t2" {
		t.Errorf("Modify returned %+v", got)
	}
	if n := rc.count("UpdateItem"); n != 1 {
		t.Errorf("Modify of title sent %d UpdateItem, want 1", n)
	}
	it, err := tbl.GetItem(ctx, key, Consistent())
	if err != nil {
		t.Fatal(err)
	}
	if it.Get("title") != "t2" || it.Get("other") != "x" || !it.Has("note") || it.Get("note") != nil {
		t.Errorf("stored after Modify of title: %v", it.Map())
	}
}
