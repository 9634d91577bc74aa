package cond

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
)

// Attribute names and document paths follow one rule wherever a string
// names an attribute: Filter keys, Attributes, Item.Get, Set, Has and
// Remove, the update actions (SetValue, Add, ...), Increment and
// RemoveAttributes.
//
//   - The string is a document path: "." steps into a map and "[n]" into a
//     list, so "address.city" is the key city of the map attribute address
//     and "tags[0].name" the key name of the first element of the list tags.
//   - A step written in backquotes is a literal name: "`user.id`" is the
//     top-level attribute named user.id, and "`a.b`.c" the key c of the map
//     attribute a.b. A backquote inside backquotes is written twice. Name
//     quotes a literal name for you.
//   - Key attributes (of the table and of its indexes) are always literal:
//     in a Key, a key condition, and wherever a string equals a key
//     attribute's name exactly.
//   - The keys of a map handed to NewItem, ItemFrom or PutItem, and the
//     names in dynamodbav struct tags, are literal top-level names.
//
//   - An Item resolves a multi-step path (one with a "." or "[n]" step)
//     only once its table's key names are known without I/O: the table was
//     created by CreateTable, described (by any request, Describe or
//     KeyNames), or declared with both WithSchema and WithIndexes. Before
//     that, "user.id" may be the key attribute user.id or the key id of a
//     map user, so Item.Set and Item.Remove refuse it with an error
//     wrapping ErrSchema, and Item.Get and Item.Has find nothing there.
//     One-step names, and names quoted with Name, are never ambiguous.
//
// DynamoDB's expression syntax cannot name an attribute whose name contains
// "[" or "]" (the SDK's expression builder reads "x[1]" as a list index):
// in a filter, projection or update action such a name is refused with a
// *ValueError. An Item holds, gets, sets and removes such attributes
// (quoted with Name) like any other, and Save, PartialSave, TxPut and Delete
// name them in their expressions through an alias (see ExprName).

// Step is one step of a document path: a map key (or top-level name),
// or a list index.
type Step struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a parsed document path; its first step is always a name.
type Path []Step

// Name returns attr quoted as one literal attribute name, for use where a
// document path is expected: Filter{dynamap.Name("user.id") + "__eq": 7}
// compares the top-level attribute named user.id, not the key id of a map
// user.
func Name(attr string) string {
	return "`" + strings.ReplaceAll(attr, "`", "``") + "`"
}

// LiteralPath is the path of the top-level attribute name.
func LiteralPath(name string) Path { return Path{{Name: name}} }

// ParsePath parses a document path (see Name for the rule) for an
// expression: a name holding "[" or "]" is refused. Every failure is a
// *ValueError naming s.
func ParsePath(s string) (Path, error) {
	p, err := ParseDocPath(s)
	if err != nil {
		return nil, err
	}
	for _, st := range p {
		if !st.IsIndex && strings.ContainsAny(st.Name, "[]") {
			return nil, &ValueError{Attribute: s, Reason: fmt.Sprintf("invalid attribute path: DynamoDB expressions cannot name %q (it holds [ or ])", st.Name)}
		}
	}
	return p, nil
}

