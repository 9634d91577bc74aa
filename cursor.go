package dynamap

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/cond"
)

// A cursor is base64url (no padding) of the JSON of cursorJSON: the table and
// index it belongs to, the segment count of a segmented scan, and for each
// segment the key to resume after (typed values) or that it is done.
type cursorJSON struct {
	Table string        `json:"t"`
	Index string        `json:"i,omitempty"`
	Total int           `json:"n,omitempty"` // total segments; 0 for an unsegmented read
	Segs  []cursorSegJS `json:"s"`
}

type cursorSegJS struct {
	Seg int `json:"g,omitempty"`
	// Key is attribute → {"S"|"N"|"B": value} (B is base64). Only a nil
	// key is left out: an empty one is written, and refused by decodeCursor.
	Key  map[string]map[string]string `json:"k,omitzero"`
	Done bool                         `json:"d,omitempty"`
}

// maxResumeAttrs is the most key attributes a resume key holds: the
// table's hash and range keys and an index's.
const maxResumeAttrs = 4

// segState is where one segment (or an unsegmented read) stands: done, or
// resume after a key. The pager owns it: it shares no map with the items
// it yields, so changing or saving an item never moves the cursor.
type segState struct {
	seg  int
	done bool
	// key is a whole resume key: a decoded cursor or a LastEvaluatedKey,
	// maps nothing else holds. nil (and no attrs): from the start.
	key map[string]types.AttributeValue
	// attrs and vals are the resume key of the last item yielded: the
	// values of its key attributes attrs (plan.keyAttrs), taken when it was
	// yielded. Attribute values are never modified in place (Items replace
	// them), so holding them is safe, and costs no map per item.
	attrs []string
	vals  [maxResumeAttrs]types.AttributeValue
}

// itemPosition returns the position right after the item av: its key
// attributes' values, picked now, before av is handed to the caller.
func itemPosition(seg int, av map[string]types.AttributeValue, attrs []string) segState {
	st := segState{seg: seg}
	if len(attrs) > maxResumeAttrs {
		st.key = pickKey(av, attrs) // not reached with today's key schemas
		return st
	}
	st.attrs = attrs
	for i, a := range attrs {
		st.vals[i] = av[a]
	}
	return st
}

// resumeKey returns the key to resume after (nil: from the start). A key
// attribute the item lacked is left out, which decodeCursor refuses.
func (s segState) resumeKey() map[string]types.AttributeValue {
	if s.key != nil || s.attrs == nil {
		return s.key
	}
	k := make(map[string]types.AttributeValue, len(s.attrs))
	for i, a := range s.attrs {
		if s.vals[i] != nil {
			k[a] = s.vals[i]
		}
	}
	return k
}

// encodeCursor returns the cursor for segs, or "" when every segment is
// done. An unsegmented read that has not yielded anything yet (no key) is
// at its start: its cursor is "" too, as StartFrom("") starts there.
func encodeCursor(table, index string, total int, segs []segState) string {
	c := cursorJSON{Table: table, Index: index, Total: total}
	allDone := true
	for _, s := range segs {
		js := cursorSegJS{Seg: s.seg, Done: s.done}
		if !s.done {
			key := s.resumeKey()
			if key == nil && total == 0 {
				return ""
			}
			allDone = false
			if key != nil {
				js.Key = make(map[string]map[string]string, len(key))
				for name, av := range key {
					switch x := av.(type) {
					case *types.AttributeValueMemberS:
						js.Key[name] = map[string]string{"S": x.Value}
					case *types.AttributeValueMemberN:
						js.Key[name] = map[string]string{"N": x.Value}
					case *types.AttributeValueMemberB:
						js.Key[name] = map[string]string{"B": base64.StdEncoding.EncodeToString(x.Value)}
					}
				}
			}
		}
		c.Segs = append(c.Segs, js)
	}
	if allDone {
		return ""
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Only strings, ints and bools are marshalled; this cannot fail.
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// keySpec is what a resume-key attribute must be: its type, and the most
// bytes DynamoDB takes for it (2048 for a hash key, 1024 for a range key;
// the smaller when it is both, in the table and in an index).
type keySpec struct {
	typ      DataType
	maxBytes int
}

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
				limit = min(limit, prev.maxBytes)
			}
			out[f.Name] = keySpec{typ: f.Type, maxBytes: limit}
		}
	}
	return out
}

