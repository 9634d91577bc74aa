package dynamap

import "github.com/dynamap/dynamap/internal/cond"

// The names and paths rule (document paths, backquoted literal names, key
// attributes always literal, names holding "[" or "]") is the conditions
// engine's: see internal/cond's names.go.

// Name returns attr quoted as one literal attribute name, for use where a
// document path is expected: Filter{dynamap.Name("user.id") + "__eq": 7}
// compares the top-level attribute named user.id, not the key id of a map
// user.
func Name(attr string) string {
	return cond.Name(attr)
}
