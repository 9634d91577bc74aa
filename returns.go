package dynamap

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// onConditionFailure is what every conditional write asks DynamoDB to
// return when its condition fails: the stored item (ALL_OLD), which the
// *ConditionFailedError (or a transaction's CancellationReason) carries.
const onConditionFailure = types.ReturnValuesOnConditionCheckFailureAllOld

// writeErr maps the error of a single-item write to t onto dynamap's
// errors: a failed condition becomes a *ConditionFailedError holding the
// stored item DynamoDB returned with it.
func (t *Table) writeErr(err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return &ConditionFailedError{Table: t.name, Item: t.itemOrNil(ccf.Item), Err: err}
	}
	return wrapErr(err)
}

// conditionFailed is dynamap's own failed condition check (Save's and
// PartialSave's read before writing) on stored, the item as read (nil or
// empty when none had the key).
func (t *Table) conditionFailed(stored map[string]types.AttributeValue, reason string) *ConditionFailedError {
	return &ConditionFailedError{Table: t.name, Item: t.itemOrNil(stored), Reason: reason}
}

// itemOrNil is av as a loaded item of t, nil when av is empty.
func (t *Table) itemOrNil(av map[string]types.AttributeValue) *Item {
	if len(av) == 0 {
		return nil
	}
	return newLoadedItem(t, av)
}