// ParseDocPath parses a document path (see Name for the rule); names may
// hold any character. Every failure is a *ValueError naming s.
func ParseDocPath(s string) (Path, error) {
	bad := func(reason string) error {
		return &ValueError{Attribute: s, Reason: "invalid attribute path: " + reason}
	}
	if s == "" {
		return nil, &ValueError{Reason: "empty attribute name"}
	}
	var p Path
	i := 0
	expectName := true // at the start or after a "."
	for i < len(s) {
		switch c := s[i]; {
		case c == '[':
			if expectName {
				return nil, bad("a list index must follow a name")
			}
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, bad("unclosed [")
			}
			digits := s[i+1 : i+j]
			n, err := strconv.Atoi(digits)
			if digits == "" || err != nil || n < 0 || strings.TrimLeft(digits, "0123456789") != "" {
				return nil, bad(fmt.Sprintf("list index [%s] is not a non-negative integer", digits))
			}
			p = append(p, Step{Index: n, IsIndex: true})
			i += j + 1
		case c == '.':
			if expectName {
				return nil, bad("empty name")
			}
			expectName = true
			i++
		case !expectName:
			return nil, bad(fmt.Sprintf("unexpected %q after a list index or quoted name", c))
		case c == '`':
			var b strings.Builder
			j := i + 1
			for {
				k := strings.IndexByte(s[j:], '`')
				if k < 0 {
					return nil, bad("unclosed `")
				}
				b.WriteString(s[j : j+k])
				j += k + 1
				if j < len(s) && s[j] == '`' {
					b.WriteByte('`')
					j++
					continue
				}
				break
			}
			if b.Len() == 0 {
				return nil, bad("empty name")
			}
			p = append(p, Step{Name: b.String()})
			expectName = false
			i = j
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' && s[j] != '`' {
				if s[j] == ']' {
					return nil, bad("unexpected ]")
				}
				j++
			}
			p = append(p, Step{Name: s[i:j]})
			expectName = false
			i = j
		}
	}
	if expectName {
		return nil, bad("empty name")
	}
	return p, nil
}

// ResolvePath parses s by the one rule, except that a string equal to a
// key attribute's name (isKey) is that literal name.
func ResolvePath(s string, isKey func(string) bool) (Path, error) {
	if isKey != nil && s != "" && isKey(s) {
		if strings.ContainsAny(s, "[]") {
			return nil, &ValueError{Attribute: s, Reason: "DynamoDB expressions cannot name an attribute holding [ or ]"}
		}
		return LiteralPath(s), nil
	}
	return ParsePath(s)
}

// ResolveItemPath is ResolvePath for an Item's own values, which never
// reach an expression as a path (Save and PartialSave name top-level
// attributes through ExprName): names holding "[" or "]" are allowed.
func ResolveItemPath(s string, isKey func(string) bool) (Path, error) {
	if isKey != nil && s != "" && isKey(s) {
		return LiteralPath(s), nil
	}
	return ParseDocPath(s)
}

// AliasPrefix starts the stand-in ExprName gives a name the expression
// package cannot take. It holds NUL bytes, which no sensible attribute
// name does; a name that starts with it is aliased too, so that
// UnaliasNames never mistakes a real name for a stand-in.
const AliasPrefix = "\x00dynamap\x00"

// ExprName returns the expression name of the top-level attribute name,
// taken literally. The SDK's expression package reads "[n]" at the end of
// a name as a list index and refuses other brackets, so a name holding "["
// or "]" is built as a stand-in (AliasPrefix and the name in hex), which
// UnaliasNames turns back into the name in ExpressionAttributeNames, where
// DynamoDB takes any name literally. Every expression built with ExprName
// must have its names passed through UnaliasNames.
func ExprName(name string) expression.NameBuilder {
	if strings.ContainsAny(name, "[]") || strings.HasPrefix(name, AliasPrefix) {
		name = AliasPrefix + hex.EncodeToString([]byte(name))
	}
	return expression.NameNoDotSplit(name)
}

// UnaliasNames replaces, in place, the stand-ins of ExprName among the
// values of an expression's names (expression.Expression.Names returns the
// expression's own map) by the names they stand for.
func UnaliasNames(names map[string]string) {
	for ph, n := range names {
		if rest, ok := strings.CutPrefix(n, AliasPrefix); ok {
			if b, err := hex.DecodeString(rest); err == nil {
				names[ph] = string(b)
			}
		}
	}
}

// Top returns the path's top-level attribute name.
func (p Path) Top() string { return p[0].Name }

// Nested reports whether the path reaches below a top-level attribute.
func (p Path) Nested() bool { return len(p) > 1 }

// String returns the path in the rule's syntax, quoting names that need it.
func (p Path) String() string {
	var b strings.Builder
	for i, st := range p {
		switch {
		case st.IsIndex:
			b.WriteString("[" + strconv.Itoa(st.Index) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if st.Name == "" || strings.ContainsAny(st.Name, ".[]`") {
				b.WriteString(Name(st.Name))
			} else {
				b.WriteString(st.Name)
			}
		}
	}
	return b.String()
}

// Builder returns the path as an expression name: every name step is
// literal (no dot splitting), list indexes are appended.
func (p Path) Builder() expression.NameBuilder {
	nb := expression.NameNoDotSplit(p[0].Name)
	for _, st := range p[1:] {
		if st.IsIndex {
			nb = nb.AppendName(expression.NameNoDotSplit("[" + strconv.Itoa(st.Index) + "]"))
		} else {
			nb = nb.AppendName(expression.NameNoDotSplit(st.Name))
		}
	}
	return nb
}

