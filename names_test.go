package dynamap

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestParsePath(t *testing.T) {
	cases := []struct {
		in   string
		want attrPath
	}{
		{"a", attrPath{{name: "a"}}},
		{"a.b", attrPath{{name: "a"}, {name: "b"}}},
		{"tags[0]", attrPath{{name: "tags"}, {index: 0, isIndex: true}}},
		{"a.b[2][10].c", attrPath{{name: "a"}, {name: "b"}, {index: 2, isIndex: true}, {index: 10, isIndex: true}, {name: "c"}}},
		{"`user.id`", attrPath{{name: "user.id"}}},
		{"`a.b`.c", attrPath{{name: "a.b"}, {name: "c"}}},
		{"m.`x.y`[1]", attrPath{{name: "m"}, {name: "x.y"}, {index: 1, isIndex: true}}},
		{"`it``s`", attrPath{{name: "it`s"}}},
		{"a-b#c d", attrPath{{name: "a-b#c d"}}},
	}
	for _, c := range cases {
		got, err := parsePath(c.in)
		if err != nil {
			t.Errorf("parsePath(%q): %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("parsePath(%q) = %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("parsePath(%q) = %v, want %v", c.in, got, c.want)
				break
			}
		}
		// String is the inverse of parsePath.
		again, err := parsePath(got.String())
		if err != nil || again.String() != got.String() {
			t.Errorf("round trip of %q via %q: %v %v", c.in, got.String(), again, err)
		}
	}
	for _, bad := range []string{"", ".a", "a.", "a..b", "[0]", "a[", "a[x]", "a[-1]", "a[]", "a]", "`a", "``", "a`b`", "`a`b", "a[1]b", "`a[1]`"} {
		_, err := parsePath(bad)
		var ve *ValueError
		if !errors.As(err, &ve) {
			t.Errorf("parsePath(%q) = %v, want a *ValueError", bad, err)
		}
	}
}

func TestNameQuotes(t *testing.T) {
	for _, n := range []string{"user.id", "a`b", "plain", "x[1]y.z"} {
		p, err := parsePath(Name(n))
		if n == "x[1]y.z" {
			if err == nil {
				t.Errorf("Name(%q) parsed although expressions cannot name it", n)
			}
			continue
		}
		if err != nil || len(p) != 1 || p[0].name != n {
			t.Errorf("parsePath(Name(%q)) = %v, %v", n, p, err)
		}
	}
}

func TestResolvePathKeysLiteral(t *testing.T) {
	isKey := func(s string) bool { return s == "user.id" }
	p, err := resolvePath("user.id", isKey)
	if err != nil || len(p) != 1 || p.top() != "user.id" {
		t.Fatalf("key name: %v %v", p, err)
	}
	p, err = resolvePath("user.name", isKey)
	if err != nil || len(p) != 2 {
		t.Fatalf("non-key path: %v %v", p, err)
	}
}

func TestPathBuilder(t *testing.T) {
	p, err := parsePath("`a.b`.c[3].d")
	if err != nil {
		t.Fatal(err)
	}
	expr, err := expression.NewBuilder().WithProjection(expression.NamesList(p.builder())).Build()
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

	p, _ := parsePath("address.city")
	top, changed, err := p.with(item, &types.AttributeValueMemberS{Value: "Bergen"}, false)
	if err != nil || !changed {
		t.Fatal(err, changed)
	}
	if inner.Value["city"].(*types.AttributeValueMemberS).Value != "Oslo" {
		t.Fatal("with modified the item's map")
	}
	if v, _ := (attrPath{{name: "city"}}).get(top.(*types.AttributeValueMemberM).Value); v.(*types.AttributeValueMemberS).Value != "Bergen" {
		t.Fatal("new value not set")
	}

	p, _ = parsePath("tags[5]")
	top, _, err = p.with(item, &types.AttributeValueMemberS{Value: "y"}, false)
	if err != nil || len(top.(*types.AttributeValueMemberL).Value) != 2 || len(list.Value) != 1 {
		t.Fatalf("append past the end: %v %v", top, err)
	}
	p, _ = parsePath("tags[0]")
	top, changed, err = p.with(item, nil, true)
	if err != nil || !changed || len(top.(*types.AttributeValueMemberL).Value) != 0 || len(list.Value) != 1 {
		t.Fatalf("remove element: %v %v %v", top, changed, err)
	}
	p, _ = parsePath("missing.a.b")
	top, _, err = p.with(item, &types.AttributeValueMemberN{Value: "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := (attrPath{{name: "x"}, {name: "a"}, {name: "b"}}).get(map[string]types.AttributeValue{"x": top}); !ok || v.(*types.AttributeValueMemberN).Value != "1" {
		t.Fatalf("intermediate maps not created: %v", top)
	}
	p, _ = parsePath("tags.x")
	if _, _, err := p.with(item, &types.AttributeValueMemberN{Value: "1"}, false); err == nil {
		t.Fatal("stepping into a list by name must fail")
	}
	p, _ = parsePath("nope[0]")
	if _, changed, err := p.with(item, nil, true); err != nil || changed {
		t.Fatalf("removing below an absent attribute: %v %v", changed, err)
	}
}
