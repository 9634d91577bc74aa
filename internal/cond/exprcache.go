package cond

import (
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// An UpdateShape is an update expression (SET and REMOVE actions) with its
// condition (equalities and attribute_not_exists, ANDed), recorded as a list
// of steps so that it can be built by the expression package, and the built
// text reused for every later update of the same shape: only the values
// differ from one item to the next, and they always go through
// ExpressionAttributeValues. Building with the expression package costs
// about 50 allocations; reusing its text costs a values map.
type UpdateShape struct {
	steps []shapeStep
	nvals int // steps with a value
}

type shapeKind byte

const (
	stepSet    shapeKind = 's' // SET name = value
	stepRemove shapeKind = 'r' // REMOVE name
	stepEqual  shapeKind = '=' // condition: name = value
	stepAbsent shapeKind = '!' // condition: attribute_not_exists(name)
)

type shapeStep struct {
	kind shapeKind
	name string               // a top-level attribute name, taken literally (ExprName)
	path Path                 // for a condition below name: the path (of map keys) from name
	av   types.AttributeValue // the value of stepSet and stepEqual
	val  int                  // the value's index among the shape's values
}

// NewUpdateShape returns a shape with room for n steps.
func NewUpdateShape(n int) UpdateShape {
	return UpdateShape{steps: make([]shapeStep, 0, n)}
}

func (u *UpdateShape) add(kind shapeKind, name string, av types.AttributeValue) {
	st := shapeStep{kind: kind, name: name, av: av, val: -1}
	if av != nil {
		st.val = u.nvals
		u.nvals++
	}
	u.steps = append(u.steps, st)
}

// Set adds the action SET name = av.
func (u *UpdateShape) Set(name string, av types.AttributeValue) { u.add(stepSet, name, av) }

// Remove adds the action REMOVE name.
func (u *UpdateShape) Remove(name string) { u.add(stepRemove, name, nil) }

// Equal adds the condition name = av.
func (u *UpdateShape) Equal(name string, av types.AttributeValue) { u.add(stepEqual, name, av) }

// Absent adds the condition attribute_not_exists(name).
func (u *UpdateShape) Absent(name string) { u.add(stepAbsent, name, nil) }

// Cond adds the condition name = want (Absent when want is nil) on the
// value at path below name (a path of map keys from name, see TermName)
// when path is not nil.
func (u *UpdateShape) Cond(name string, path Path, want types.AttributeValue) {
	kind := stepEqual
	if want == nil {
		kind = stepAbsent
	}
	u.add(kind, name, want)
	u.steps[len(u.steps)-1].path = path
}

// TermName returns the expression name of the top-level attribute name
// (taken literally, see ExprName), or of the value at path below it when
// path is not nil: path's first step stands for name, its other steps are
// map keys, each taken literally.
func TermName(name string, path Path) expression.NameBuilder {
	nb := ExprName(name)
	for _, st := range path[min(1, len(path)):] {
		nb = nb.AppendName(ExprName(st.Name))
	}
	return nb
}

// key identifies the shape: the steps, without the values.
func (u *UpdateShape) key() string { return string(u.appendKey(nil)) }

// appendKey appends the shape's key (see key) to b.
func (u *UpdateShape) appendKey(b []byte) []byte {
	for _, st := range u.steps {
		b = append(b, byte(st.kind))
		b = strconv.AppendInt(b, int64(len(st.name)), 10)
		b = append(b, ':')
		b = append(b, st.name...)
		if st.path != nil {
			p := st.path.String()
			b = append(b, '/')
			b = strconv.AppendInt(b, int64(len(p)), 10)
			b = append(b, ':')
			b = append(b, p...)
		}
	}
	return b
}

// render builds the expression with value(i) standing for value i, or with
// the steps' own values when value is nil.
func (u *UpdateShape) render(value func(i int) expression.OperandBuilder) (expression.Expression, error) {
	if value == nil {
		value = func(i int) expression.OperandBuilder {
			for _, st := range u.steps {
				if st.val == i {
					return expression.Value(st.av)
				}
			}
			return expression.Value(nil)
		}
	}
	var upd expression.UpdateBuilder
	hasUpd := false
	var conds []expression.ConditionBuilder
	for _, st := range u.steps {
		name := TermName(st.name, st.path)
		switch st.kind {
		case stepSet:
			upd, hasUpd = upd.Set(name, value(st.val)), true
		case stepRemove:
			upd, hasUpd = upd.Remove(name), true
		case stepEqual:
			conds = append(conds, name.Equal(value(st.val)))
		case stepAbsent:
			conds = append(conds, expression.AttributeNotExists(name))
		}
	}
	b := expression.NewBuilder()
	if hasUpd {
		b = b.WithUpdate(upd)
	}
	if c, ok, _ := joinConditions(conds, false); ok {
		b = b.WithCondition(c)
	}
	expr, err := b.Build()
	if err == nil {
		UnaliasNames(expr.Names())
	}
	return expr, err
}

// BuiltUpdate is what an UpdateItem input needs of an UpdateShape.
type BuiltUpdate struct {
	Update, Condition *string
	Names             map[string]string // shared between calls of one shape: read only
	Values            map[string]types.AttributeValue
}

// shapeTemplate is a built shape with its value placeholders by value index.
type shapeTemplate struct {
	update, condition *string
	names             map[string]string
	slots             []string // slots[i] is the placeholder of value i
}

// maxShapes bounds the template cache; shapes beyond it are built each time
// (an application whose attribute names are data, not code, has no end of
// shapes).
const maxShapes = 4096

// shapes is the template cache: key() → template. A map under a read
// lock rather than a sync.Map, so that a lookup can index it with the key
// built in a buffer on the stack (m[string(b)] does not allocate).
var shapes struct {
	sync.RWMutex
	m map[string]*shapeTemplate
}

// cachedShape returns the template of the shape whose key is k.
func cachedShape(k []byte) (*shapeTemplate, bool) {
	shapes.RLock()
	t, ok := shapes.m[string(k)]
	shapes.RUnlock()
	return t, ok
}

// Build returns the shape's expression with its values: from the template
// of its shape when there is one, else built (and remembered) with the
// expression package.
func (u *UpdateShape) Build() (BuiltUpdate, error) {
	var buf [256]byte
	key := u.appendKey(buf[:0])
	if t, ok := cachedShape(key); ok {
		return t.with(u), nil
	}
	shapes.RLock()
	full := len(shapes.m) >= maxShapes
	shapes.RUnlock()
	if !full {
		if t, ok := u.template(); ok {
			shapes.Lock()
			if shapes.m == nil {
				shapes.m = make(map[string]*shapeTemplate)
			}
			if have, dup := shapes.m[string(key)]; dup {
				t = have
			} else if len(shapes.m) < maxShapes {
				shapes.m[string(key)] = t
			}
			shapes.Unlock()
			return t.with(u), nil
		}
	}
	expr, err := u.render(nil)
	if err != nil {
		return BuiltUpdate{}, err
	}
	return BuiltUpdate{Update: expr.Update(), Condition: expr.Condition(), Names: expr.Names(), Values: expr.Values()}, nil
}

// template builds the shape with a distinct marker number for each value and
// reads back which placeholder the expression package gave each one.
func (u *UpdateShape) template() (*shapeTemplate, bool) {
	expr, err := u.render(func(i int) expression.OperandBuilder {
		return expression.Value(&types.AttributeValueMemberN{Value: strconv.Itoa(i)})
	})
	if err != nil {
		return nil, false
	}
	t := &shapeTemplate{update: expr.Update(), condition: expr.Condition(), names: expr.Names(), slots: make([]string, u.nvals)}
	if len(expr.Values()) != u.nvals {
		return nil, false
	}
	for ph, av := range expr.Values() {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			return nil, false
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil || i < 0 || i >= len(t.slots) || t.slots[i] != "" {
			return nil, false
		}
		t.slots[i] = ph
	}
	return t, true
}

func (t *shapeTemplate) with(u *UpdateShape) BuiltUpdate {
	b := BuiltUpdate{Update: t.update, Condition: t.condition, Names: t.names}
	if u.nvals > 0 {
		b.Values = make(map[string]types.AttributeValue, u.nvals)
		for _, st := range u.steps {
			if st.val >= 0 {
				b.Values[t.slots[st.val]] = st.av
			}
		}
	}
	return b
}
