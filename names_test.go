package dynamap

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamap/dynamap/internal/cond"
)

func TestParsePath(t *testing.T) {
	cases := []struct {
		in   string
		want cond.Path
	}{
		{"a", cond.Path{{Name: "a"}}},
		{"a.b", cond.Path{{Name: "a"}, {Name: "b"}}},
		{"tags[0]", cond.Path{{Name: "tags"}, {Index: 0, IsIndex: true}}},
		{"a.b[2][10].c", cond.Path{{Name: "a"}, {Name: "b"}, {Index: 2, IsIndex: true}, {Index: 10, IsIndex: true}, {Name: "c"}}},
		{"`user.id`", cond.Path{{Name: "user.id"}}},
		{"`a.b`.c", cond.Path{{Name: "a.b"}, {Name: "c"}}},
		{"m.`x.y`[1]", cond.Path{{Name: "m"}, {Name: "x.y"}, {Index: 1, IsIndex: true}}},
		{"`it``s`", cond.Path{{Name: "it`s"}}},
		{"a-b#c d", cond.Path{{Name: "a-b#c d"}}},
	}
	for _, c := range cases {
		got, err := cond.ParsePath(c.in)
		if err != nil {
			t.Errorf("cond.ParsePath(%q): %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("cond.ParsePath(%q) = %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("cond.ParsePath(%q) = %v, want %v", c.in, got, c.want)
				break
			}
		}
		// String is the inverse of cond.ParsePath.
		again, err := cond.ParsePath(got.String())
		if err != nil || again.String() != got.String() {
			t.Errorf("round trip of %q via %q: %v %v", c.in, got.String(), again, err)
		}
	}
	for _, bad := range []string{"", ".a", "a.", "a..b", "[0]", "a[", "a[x]", "a[-1]", "a[]", "a]", "`a", "``", "a`b`", "`a`b", "a[1]b", "`a[1]`"} {
		_, err := cond.ParsePath(bad)
		var ve *ValueError
		if !errors.As(err, &ve) {
			t.Errorf("cond.ParsePath(%q) = %v, want a *ValueError", bad, err)
		}
	}
}

func TestNameQuotes(t *testing.T) {
	for _, n := range []string{"user.id", "a`b", "plain", "x[1]y.z"} {
		p, err := cond.ParsePath(Name(n))
		if n == "x[1]y.z" {
			if err == nil {
				t.Errorf("Name(%q) parsed although expressions cannot name it", n)
			}
			continue
		}
		if err != nil || len(p) != 1 || p[0].Name != n {
			t.Errorf("cond.ParsePath(Name(%q)) = %v, %v", n, p, err)
		}
	}
}

func TestResolvePathKeysLiteral(t *testing.T) {
	isKey := func(s string) bool { return s == "user.id" }
	p, err := cond.ResolvePath("user.id", isKey)
	if err != nil || len(p) != 1 || p.Top() != "user.id" {
		t.Fatalf("key name: %v %v", p, err)
	}
	p, err = cond.ResolvePath("user.name", isKey)
	if err != nil || len(p) != 2 {
		t.Fatalf("non-key path: %v %v", p, err)
	}
}

func TestPathBuilder(t *testing.T) {
	p, err := cond.ParsePath("`a.b`.c[3].d")
	if err != nil {
		t.Fatal(err)
	}
	expr, err := expression.NewBuilder().WithProjection(expression.NamesList(p.Builder())).Build()
	if err != nil {
		t.Fatal(err)
	}
	got := *expr.Projection()
	names := expr.Names()
	// Rebuild the path from the placeholders to check every step.
	want := map[string]bool{"a.b": true, "c": true, "d": true}
	for _, v := range names {
		if !want[v] {
			t.Errorf("unexpected name %q in %v", v, names)
		}
		delete(want, v)
	}
	if len(want) != 0 {
		t.Errorf("names %v lack %v", names, want)
	}
	if want := "#0.#1[3].#2"; got != want {
		t.Errorf("projection %q, want %q", got, want)
	}
}

func TestPathWithCopies(t *testing.T) {
	inner := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"city": &types.AttributeValueMemberS{Value: "Oslo"}}}
	list := &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}}}
	item := map[string]types.AttributeValue{"address": inner, "tags": list}

	p, _ := cond.ParsePath("address.city")
	top, changed, err := p.With(item, &types.AttributeValueMemberS{Value: "Bergen"}, false)
	if err != nil || !changed {
		t.Fatal(err, changed)
	}
	if inner.Value["city"].(*types.AttributeValueMemberS).Value != "Oslo" {
		t.Fatal("with modified the item's map")
	}
	if v, _ := (cond.Path{{Name: "city"}}).Get(top.(*types.AttributeValueMemberM).Value); v.(*types.AttributeValueMemberS).Value != "Bergen" {
		t.Fatal("new value not set")
	}

	p, _ = cond.ParsePath("tags[5]")
	top, _, err = p.With(item, &types.AttributeValueMemberS{Value: "y"}, false)
	if err != nil || len(top.(*types.AttributeValueMemberL).Value) != 2 || len(list.Value) != 1 {
		t.Fatalf("append past the end: %v %v", top, err)
	}
	p, _ = cond.ParsePath("tags[0]")
	top, changed, err = p.With(item, nil, true)
	if err != nil || !changed || len(top.(*types.AttributeValueMemberL).Value) != 0 || len(list.Value) != 1 {
		t.Fatalf("remove element: %v %v %v", top, changed, err)
	}
	p, _ = cond.ParsePath("missing.a.b")
	top, _, err = p.With(item, &types.AttributeValueMemberN{Value: "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := (cond.Path{{Name: "x"}, {Name: "a"}, {Name: "b"}}).Get(map[string]types.AttributeValue{"x": top}); !ok || v.(*types.AttributeValueMemberN).Value != "1" {
		t.Fatalf("intermediate maps not created: %v", top)
	}
	p, _ = cond.ParsePath("tags.x")
	if _, _, err := p.With(item, &types.AttributeValueMemberN{Value: "1"}, false); err == nil {
		t.Fatal("stepping into a list by name must fail")
	}
	p, _ = cond.ParsePath("nope[0]")
	if _, changed, err := p.With(item, nil, true); err != nil || changed {
		t.Fatalf("removing below an absent attribute: %v %v", changed, err)
	}
}