// Get returns the value at p in item, if there is one.
func (p Path) Get(item map[string]types.AttributeValue) (types.AttributeValue, bool) {
	v, ok := item[p[0].Name]
	for _, st := range p[1:] {
		if !ok {
			return nil, false
		}
		v, ok = StepInto(v, st)
	}
	return v, ok
}

// StepInto returns the value one step st below v, if there is one.
func StepInto(v types.AttributeValue, st Step) (types.AttributeValue, bool) {
	if st.IsIndex {
		l, ok := v.(*types.AttributeValueMemberL)
		if !ok || st.Index >= len(l.Value) {
			return nil, false
		}
		return l.Value[st.Index], true
	}
	m, ok := v.(*types.AttributeValueMemberM)
	if !ok {
		return nil, false
	}
	e, ok := m.Value[st.Name]
	return e, ok
}

// With returns a new value for p's top-level attribute in which the value
// at p is av (remove: the value at p is removed). Nothing that item holds is
// modified: the maps and lists along the path are copied. A missing map
// along the path is created (for a set); a list index past the end appends
// (as DynamoDB's SET does). A step into a value of the wrong type is a
// *ValueError. changed is false when a removal found nothing to remove. For
// a removal of a top-level attribute (a one-step path) top is nil and the
// caller deletes the attribute.
func (p Path) With(item map[string]types.AttributeValue, av types.AttributeValue, remove bool) (top types.AttributeValue, changed bool, err error) {
	cur, had := item[p[0].Name]
	if remove && len(p) == 1 {
		return nil, had, nil
	}
	return setIn(p, 1, cur, had, av, remove)
}

func setIn(p Path, i int, cur types.AttributeValue, had bool, av types.AttributeValue, remove bool) (types.AttributeValue, bool, error) {
	if i == len(p) {
		return av, true, nil
	}
	st := p[i]
	if st.IsIndex {
		l, ok := cur.(*types.AttributeValueMemberL)
		if !ok {
			if remove && !had {
				return cur, false, nil
			}
			return nil, false, &ValueError{Attribute: Path(p[:i+1]).String(), Reason: fmt.Sprintf("cannot index into %s", kindOrAbsent(cur, had))}
		}
		if st.Index >= len(l.Value) {
			if remove {
				return cur, false, nil
			}
			if i < len(p)-1 {
				return nil, false, &ValueError{Attribute: Path(p[:i+1]).String(), Reason: "list index out of range"}
			}
			return &types.AttributeValueMemberL{Value: append(slices.Clone(l.Value), av)}, true, nil
		}
		if remove && i == len(p)-1 {
			return &types.AttributeValueMemberL{Value: slices.Delete(slices.Clone(l.Value), st.Index, st.Index+1)}, true, nil
		}
		e, changed, err := setIn(p, i+1, l.Value[st.Index], true, av, remove)
		if err != nil || !changed {
			return cur, changed, err
		}
		nl := slices.Clone(l.Value)
		nl[st.Index] = e
		return &types.AttributeValueMemberL{Value: nl}, true, nil
	}
	m, ok := cur.(*types.AttributeValueMemberM)
	if !ok {
		switch {
		case remove && !had:
			return cur, false, nil
		case !had:
			m = &types.AttributeValueMemberM{}
		default:
			return nil, false, &ValueError{Attribute: Path(p[:i+1]).String(), Reason: fmt.Sprintf("cannot step into %s", kindOrAbsent(cur, had))}
		}
	}
	old, has := m.Value[st.Name]
	if remove && i == len(p)-1 {
		if !has {
			return cur, false, nil
		}
		nm := make(map[string]types.AttributeValue, len(m.Value))
		for k, v := range m.Value {
			if k != st.Name {
				nm[k] = v
			}
		}
		return &types.AttributeValueMemberM{Value: nm}, true, nil
	}
	e, changed, err := setIn(p, i+1, old, has, av, remove)
	if err != nil || !changed {
		return cur, changed, err
	}
	nm := make(map[string]types.AttributeValue, len(m.Value)+1)
	for k, v := range m.Value {
		nm[k] = v
	}
	nm[st.Name] = e
	return &types.AttributeValueMemberM{Value: nm}, true, nil
}

func kindOrAbsent(v types.AttributeValue, had bool) string {
	if !had {
		return "an absent attribute"
	}
	return codec.Kind(v)
}

// HasIndex reports whether the path has a list index step.
func (p Path) HasIndex() bool {
	return slices.ContainsFunc(p, func(st Step) bool { return st.IsIndex })
}
