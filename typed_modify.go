package dynamap

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamap/dynamap/internal/codec"
)

// trackedAttrs names the attributes of a typed model that change tracking
// treats apart from the others: the key attributes (never changed), the
// version (checked and bumped, never compared) and the updated timestamp
// (written with every change, never compared nor conditioned on).
type trackedAttrs struct {
	keys    []string
	version string // "" when the model has no version field
	updated string // "" when the model has no updated field
}

// itemChanges is what an update of one item must send to turn before into
// after: the top-level attributes to SET (changed or added) and to REMOVE
// (gone), each sorted so that one change always makes one expression, and
// the conditions that make it safe.
type itemChanges struct {
	set    []string
	remove []string
	// conds are the conditions, by attribute: each must still hold its
	// value in before (want), or still be absent (want nil). With a
	// version, the version alone is conditioned on.
	conds []condTerm
}

// empty reports whether there is nothing to write.
func (c *itemChanges) empty() bool { return len(c.set) == 0 && len(c.remove) == 0 }

// changedKey returns the first key attribute (in the order of a.keys) whose
// value differs between before and after, compared by value.
func (a *trackedAttrs) changedKey(before, after map[string]types.AttributeValue) (string, bool) {
	for _, k := range a.keys {
		if !codec.Equal(before[k], after[k]) {
			return k, true
		}
	}
	return "", false
}

// diffItems compares two encoded versions of one item top-level attribute
// by top-level attribute, by value (codec.Equal: numbers as decimals, sets
// without regard to order, maps and lists element by element, so a change
// deep inside a map SETs that whole top-level attribute). Key attributes,
// the version and the updated timestamp are never part of the difference.
// The conditions are the old values of what changed or went (absent for
// what was added) or, when the model has a version, the version's old
// value (absent when before had none).
func (a *trackedAttrs) diffItems(before, after map[string]types.AttributeValue) itemChanges {
	var ch itemChanges
	for name, av := range after {
		if a.skip(name) {
			continue
		}
		if old, had := before[name]; !had || !codec.Equal(old, av) {
			ch.set = append(ch.set, name)
		}
	}
	for name := range before {
		if _, ok := after[name]; ok || a.skip(name) {
			continue
		}
		ch.remove = append(ch.remove, name)
	}
	slices.Sort(ch.set)
	slices.Sort(ch.remove)
	if ch.empty() {
		return ch
	}
	if a.version != "" {
		ch.conds = []condTerm{{name: a.version, want: before[a.version]}}
		return ch
	}
	ch.conds = make([]condTerm, 0, len(ch.set)+len(ch.remove))
	for _, name := range ch.set {
		ch.conds = append(ch.conds, condTerm{name: name, want: before[name]})
	}
	for _, name := range ch.remove {
		ch.conds = append(ch.conds, condTerm{name: name, want: before[name]})
	}
	slices.SortFunc(ch.conds, func(x, y condTerm) int {
		switch {
		case x.name < y.name:
			return -1
		case x.name > y.name:
			return 1
		}
		return 0
	})
	return ch
}

// skip reports whether name is left out of the comparison.
func (a *trackedAttrs) skip(name string) bool {
	return name == a.version || name == a.updated || slices.Contains(a.keys, name)
}