// decodeCursor parses and checks a cursor for table/index with total
// segments (0 unsegmented) among which wantSegs are read, and resume-key
// attributes keyAttrs. A segment that is not done resumes after a complete
// key (every attribute of keyAttrs, valid as DynamoDB would take it); only
// a segment of a segmented scan may instead carry no key (not started).
// Every failure is ErrInvalidCursor.
func decodeCursor(cursor, table, index string, total int, wantSegs []int, keyAttrs map[string]keySpec) ([]segState, error) {
	bad := func(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidCursor, reason) }
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad("not base64url")
	}
	var c cursorJSON
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, bad("malformed")
	}
	if c.Table != table {
		return nil, bad(fmt.Sprintf("made for table %q, not %q", c.Table, table))
	}
	if c.Index != index {
		return nil, bad(fmt.Sprintf("made for index %q, not %q", c.Index, index))
	}
	if c.Total != total {
		return nil, bad(fmt.Sprintf("made for %d segments, not %d", c.Total, total))
	}
	if len(c.Segs) != len(wantSegs) {
		return nil, bad(fmt.Sprintf("holds %d segments, want %d", len(c.Segs), len(wantSegs)))
	}
	out := make([]segState, len(c.Segs))
	for i, s := range c.Segs {
		if s.Seg != wantSegs[i] {
			return nil, bad(fmt.Sprintf("segment %d where %d was expected", s.Seg, wantSegs[i]))
		}
		st := segState{seg: s.Seg, done: s.Done}
		switch {
		case s.Done && s.Key != nil:
			return nil, bad("a done segment with a key")
		case !s.Done && s.Key == nil && total == 0:
			return nil, bad("no resume key")
		}
		if s.Key != nil {
			if len(s.Key) != len(keyAttrs) {
				return nil, bad(fmt.Sprintf("key has %d attributes, want %d", len(s.Key), len(keyAttrs)))
			}
			st.key = make(map[string]types.AttributeValue, len(s.Key))
			for name, tv := range s.Key {
				spec, ok := keyAttrs[name]
				if !ok {
					return nil, bad(fmt.Sprintf("%q is not a key attribute", name))
				}
				if len(tv) != 1 {
					return nil, bad(fmt.Sprintf("attribute %q needs exactly one typed value", name))
				}
				v, ok := tv[string(spec.typ)]
				if !ok {
					return nil, bad(fmt.Sprintf("attribute %q has the wrong type, want %s", name, spec.typ))
				}
				av, reason := cursorKeyValue(spec, v)
				if reason != "" {
					return nil, bad(fmt.Sprintf("attribute %q %s", name, reason))
				}
				st.key[name] = av
			}
		}
		out[i] = st
	}
	return out, nil
}

// cursorKeyValue converts one key value of a cursor, checking it as
// DynamoDB checks key values; reason is "" when it is valid.
func cursorKeyValue(spec keySpec, v string) (av types.AttributeValue, reason string) {
	switch spec.typ {
	case S:
		switch {
		case v == "":
			return nil, "is empty"
		case len(v) > spec.maxBytes:
			return nil, fmt.Sprintf("is %d bytes, over DynamoDB's %d", len(v), spec.maxBytes)
		}
		return &types.AttributeValueMemberS{Value: v}, ""
	case N:
		if !validKeyNumber(v) {
			return nil, "is not a number DynamoDB takes"
		}
		return &types.AttributeValueMemberN{Value: v}, ""
	case B:
		b, err := base64.StdEncoding.DecodeString(v)
		switch {
		case err != nil:
			return nil, "is not base64"
		case len(b) == 0:
			return nil, "is empty"
		case len(b) > spec.maxBytes:
			return nil, fmt.Sprintf("is %d bytes, over DynamoDB's %d", len(b), spec.maxBytes)
		}
		return &types.AttributeValueMemberB{Value: b}, ""
	}
	return nil, fmt.Sprintf("has unknown key type %q", spec.typ)
}

// Limits of DynamoDB numbers: 38 significant digits, magnitudes from 1E-130
// to 9.9999999999999999999999999999999999999E+125 (or zero).
const (
	maxNumberDigits   = 38
	minNumberExponent = -130 // of the most significant digit
	maxNumberExponent = 125
)

// validKeyNumber reports whether s is a number DynamoDB takes (see
// checkNumber: the one number check of the codec).
func validKeyNumber(s string) bool { return codec.CheckNumber(s) == nil }

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
// done cursor) is taken.
func keyConditionExcludes(keyCond Filter, key map[string]types.AttributeValue, reverse bool) string {
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
			continue // decodeCursor requires every key attribute
		}
		inside, atEnd := true, false
		switch op {
		case cond.OpBeginsWith:
			p, err := cond.PrefixValue(k, keyCond[k])
			s, isS := v.(*types.AttributeValueMemberS)
			inside = err != nil || !isS || strings.HasPrefix(s.Value, p)
		case cond.OpBetween:
			lo, hi, err := cond.BetweenValues(k, keyCond[k])
			if err != nil || codec.Kind(lo) != codec.Kind(v) {
				continue // refused when compiled
			}
			cLo, cHi := cond.CompareScalars(v, lo), cond.CompareScalars(v, hi)
			inside = cLo >= 0 && cHi <= 0
			atEnd = !reverse && cHi == 0 || reverse && cLo == 0
		default:
			want, err := cond.ScalarValue(k, keyCond[k])
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
