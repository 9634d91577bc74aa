package dynamap

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/cond"
	"github.com/dynamap/dynamap/internal/pager"
)

// Sentinel errors. Match them with errors.Is; every error dynamap returns for a
// failed DynamoDB call also stays reachable with errors.As to the SDK's own
// exception types (*types.ResourceNotFoundException,
// *types.ConditionalCheckFailedException, ...).
//
// Every message of an error dynamap makes is one line that starts with
// "dynamap: " exactly once: a sentinel or error wrapped inside another
// dynamap error gives its text without its own prefix, as in
// `dynamap: put item into "t": conditional check failed: operation error ...`.
var (
	// ErrItemNotFound is returned by GetItem and Lookup when no item has the key.
	ErrItemNotFound = errors.New("dynamap: item not found")
	// ErrConditionalCheckFailed is returned when a write's condition (no
	// overwrite, expected values, optimistic-lock version, strict update) did
	// not hold. The SDK's *types.ConditionalCheckFailedException is wrapped.
	ErrConditionalCheckFailed = errors.New("dynamap: conditional check failed")
	// ErrUnknownFilterType is returned for a filter key whose operator
	// ("name__op") is not one dynamap knows.
	ErrUnknownFilterType = cond.ErrUnknownFilterType
	// ErrInvalidFilter is returned for a filter that cannot be compiled: a
	// between without exactly two values, an empty in, a key operator on a
	// non-key attribute, a value of the wrong kind.
	ErrInvalidFilter = cond.ErrInvalidFilter
	// ErrQuery is returned for a Query that DynamoDB would reject, such as one
	// without an equality condition on the hash key.
	ErrQuery = cond.ErrQuery
	// ErrMissingKey is returned when a key attribute is absent from a key or
	// an item.
	ErrMissingKey = errors.New("dynamap: missing key attribute")
	// ErrInvalidKey is returned when a key attribute has the wrong type, is
	// empty, or when a key names attributes that are not part of the key.
	ErrInvalidKey = errors.New("dynamap: invalid key attribute")
	// ErrSchema is returned when a table's schema is unknown, cannot be
	// learnt, or a DescribeTable answer holds a key or projection type dynamap
	// does not know.
	ErrSchema = errors.New("dynamap: schema error")
	// ErrInvalidValue is returned for a Go value that cannot be stored in
	// DynamoDB (a channel, NaN, an empty set, an unsupported item type).
	ErrInvalidValue = codec.ErrInvalidValue
	// ErrInvalidCursor is returned by StartFrom for a cursor that is malformed,
	// tampered with, or was made for another table or index.
	ErrInvalidCursor = pager.ErrInvalidCursor
	// ErrUnprocessed is wrapped by *UnprocessedError.
	ErrUnprocessed = errors.New("dynamap: unprocessed items")
	// ErrTransactionCanceled is wrapped by *TransactionCanceledError.
	ErrTransactionCanceled = errors.New("dynamap: transaction canceled")
	// ErrTableNotFound is returned when DynamoDB answers
	// ResourceNotFoundException for a table operation.
	ErrTableNotFound = errors.New("dynamap: table not found")
	// ErrClosed is returned by a batch writer used after Close.
	ErrClosed = errors.New("dynamap: closed")
)

// KeyError reports a key attribute that is missing, mistyped or empty. It is
// returned before any request is sent and unwraps to ErrMissingKey (Missing is
// true) or ErrInvalidKey.
type KeyError struct {
	Table     string // table name
	Attribute string // the name of the key attribute at fault; empty when no attribute is (too many key values)
	Missing   bool   // true when the attribute is absent
	Reason    string // what is wrong, for humans
}

// Error implements error.
func (e *KeyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%stable %q: ", prefix, e.Table)
	if e.Missing {
		b.WriteString("missing key attribute")
	} else {
		b.WriteString("invalid key attribute")
	}
	if e.Attribute != "" {
		fmt.Fprintf(&b, " %q", e.Attribute)
	}
	if e.Reason != "" {
		b.WriteString(": " + oneLine(strings.TrimPrefix(e.Reason, prefix)))
	}
	return b.String()
}

// Unwrap returns ErrMissingKey or ErrInvalidKey.
func (e *KeyError) Unwrap() error {
	if e.Missing {
		return ErrMissingKey
	}
	return ErrInvalidKey
}

