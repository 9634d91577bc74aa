package dynamap

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
	Seg  int                          `json:"g,omitempty"`
	Key  map[string]map[string]string `json:"k,omitempty"` // attribute → {"S"|"N"|"B": value}; B is base64
	Done bool                         `json:"d,omitempty"`
}

// segState is where one segment (or an unsegmented read) stands: resume
// after key, or done.
type segState struct {
	seg  int
	key  map[string]types.AttributeValue // nil: from the start (when !done), unless from is set
	done bool
	// from is the last item yielded, whose key attributes (attrs) are the
	// resume key: picked only when a cursor is made, not for every item.
	from  map[string]types.AttributeValue
	attrs []string
}

// resumeKey returns the key to resume after.
func (s segState) resumeKey() map[string]types.AttributeValue {
	if s.from != nil {
		return pickKey(s.from, s.attrs)
	}
	return s.key
}

// encodeCursor returns the cursor for segs, or "" when every segment is done.
func encodeCursor(table, index string, total int, segs []segState) string {
	c := cursorJSON{Table: table, Index: index, Total: total}
	allDone := true
	for _, s := range segs {
		js := cursorSegJS{Seg: s.seg, Done: s.done}
		if !s.done {
			allDone = false
			if key := s.resumeKey(); key != nil {
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

// decodeCursor parses and checks a cursor for table/index with total segments
// (0 unsegmented) among which wantSegs are read, and key attributes keyAttrs
// (name → type). Every failure is ErrInvalidCursor.
func decodeCursor(cursor, table, index string, total int, wantSegs []int, keyAttrs map[string]DataType) ([]segState, error) {
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
		if s.Done && s.Key != nil {
			return nil, bad("a done segment with a key")
		}
		if s.Key != nil {
			if len(s.Key) != len(keyAttrs) {
				return nil, bad(fmt.Sprintf("key has %d attributes, want %d", len(s.Key), len(keyAttrs)))
			}
			st.key = make(map[string]types.AttributeValue, len(s.Key))
			for name, tv := range s.Key {
				want, ok := keyAttrs[name]
				if !ok {
					return nil, bad(fmt.Sprintf("%q is not a key attribute", name))
				}
				if len(tv) != 1 {
					return nil, bad(fmt.Sprintf("attribute %q needs exactly one typed value", name))
				}
				v, ok := tv[string(want)]
				if !ok {
					return nil, bad(fmt.Sprintf("attribute %q has the wrong type, want %s", name, want))
				}
				switch want {
				case S:
					if v == "" {
						return nil, bad(fmt.Sprintf("attribute %q is empty", name))
					}
					st.key[name] = &types.AttributeValueMemberS{Value: v}
				case N:
					if _, ok := parseDecimal(v); !ok {
						return nil, bad(fmt.Sprintf("attribute %q is not a number", name))
					}
					st.key[name] = &types.AttributeValueMemberN{Value: v}
				case B:
					b, err := base64.StdEncoding.DecodeString(v)
					if err != nil || len(b) == 0 {
						return nil, bad(fmt.Sprintf("attribute %q is not binary", name))
					}
					st.key[name] = &types.AttributeValueMemberB{Value: b}
				}
			}
		}
		out[i] = st
	}
	return out, nil
}

// keyAttrTypes merges key schemas into name → type.
func keyAttrTypes(schemas ...[]KeyField) map[string]DataType {
	out := map[string]DataType{}
	for _, fs := range schemas {
		for _, f := range fs {
			out[f.Name] = f.Type
		}
	}
	return out
}

// sortedNames returns m's keys in order.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
