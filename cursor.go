package dynamap

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/cond"
)

// The cursor codec lives in internal/pager; what stays here is the
// cursor's link to the root's key schemas and key conditions: the
// resume-key attributes of a read, and the check that a Query's cursor
// belongs to its key condition.

// resumeAttrs merges key schemas (the table's, and an index's) into the
// attributes of a resume key.
func resumeAttrs(schemas ...[]KeyField) map[string]keySpec {
	out := map[string]keySpec{}
	for _, fs := range schemas {
		for _, f := range fs {
			limit := maxHashKeyBytes
			if f.Role == Range {
				limit = maxRangeKeyBytes
			}
			if prev, ok := out[f.Name]; ok {
				limit = min(limit, prev.MaxBytes)
			}
			out[f.Name] = keySpec{Type: string(f.Type), MaxBytes: limit}
		}
	}
	return out
}

// keyConditionExcludes reports why DynamoDB would refuse key, a Query's
// resume key, as the starting key of a query with key condition keyCond
// (already compiled, so well formed, its operands of the key's types) read
// in reverse or not; it returns "" when DynamoDB takes it. DynamoDB refuses
// a starting key whose hash value differs from the eq value, whose range
// value the range condition excludes, or whose range value is the
// inclusive bound the read ends at (lte or between's upper bound reading
// forward, gte or between's lower bound in reverse): nothing follows it.
// Values compare as DynamoDB compares them: numbers as exact decimals
// ("5.0" equals "5"), strings and binaries by their bytes. A nil key (a
// done cursor) is taken. cd, the table's codec, encodes keyCond's values.
func keyConditionExcludes(keyCond Filter, key map[string]types.AttributeValue, reverse bool, cd *codec.Codec) string {
	if key == nil {
		return ""
	}
	for _, k := range slices.Sorted(maps.Keys(keyCond)) {
		attr, op, err := cond.SplitFilterKey(k, cond.KeyOps)
		if err != nil {
			return "" // refused when compiled
		}
		v, ok := key[attr]
		if !ok {
			continue // pager.DecodeCursor requires every key attribute
		}
		inside, atEnd := true, false
		switch op {
		case cond.OpBeginsWith:
			p, err := cond.PrefixValue(k, keyCond[k], cd)
			s, isS := v.(*types.AttributeValueMemberS)
			inside = err != nil || !isS || strings.HasPrefix(s.Value, p)
		case cond.OpBetween:
			lo, hi, err := cond.BetweenValues(k, keyCond[k], cd)
			if err != nil || codec.Kind(lo) != codec.Kind(v) {
				continue // refused when compiled
			}
			cLo, cHi := cond.CompareScalars(v, lo), cond.CompareScalars(v, hi)
			inside = cLo >= 0 && cHi <= 0
			atEnd = !reverse && cHi == 0 || reverse && cLo == 0
		default:
			want, err := cond.ScalarValue(k, keyCond[k], cd)
			if err != nil || codec.Kind(want) != codec.Kind(v) {
				continue // refused when compiled
			}
			c := cond.CompareScalars(v, want)
			switch op {
			case cond.OpEq:
				inside = c == 0
			case cond.OpLt:
				inside = c < 0
			case cond.OpLte:
				inside, atEnd = c <= 0, !reverse && c == 0
			case cond.OpGt:
				inside = c > 0
			case cond.OpGte:
				inside, atEnd = c >= 0, reverse && c == 0
			}
		}
		switch {
		case !inside:
			return fmt.Sprintf("its key %s = %s does not satisfy %s of this query (the cursor belongs to another query)", attr, cursorValueString(v), k)
		case atEnd:
			return fmt.Sprintf("its key %s = %s is the bound of %s this query ends at: nothing follows it, and DynamoDB refuses it as a starting key (the cursor belongs to another query)", attr, cursorValueString(v), k)
		}
	}
	return ""
}

// cursorValueString shows a key value in an error message, cut after 40
// bytes.
func cursorValueString(av types.AttributeValue) string {
	const max = 40
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		if len(x.Value) > max {
			return strconv.Quote(x.Value[:max]) + "..."
		}
	case *types.AttributeValueMemberB:
		if len(x.Value) > max {
			return fmt.Sprintf("%x...", x.Value[:max])
		}
	}
	return cond.ScalarString(av)
}
