package dynamap

import "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

// Item is one DynamoDB item of a Table: its attribute values and a copy of
// what it was loaded as, so that it saves only what changed.
type Item struct {
	table *Table
	data  map[string]types.AttributeValue
	orig  map[string]types.AttributeValue // nil for an item never loaded
}

// newLoadedItem wraps attribute values read from DynamoDB.
func newLoadedItem(t *Table, av map[string]types.AttributeValue) *Item {
	return &Item{table: t, data: av, orig: cloneAVMap(av)}
}

// avMap returns a copy of the item's attribute values.
func (it *Item) avMap() map[string]types.AttributeValue { return cloneAVMap(it.data) }