// FilterError reports a filter key that could not be compiled. It unwraps to
// ErrUnknownFilterType, ErrInvalidFilter or ErrQuery. Its fields: Key, the
// offending filter key (such as "age__betwen"); Reason, what is wrong, for
// humans; Err, the sentinel. The conditions engine (internal/cond) defines
// the type.
type FilterError = cond.FilterError

// ValueError reports a Go value that cannot be converted to or from a
// DynamoDB attribute value. It unwraps to ErrInvalidValue and to the cause.
// Its fields: Attribute, the attribute name or path (empty for a whole
// item); Reason; Err, the cause (may be nil). Every value dynamap encodes or
// decodes goes through its codec (internal/codec), which defines the type.
type ValueError = codec.ValueError

// UnprocessedError lists the requests a batch could not complete once its
// retry budget ran out. Nothing handed to a batch is dropped: every put, delete
// or key that was not written or read is here. A request in flight when its
// context ended has an unknown outcome (DynamoDB may have applied part or all
// of it), so its puts and deletes are listed too: re-sending them is safe, a
// put or delete of the same item being idempotent.
type UnprocessedError struct {
	Table   string                            // table name
	Puts    []map[string]types.AttributeValue // items not written
	Deletes []map[string]types.AttributeValue // keys not deleted
	Keys    []map[string]types.AttributeValue // keys not read (BatchGet)
	Err     error                             // the last error seen, if any (throttling, ...)
}

// Error implements error.
func (e *UnprocessedError) Error() string {
	msg := fmt.Sprintf("%stable %q: %d puts, %d deletes, %d gets unprocessed", prefix, e.Table, len(e.Puts), len(e.Deletes), len(e.Keys))
	if e.Err != nil {
		msg += ": " + causeText(e.Err)
	}
	return msg
}

// Unwrap returns ErrUnprocessed and the last error seen.
func (e *UnprocessedError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrUnprocessed, e.Err}
	}
	return []error{ErrUnprocessed}
}

// CancellationReason is why DynamoDB canceled one action of a transaction.
// Code is "None" for actions that did not cause the cancellation.
type CancellationReason struct {
	Index   int                             // position of the action in the request
	Code    string                          // "ConditionalCheckFailed", "TransactionConflict", "None", ...
	Message string                          // DynamoDB's message
	Item    map[string]types.AttributeValue // the item, when DynamoDB returns it
}

// TransactionCanceledError reports a canceled transaction with one reason per
// action. It unwraps to ErrTransactionCanceled and the SDK's
// *types.TransactionCanceledException (and to ErrConditionalCheckFailed when a
// condition caused it).
type TransactionCanceledError struct {
	Reasons []CancellationReason
	Err     error // the SDK's exception
}

// Error implements error.
func (e *TransactionCanceledError) Error() string {
	var parts []string
	for _, r := range e.Reasons {
		if r.Code != "" && r.Code != "None" {
			parts = append(parts, fmt.Sprintf("action %d: %s", r.Index, r.Code))
		}
	}
	if len(parts) == 0 {
		return ErrTransactionCanceled.Error()
	}
	return ErrTransactionCanceled.Error() + ": " + strings.Join(parts, ", ")
}

