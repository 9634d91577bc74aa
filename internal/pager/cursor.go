package pager

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
)

// ErrInvalidCursor is the sentinel of every cursor DecodeCursor refuses;
// the dynamap package exports it as dynamap.ErrInvalidCursor.
var ErrInvalidCursor = errors.New(codec.Prefix + "invalid cursor")

// CursorJSON is what a cursor holds: a cursor is base64url (no padding) of
// its JSON: the table and index it belongs to, the segment count of a
// segmented scan, and for each segment the key to resume after (typed
// values) or that it is done.
type CursorJSON struct {
	Table string        `json:"t"`
	Index string        `json:"i,omitempty"`
	Total int           `json:"n,omitempty"` // total segments; 0 for an unsegmented read
	Segs  []CursorSegJS `json:"s"`
}

// CursorSegJS is one segment of a CursorJSON.
type CursorSegJS struct {
	Seg int `json:"g,omitempty"`
	// Key is attribute → {"S"|"N"|"B": value} (B is base64). Only a nil
	// key is left out: an empty one is written, and refused by DecodeCursor.
	Key  map[string]map[string]string `json:"k,omitzero"`
	Done bool                         `json:"d,omitempty"`
}

// maxResumeAttrs is the most key attributes a resume key holds: the
// table's hash and range keys and an index's.
const maxResumeAttrs = 4

// SegState is where one segment (or an unsegmented read) stands: done, or
// resume after a key. The pager owns it: it shares no map with the items
// it yields, so changing or saving an item never moves the cursor.
type SegState struct {
	Seg  int
	Done bool
	// Key is a whole resume key: a decoded cursor or a LastEvaluatedKey,
	// maps nothing else holds. nil (and no attrs): from the start.
	Key map[string]types.AttributeValue
	// attrs and vals are the resume key of the last item yielded: the
	// values of its key attributes attrs (Plan.KeyAttrs), taken when it was
	// yielded. Attribute values are never modified in place (Items replace
	// them), so holding them is safe, and costs no map per item.
	attrs []string
	vals  [maxResumeAttrs]types.AttributeValue
}

// itemPosition returns the position right after the item av: its key
// attributes' values, picked now, before av is handed to the caller.
func itemPosition(seg int, av map[string]types.AttributeValue, attrs []string) SegState {
	st := SegState{Seg: seg}
	if len(attrs) > maxResumeAttrs {
		st.Key = pickKey(av, attrs) // not reached with today's key schemas
		return st
	}
	st.attrs = attrs
	for i, a := range attrs {
		st.vals[i] = av[a]
	}
	return st
}

// resumeKey returns the key to resume after (nil: from the start). A key
// attribute the item lacked is left out, which DecodeCursor refuses.
func (s SegState) resumeKey() map[string]types.AttributeValue {
	if s.Key != nil || s.attrs == nil {
		return s.Key
	}
	k := make(map[string]types.AttributeValue, len(s.attrs))
	for i, a := range s.attrs {
		if s.vals[i] != nil {
			k[a] = s.vals[i]
		}
	}
	return k
}

// EncodeCursor returns the cursor for segs, or "" when every segment is
// done. An unsegmented read that has not yielded anything yet (no key) is
// at its start: its cursor is "" too, as StartFrom("") starts there.
func EncodeCursor(table, index string, total int, segs []SegState) string {
	c := CursorJSON{Table: table, Index: index, Total: total}
	allDone := true
	for _, s := range segs {
		js := CursorSegJS{Seg: s.Seg, Done: s.Done}
		if !s.Done {
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

// KeySpec is what a resume-key attribute must be: its type ("S", "N" or
// "B"), and the most bytes DynamoDB takes for it (2048 for a hash key, 1024
// for a range key; the smaller when it is both, in the table and in an
// index).
type KeySpec struct {
	Type     string
	MaxBytes int
}

// DecodeCursor parses and checks a cursor for table/index with total
// segments (0 unsegmented) among which wantSegs are read, and resume-key
// attributes keyAttrs. A segment that is not done resumes after a complete
// key (every attribute of keyAttrs, valid as DynamoDB would take it); only
// a segment of a segmented scan may instead carry no key (not started).
// Every failure is ErrInvalidCursor.
func DecodeCursor(cursor, table, index string, total int, wantSegs []int, keyAttrs map[string]KeySpec) ([]SegState, error) {
	bad := func(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidCursor, reason) }
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad("not base64url")
	}
	var c CursorJSON
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
	out := make([]SegState, len(c.Segs))
	for i, s := range c.Segs {
		if s.Seg != wantSegs[i] {
			return nil, bad(fmt.Sprintf("segment %d where %d was expected", s.Seg, wantSegs[i]))
		}
		st := SegState{Seg: s.Seg, Done: s.Done}
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
			st.Key = make(map[string]types.AttributeValue, len(s.Key))
			for name, tv := range s.Key {
				spec, ok := keyAttrs[name]
				if !ok {
					return nil, bad(fmt.Sprintf("%q is not a key attribute", name))
				}
				if len(tv) != 1 {
					return nil, bad(fmt.Sprintf("attribute %q needs exactly one typed value", name))
				}
				v, ok := tv[spec.Type]
				if !ok {
					return nil, bad(fmt.Sprintf("attribute %q has the wrong type, want %s", name, spec.Type))
				}
				av, reason := cursorKeyValue(spec, v)
				if reason != "" {
					return nil, bad(fmt.Sprintf("attribute %q %s", name, reason))
				}
				st.Key[name] = av
			}
		}
		out[i] = st
	}
	return out, nil
}

// cursorKeyValue converts one key value of a cursor, checking it as
// DynamoDB checks key values; reason is "" when it is valid.
func cursorKeyValue(spec KeySpec, v string) (av types.AttributeValue, reason string) {
	switch spec.Type {
	case "S":
		switch {
		case v == "":
			return nil, "is empty"
		case len(v) > spec.MaxBytes:
			return nil, fmt.Sprintf("is %d bytes, over DynamoDB's %d", len(v), spec.MaxBytes)
		}
		return &types.AttributeValueMemberS{Value: v}, ""
	case "N":
		if !ValidKeyNumber(v) {
			return nil, "is not a number DynamoDB takes"
		}
		return &types.AttributeValueMemberN{Value: v}, ""
	case "B":
		b, err := base64.StdEncoding.DecodeString(v)
		switch {
		case err != nil:
			return nil, "is not base64"
		case len(b) == 0:
			return nil, "is empty"
		case len(b) > spec.MaxBytes:
			return nil, fmt.Sprintf("is %d bytes, over DynamoDB's %d", len(b), spec.MaxBytes)
		}
		return &types.AttributeValueMemberB{Value: b}, ""
	}
	return nil, fmt.Sprintf("has unknown key type %q", spec.Type)
}

// ValidKeyNumber reports whether s is a number DynamoDB takes (see
// codec.CheckNumber: the one number check of the codec).
func ValidKeyNumber(s string) bool { return codec.CheckNumber(s) == nil }
