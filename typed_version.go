package dynamap

import (
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// nextVersionFits returns a *ValueError when a write at version ver (the
// version of the T written) would store a version, ver+1, that the model's
// version field cannot hold: the write would succeed, and the version
// written could then never be read back into a T. nil without a version
// field.
func (tt *TypedTable[T]) nextVersionFits(ver uint64) error {
	f := tt.m.Version
	if f == nil {
		return nil
	}
	if ver == math.MaxUint64 {
		return tt.versionOverflow("18446744073709551616")
	}
	if !versionFits(f.Type, ver+1) {
		return tt.versionOverflow(strconv.FormatUint(ver+1, 10))
	}
	return nil
}

// storedVersionFits is nextVersionFits for the version an update computed
// from the stored one (next, an N).
func (tt *TypedTable[T]) storedVersionFits(next types.AttributeValue) error {
	f := tt.m.Version
	if f == nil {
		return nil
	}
	n, ok := next.(*types.AttributeValueMemberN)
	if !ok {
		return nil
	}
	u, err := strconv.ParseUint(n.Value, 10, 64)
	if err != nil || !versionFits(f.Type, u) {
		return tt.versionOverflow(n.Value)
	}
	return nil
}

// versionFits reports whether an integer field of type t holds v.
func versionFits(t reflect.Type, v uint64) bool {
	z := reflect.Zero(t)
	if z.CanInt() {
		return v <= math.MaxInt64 && !z.OverflowInt(int64(v))
	}
	return !z.OverflowUint(v)
}

// versionOverflow is the error for a next version (next) that overflows
// the version field.
func (tt *TypedTable[T]) versionOverflow(next string) error {
	f := tt.m.Version
	return &ValueError{Attribute: f.Attr, Reason: fmt.Sprintf("the version the write would store, %s, overflows field %s (%s)", next, f.GoName, f.Type)}
}