// Unwrap returns ErrTransactionCanceled, ErrConditionalCheckFailed when a
// condition failed, and the SDK's exception.
func (e *TransactionCanceledError) Unwrap() []error {
	errs := []error{ErrTransactionCanceled}
	for _, r := range e.Reasons {
		if r.Code == "ConditionalCheckFailed" {
			errs = append(errs, ErrConditionalCheckFailed)
			break
		}
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// opError ties a dynamap sentinel to the SDK error that caused it, so both
// errors.Is(err, sentinel) and errors.As(err, &sdkType) work.
type opError struct {
	sentinel error
	err      error
}

func (e *opError) Error() string {
	return prefix + causeText(e.sentinel) + ": " + causeText(e.err)
}
func (e *opError) Unwrap() []error { return []error{e.sentinel, e.err} }

// prefix starts the message of every error dynamap makes, once.
const prefix = codec.Prefix

// causeText is err's message as the cause part of another dynamap message:
// without its leading prefix, and on one line.
func causeText(err error) string { return codec.CauseText(err) }

// oneLine joins the non-empty lines of s with "; " (errors.Join, for
// one, puts each error on a line of its own).
func oneLine(s string) string { return codec.OneLine(s) }

// errorf is fmt.Errorf for the errors dynamap returns: every error operand
// is formatted as causeText (without its prefix), and the message starts
// with the prefix exactly once (whether format has it or not) and is one
// line. Operands given with %w stay reachable with errors.Is and errors.As.
func errorf(format string, args ...any) error {
	args = slices.Clone(args)
	for i, a := range args {
		if e, ok := a.(error); ok && e != nil {
			args[i] = &causeError{e}
		}
	}
	err := fmt.Errorf(format, args...)
	return &prefixedError{msg: prefix + oneLine(strings.TrimPrefix(err.Error(), prefix)), err: err}
}

// prefixedError is an error made by errorf.
type prefixedError struct {
	msg string
	err error // what fmt.Errorf made; it unwraps to the %w operands
}

func (e *prefixedError) Error() string { return e.msg }
func (e *prefixedError) Unwrap() error { return e.err }

// causeError is an operand of errorf: its message without the prefix.
type causeError struct{ err error }

func (e *causeError) Error() string { return causeText(e.err) }
func (e *causeError) Unwrap() error { return e.err }

// wrapErr maps a DynamoDB error onto dynamap's sentinels, keeping the SDK
// error reachable. Errors with no sentinel are returned as they are.
func wrapErr(err error) error {
	if err == nil {
		return nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) && !errors.Is(err, ErrConditionalCheckFailed) {
		return &opError{ErrConditionalCheckFailed, err}
	}
	var rnf *types.ResourceNotFoundException
	if errors.As(err, &rnf) && !errors.Is(err, ErrTableNotFound) {
		return &opError{ErrTableNotFound, err}
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && !errors.Is(err, ErrTransactionCanceled) {
		te := &TransactionCanceledError{Err: err}
		for i, r := range tce.CancellationReasons {
			cr := CancellationReason{Index: i, Item: r.Item}
			if r.Code != nil {
				cr.Code = *r.Code
			}
			if r.Message != nil {
				cr.Message = *r.Message
			}
			te.Reasons = append(te.Reasons, cr)
		}
		return te
	}
	return err
}

// IsThrottled reports whether err is DynamoDB throttling: provisioned
// throughput exceeded, request limit exceeded, or a ThrottlingException.
func IsThrottled(err error) bool {
	var pte *types.ProvisionedThroughputExceededException
	var rle *types.RequestLimitExceeded
	var tle *types.ThrottlingException
	if errors.As(err, &pte) || errors.As(err, &rle) || errors.As(err, &tle) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "Throttling":
			return true
		}
	}
	return false
}

// IsConditionFailed reports whether err is a failed write condition, from a
// single write or from a transaction.
func IsConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.Is(err, ErrConditionalCheckFailed) || errors.As(err, &ccf)
}

// IsNotFound reports whether err means an item or a table does not exist.
func IsNotFound(err error) bool {
	var rnf *types.ResourceNotFoundException
	return errors.Is(err, ErrItemNotFound) || errors.Is(err, ErrTableNotFound) || errors.As(err, &rnf)
}

// ErrTooManyItems is returned by ResultSet.One and One when more than one
// item matches.
var ErrTooManyItems = errors.New("dynamap: more than one item")

// ConditionFailedError reports a single-item write (PutItem, UpdateItem,
// DeleteItem, Save, PartialSave, Delete) whose condition did not hold. Item
// is the item as stored when the condition was evaluated (DynamoDB returns
// it: ReturnValuesOnConditionCheckFailure ALL_OLD), nil when no item had the
// key. It unwraps to ErrConditionalCheckFailed and, when DynamoDB evaluated
// the condition, to the SDK's error (Err), in which errors.As finds the
// *types.ConditionalCheckFailedException.
// Err is nil when dynamap's own check failed: the consistent read Save and
// PartialSave make first when an item's loaded values exceed one condition
// expression (Reason says which attribute changed). A transaction reports
// the same with *TransactionCanceledError, whose reasons hold the items.
type ConditionFailedError struct {
	Table  string // table name
	Item   *Item  // the stored item, nil when none had the key
	Reason string // dynamap's own check that failed, empty when DynamoDB's did
	Err    error  // the SDK's error, nil when dynamap's own check failed
}

// Error implements error.
func (e *ConditionFailedError) Error() string {
	msg := ErrConditionalCheckFailed.Error()
	if e.Reason != "" {
		msg += ": " + oneLine(e.Reason)
	}
	if e.Err != nil {
		msg += ": " + causeText(e.Err)
	}
	return msg
}

// Unwrap returns ErrConditionalCheckFailed and the SDK's error.
func (e *ConditionFailedError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrConditionalCheckFailed, e.Err}
	}
	return []error{ErrConditionalCheckFailed}
}
