package cond

import (
	"errors"
	"fmt"

	"github.com/dynamap/dynamap/internal/codec"
)

// The filter sentinels; the dynamap package exports them under the same
// names.
var (
	// ErrUnknownFilterType is returned for a filter key whose operator
	// ("name__op") is not one dynamap knows.
	ErrUnknownFilterType = errors.New(codec.Prefix + "unknown filter type")
	// ErrInvalidFilter is returned for a filter that cannot be compiled.
	ErrInvalidFilter = errors.New(codec.Prefix + "invalid filter")
	// ErrQuery is returned for a Query that DynamoDB would reject.
	ErrQuery = errors.New(codec.Prefix + "invalid query")
)

// FilterError reports a filter key that could not be compiled. It unwraps to
// ErrUnknownFilterType, ErrInvalidFilter or ErrQuery. The dynamap package
// exports it as dynamap.FilterError.
type FilterError struct {
	Key    string // the offending filter key, such as "age__betwen"
	Reason string // what is wrong, for humans
	Err    error  // the sentinel
}

// Error implements error.
func (e *FilterError) Error() string {
	msg := ErrInvalidFilter.Error()
	if e.Err != nil {
		msg = codec.Prefix + codec.CauseText(e.Err)
	}
	if e.Key != "" {
		msg += fmt.Sprintf(" %q", e.Key)
	}
	if e.Reason != "" {
		msg += ": " + codec.OneLine(e.Reason)
	}
	return msg
}

// Unwrap returns the sentinel.
func (e *FilterError) Unwrap() error { return e.Err }

// ValueError is the codec's value error, which path and update failures are.
type ValueError = codec.ValueError
