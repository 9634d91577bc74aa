package dynamap

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/dynamap/dynamap/internal/codec"
	"github.com/dynamap/dynamap/internal/cond"
)

// Filter is a set of conditions keyed "<attribute>__<op>", boto-style:
//
//	dynamap.Filter{"age__gte": 21, "name__beginswith": "A", "email__null": false}
//
// The attribute is everything before the last "__" (so "a__b__eq" compares
// the attribute "a__b"), and it is a document path (see Name): "address.city"
// reaches into maps and "tags[0]" into lists, Name("a.b") + "__eq" compares
// the top-level attribute named a.b, and a key attribute of the table or of
// its indexes is always its literal name ("user.id__eq" on a table whose
// hash key is user.id). Its conditions are ANDed; AnyOf(f) ORs them, and
// Or, And and Not combine a Filter with other conditions (see Condition).
//
// Key conditions (Query's key condition) accept eq, lt, lte, gt, gte,
// beginswith and between. Filters and write conditions (Where, a Scan filter,
// Expected, If, TxCheck) also accept ne, in, contains, ncontains and null (true: the
// attribute is absent; false: it is present).
//
// Values are Go values as Item.Set takes them (strings, any integer or float,
// Number, []byte, bool, StringSet, NumberSet, BinarySet, lists, maps). between
// takes exactly two values ([]any{lo, hi}, []int{lo, hi}, [2]string{...});
// in takes 1 to 100 values in a slice or array. between's bounds must be in
// order (lo <= hi: numbers compared as exact decimals, strings by their UTF-8
// bytes, binaries by their bytes), as DynamoDB requires. An unknown
// operator, a malformed value or path, reversed between bounds, or a
// compiled expression over DynamoDB's limits (4 KB, 300 operators and
// functions) is a *FilterError (or a *ValueError for a value that cannot be
// stored) returned before any request.
type Filter map[string]any

// keyAttrNames returns the test of the names that are always literal in a
// table (see Name): its key attributes, those of its indexes, and its
// version attribute. It returns nil when nothing is known.
func keyAttrNames(s *tableSchema, version string) func(string) bool {
	if s == nil && version == "" {
		return nil
	}
	return func(name string) bool {
		if name == version && version != "" {
			return true
		}
		if s == nil {
			return false
		}
		for _, f := range s.keys {
			if f.Name == name {
				return true
			}
		}
		return indexKeyOf(s, name) != ""
	}
}

// buildKeyCondition compiles a Query's key condition against the key schema
// keys (the table's, or the index's when querying one): see
// cond.BuildKeyCondition. what names the table or index in errors.
func buildKeyCondition(f Filter, keys []KeyField, what string, cd *codec.Codec) (expression.KeyConditionBuilder, error) {
	var hash, rng cond.KeyAttr
	for _, k := range keys {
		switch k.Role {
		case Hash:
			hash = cond.KeyAttr{Name: k.Name, Type: string(k.Type)}
		case Range:
			rng = cond.KeyAttr{Name: k.Name, Type: string(k.Type)}
		}
	}
	return cond.BuildKeyCondition(f, hash, rng, keyNames(keys), what, cd)
}

func keyNames(keys []KeyField) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	return strings.Join(names, ", ")
}
