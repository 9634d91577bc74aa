package dynamap

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

func avS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func avN(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

func condsOf(ch itemChanges) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{}
	for _, c := range ch.condTerms() {
		m[c.name] = c.want
	}
	return m
}

func TestDiffItemsByValue(t *testing.T) {
	t.Parallel()
	a := trackedAttrs{hash: "year", rng: "title", updated: "updated"}
	before := map[string]types.AttributeValue{
		"year": avN("1994"), "title": avS("Heat"),
		"rating":  avN("8.0"),
		"same":    avS("x"),
		"gone":    avS("g"),
		"actors":  &types.AttributeValueMemberSS{Value: []string{"Pacino", "De Niro"}},
		"info":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": avN("1"), "b": &types.AttributeValueMemberL{Value: []types.AttributeValue{avS("p")}}}},
		"nested":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": avN("1")}},
		"updated": avS("2020-01-01T00:00:00Z"),
	}
	after := map[string]types.AttributeValue{
		"year": avN("1994"), "title": avS("Heat"),
		"rating": avN("8.10"), // changed
		"same":   avS("x"),
		// gone: removed
		"actors": &types.AttributeValueMemberSS{Value: []string{"De Niro", "Pacino"}}, // same set, other order
		"info":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": &types.AttributeValueMemberL{Value: []types.AttributeValue{avS("p")}}, "a": avN("1.0")}},
		"nested": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": avN("2")}}, // nested change
		"added":  avS("new"),
		// updated differs but is never compared
		"updated": avS("2030-01-01T00:00:00Z"),
	}
	ch := a.diffItems(before, after)
	assert.Equal(t, []string{"added", "nested", "rating"}, ch.set)
	assert.Equal(t, []string{"gone"}, ch.remove)
	assert.Equal(t, map[string]types.AttributeValue{
		"added":  nil, // must still be absent
		"nested": before["nested"],
		"rating": avN("8.0"),
		"gone":   avS("g"),
	}, condsOf(ch))
	names := make([]string, len(ch.condTerms()))
	for i, c := range ch.condTerms() {
		names[i] = c.name
	}
	assert.IsIncreasing(t, names, "conditions in a stable order")
}

func TestDiffItemsSetChange(t *testing.T) {
	t.Parallel()
	a := trackedAttrs{hash: "id"}
	before := map[string]types.AttributeValue{"id": avS("a"), "tags": &types.AttributeValueMemberNS{Value: []string{"1", "2"}}}
	after := map[string]types.AttributeValue{"id": avS("a"), "tags": &types.AttributeValueMemberNS{Value: []string{"2", "1", "3"}}}
	ch := a.diffItems(before, after)
	assert.Equal(t, []string{"tags"}, ch.set)
	assert.Empty(t, ch.remove)

	after["tags"] = &types.AttributeValueMemberNS{Value: []string{"2.0", "1"}}
	ch = a.diffItems(before, after)
	assert.True(t, ch.empty(), "the same numbers in another order and form are no change")
	assert.Empty(t, ch.condTerms())
}

func TestDiffItemsVersionConditions(t *testing.T) {
	t.Parallel()
	a := trackedAttrs{hash: "id", version: "v", updated: "u"}
	before := map[string]types.AttributeValue{"id": avS("a"), "v": avN("3"), "x": avS("1"), "u": avS("t1")}
	after := map[string]types.AttributeValue{"id": avS("a"), "v": avN("7"), "x": avS("2"), "u": avS("t2")}
	ch := a.diffItems(before, after)
	assert.Equal(t, []string{"x"}, ch.set, "version and updated are never part of the difference")
	require.Len(t, ch.condTerms(), 1)
	assert.Equal(t, condTerm{name: "v", want: avN("3")}, ch.condTerms()[0], "with a version, only the version is conditioned on")

	delete(before, "v")
	ch = a.diffItems(before, after)
	assert.Equal(t, []condTerm{{name: "v"}}, ch.condTerms(), "no stored version: it must still be absent")

	after["x"] = avS("1")
	ch = a.diffItems(before, after)
	assert.True(t, ch.empty(), "a changed version or timestamp alone is no change")
	assert.Nil(t, ch.condTerms())
}

func TestChangedKey(t *testing.T) {
	t.Parallel()
	a := trackedAttrs{hash: "year", rng: "title"}
	before := map[string]types.AttributeValue{"year": avN("1994"), "title": avS("Heat")}
	_, changed := a.changedKey(before, map[string]types.AttributeValue{"year": avN("1994.0"), "title": avS("Heat")})
	assert.False(t, changed, "numbers compared by value")
	name, changed := a.changedKey(before, map[string]types.AttributeValue{"year": avN("1994"), "title": avS("Heat 2")})
	assert.True(t, changed)
	assert.Equal(t, "title", name)
	name, changed = a.changedKey(before, map[string]types.AttributeValue{"title": avS("Heat")})
	assert.True(t, changed, "a key that went is a change")
	assert.Equal(t, "year", name)
}

// updateRecorder is a conn.API in front of DynamoDB Local that records the
// UpdateItem inputs it forwards; beforeUpdate, when set, runs before the
// next UpdateItem is forwarded (then is cleared): a concurrent writer
// injected deterministically between a read and a write.
type updateRecorder struct {
	conn.API
	mu           sync.Mutex
	updates      []*dynamodb.UpdateItemInput
	beforeUpdate func()
}

func (r *updateRecorder) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	r.mu.Lock()
	r.updates = append(r.updates, in)
	hook := r.beforeUpdate
	r.beforeUpdate = nil
	r.mu.Unlock()
	if hook != nil {
		hook()
	}
	return r.API.UpdateItem(ctx, in, opts...)
}

func (r *updateRecorder) recorded() []*dynamodb.UpdateItemInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.updates)
}

// tmNote is a model without a version: Modify conditions on old values.
type tmNote struct {
	ID      string         `dynamodbav:"id" dynamap:"hash"`
	Text    string         `dynamodbav:"text"`
	Count   int            `dynamodbav:"count"`
	Tags    StringSet      `dynamodbav:"tags,omitempty"`
	Meta    map[string]any `dynamodbav:"meta,omitempty"`
	Note    string         `dynamodbav:"note,omitempty"`
	Updated time.Time      `dynamodbav:"updated" dynamap:"updated"`
}

// typedOn creates a table for T reached through a recorder and a request
// counter (deleted when the test ends).
func typedOn[T any](t *testing.T) (*TypedTable[T], *updateRecorder, *requestCounter) {
	t.Helper()
	rec := &updateRecorder{API: testConn(t).Raw()}
	rc := &requestCounter{}
	c := conn.FromClient(rec, rc.option)
	ctx := context.Background()
	tt, err := CreateTableOf[T](ctx, c, testTableName(t))
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := tt.Table().DeleteTable(context.Background()); err != nil {
			t.Errorf("deleting table: %v", err)
		}
	})
	require.NoError(t, tt.Table().WaitActive(ctx))
	return tt, rec, rc
}

func updateText(in *dynamodb.UpdateItemInput) (upd, cnd string) {
	return exprString(in.UpdateExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues),
		exprString(in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
}

func TestModifyOneFieldSendsOneUpdateNamingIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tt, rec, rc := typedOn[tmNote](t)
	n := tmNote{ID: "a", Text: "hello", Count: 1, Tags: StringSet{"x", "y"}, Meta: map[string]any{"k": "v"}}
	require.NoError(t, tt.Put(ctx, &n))

	gets, updates := rc.count("GetItem"), rc.count("UpdateItem")
	got, err := tt.Modify(ctx, Key{"id": "a"}, func(n *tmNote) error { n.Count = 2; return nil })
	require.NoError(t, err)
	assert.Equal(t, 1, rc.count("GetItem")-gets)
	require.Equal(t, 1, rc.count("UpdateItem")-updates, "exactly one UpdateItem")
	ins := rec.recorded()
	upd, cnd := updateText(ins[len(ins)-1])
	assert.Contains(t, upd, "count = 2")
	assert.Contains(t, upd, "updated = ")
	for _, other := range []string{"text", "tags", "meta", "id"} {
		assert.NotContains(t, upd, other, "only the changed attribute (and the updated timestamp) is written")
		assert.NotContains(t, cnd, other)
	}
	assert.Equal(t, "count = 1", cnd, "conditioned on the old value only")
	assert.Equal(t, 2, got.Count)
	assert.False(t, got.Updated.IsZero())

	stored, err := tt.Get(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, 2, stored.Count)
	assert.Equal(t, "hello", stored.Text)
	assert.True(t, stored.Updated.Equal(got.Updated), "the returned updated is what was stored")
}

func TestModifyNestedAndSetChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tt, rec, rc := typedOn[tmNote](t)
	n := tmNote{ID: "a", Text: "t", Tags: StringSet{"x", "y"}, Meta: map[string]any{"k": "v", "deep": map[string]any{"n": 1}}, Note: "gone soon"}
	require.NoError(t, tt.Put(ctx, &n))

	// The same set in another order, the same nested map: no change, no write.
	updates := rc.count("UpdateItem")
	_, err := tt.Modify(ctx, Key{"id": "a"}, func(n *tmNote) error {
		n.Tags = StringSet{"y", "x"}
		n.Meta = map[string]any{"deep": map[string]any{"n": 1.0}, "k": "v"}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, updates, rc.count("UpdateItem"), "equal by value: nothing sent")

	_, err = tt.Modify(ctx, Key{"id": "a"}, func(n *tmNote) error {
		n.Tags = append(n.Tags, "z")
		n.Meta["deep"].(map[string]any)["n"] = 2
		n.Note = "" // omitempty: the attribute goes
		return nil
	})
	require.NoError(t, err)
	ins := rec.recorded()
	upd, cnd := updateText(ins[len(ins)-1])
	assert.Contains(t, upd, "meta = ")
	assert.Contains(t, upd, "tags = ")
	assert.Contains(t, upd, "REMOVE note")
	assert.NotContains(t, upd, "text")
	assert.Contains(t, cnd, `note = "gone soon"`)
	assert.Contains(t, cnd, "meta = ")
	assert.Contains(t, cnd, "tags = ")

	stored, err := tt.Get(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.ElementsMatch(t, StringSet{"x", "y", "z"}, stored.Tags)
	assert.Equal(t, Number("2"), stored.Meta["deep"].(map[string]any)["n"])
	assert.Equal(t, "", stored.Note)
}

func TestModifyConflictAndRetryConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tt, rec, _ := typedOn[tmNote](t)
	require.NoError(t, tt.Put(ctx, &tmNote{ID: "a", Text: "one", Count: 1}))
	other := func() {
		// Another writer changes the attribute between Modify's read and its write.
		_, err := tt.Table().UpdateItem(ctx, Key{"id": "a"}, SetValue("count", 10))
		require.NoError(t, err)
	}

	rec.mu.Lock()
	rec.beforeUpdate = other
	rec.mu.Unlock()
	calls := 0
	_, err := tt.Modify(ctx, Key{"id": "a"}, func(n *tmNote) error { calls++; n.Count++; return nil })
	var cfe *ConditionFailedError
	require.ErrorAs(t, err, &cfe, "no retry: the conflict is returned")
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	assert.Equal(t, 1, calls)
	stored, err := tt.Get(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, 10, stored.Count, "the other writer's value is kept")

	rec.mu.Lock()
	rec.beforeUpdate = func() { _, err := tt.Table().UpdateItem(ctx, Key{"id": "a"}, Add("count", 5)); require.NoError(t, err) }
	rec.mu.Unlock()
	calls = 0
	got, err := tt.Modify(ctx, Key{"id": "a"}, func(n *tmNote) error { calls++; n.Count++; return nil }, RetryConflicts(2))
	require.NoError(t, err)
	assert.Equal(t, 2, calls, "re-read and re-applied once")
	assert.Equal(t, 16, got.Count, "10 + 5 from the other writer, + 1 re-applied")
	stored, err = tt.Get(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, 16, stored.Count)

	// A concurrent change to another attribute is no conflict, and is kept.
	rec.mu.Lock()
	rec.beforeUpdate = func() {
		_, err := tt.Table().UpdateItem(ctx, Key{"id": "a"}, SetValue("text", "two"))
		require.NoError(t, err)
	}
	rec.mu.Unlock()
	got, err = tt.Modify(ctx, Key{"id": "a"}, func(n *tmNote) error { n.Count = 0; return nil })
	require.NoError(t, err)
	stored, err = tt.Get(ctx, Key{"id": "a"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, "two", stored.Text)
	assert.Equal(t, 0, stored.Count)
	assert.Equal(t, "one", got.Text, "Modify returns its own copy: the other writer's change came after its read")
}

func TestModifyRetryConflictsExhausted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tt, rec, rc := typedOn[typedMovie](t)
	m := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8, Studio: "W"}
	require.NoError(t, tt.Put(ctx, &m))
	// Every write is preceded by another writer bumping the version.
	var bump func()
	bump = func() {
		_, err := tt.Table().UpdateItem(ctx, Key{"year": 1995, "title": "Heat"}, SetValue("studio", "X"))
		require.NoError(t, err)
		rec.mu.Lock()
		rec.beforeUpdate = bump
		rec.mu.Unlock()
	}
	rec.mu.Lock()
	rec.beforeUpdate = bump
	rec.mu.Unlock()
	gets := rc.count("GetItem")
	calls := 0
	_, err := tt.Modify(ctx, Key{"year": 1995, "title": "Heat"}, func(m *typedMovie) error { calls++; m.Rating = 9; return nil }, RetryConflicts(2))
	rec.mu.Lock()
	rec.beforeUpdate = nil
	rec.mu.Unlock()
	var cfe *ConditionFailedError
	require.ErrorAs(t, err, &cfe)
	assert.Equal(t, 3, calls, "one attempt and two retries")
	assert.Equal(t, 3, rc.count("GetItem")-gets)
}

func TestModifyVersioned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tt, rec, _ := typedOn[typedMovie](t)
	m := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8, Studio: "W"}
	require.NoError(t, tt.Put(ctx, &m))
	require.Equal(t, int64(1), m.Version)
	key := Key{"year": 1995, "title": "Heat"}

	got, err := tt.Modify(ctx, key, func(m *typedMovie) error { m.Rating = 8.5; m.Version = 99; return nil })
	require.NoError(t, err)
	assert.Equal(t, int64(2), got.Version, "bumped from the version read; fn cannot set it")
	ins := rec.recorded()
	upd, cnd := updateText(ins[len(ins)-1])
	assert.Contains(t, upd, "rating = 8.5")
	assert.Contains(t, upd, "version = 2")
	assert.Equal(t, "version = 1", cnd, "conditioned on the version alone")
	assert.True(t, got.Updated.After(m.Updated) || got.Updated.Equal(m.Updated))
	assert.True(t, got.Created.Equal(m.Created), "created is kept")

	// An index key of the wrong kind is refused before any write.
	n := len(rec.recorded())
	_, err = tt.Modify(ctx, key, func(m *typedMovie) error { m.Genre = ""; return nil })
	var ke *KeyError
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, n, len(rec.recorded()))
}

func TestModifyKeyChangeIsKeyErrorNoWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tt, _, rc := typedOn[typedMovie](t)
	m := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Studio: "W"}
	require.NoError(t, tt.Put(ctx, &m))
	writes := rc.count("UpdateItem") + rc.count("PutItem")
	_, err := tt.Modify(ctx, Key{"year": 1995, "title": "Heat"}, func(m *typedMovie) error { m.Title = "Heat 2"; m.Rating = 1; return nil })
	var ke *KeyError
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, "title", ke.Attribute)
	assert.Equal(t, writes, rc.count("UpdateItem")+rc.count("PutItem"), "nothing written")
	_, err = tt.Get(ctx, Key{"year": 1995, "title": "Heat 2"}, Consistent())
	assert.ErrorIs(t, err, ErrItemNotFound)
}

func TestModifyUnchangedFnErrorNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tt, _, rc := typedOn[typedMovie](t)
	m := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8, Studio: "W"}
	require.NoError(t, tt.Put(ctx, &m))
	key := Key{"year": 1995, "title": "Heat"}

	before := rc.total()
	got, err := tt.Modify(ctx, key, func(m *typedMovie) error { m.Rating = 8.0; return nil })
	require.NoError(t, err)
	assert.Equal(t, 1, rc.total()-before, "the read only: an unchanged item sends no write")
	assert.Equal(t, int64(1), got.Version)

	boom := errors.New("boom")
	before = rc.total()
	_, err = tt.Modify(ctx, key, func(m *typedMovie) error { m.Rating = 1; return boom })
	assert.ErrorIs(t, err, boom)
	assert.True(t, strings.HasPrefix(err.Error(), "dynamap: "), err.Error())
	assert.Equal(t, 1, rc.total()-before, "fn failed: nothing written")

	called := false
	_, err = tt.Modify(ctx, Key{"year": 2000, "title": "Nope"}, func(m *typedMovie) error { called = true; return nil })
	assert.ErrorIs(t, err, ErrItemNotFound, "Modify never creates an item")
	assert.False(t, called)
}

func TestModifyDoesNotRecreateDeletedItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tt, rec, _ := typedOn[tmNote](t)
	require.NoError(t, tt.Put(ctx, &tmNote{ID: "a", Text: "x"}))
	rec.mu.Lock()
	rec.beforeUpdate = func() { require.NoError(t, tt.DeleteKey(ctx, Key{"id": "a"})) }
	rec.mu.Unlock()
	// Only an added attribute: its condition (absent) alone would hold on a missing item.
	_, err := tt.Modify(ctx, Key{"id": "a"}, func(n *tmNote) error { n.Note = "new"; return nil })
	assert.ErrorIs(t, err, ErrConditionalCheckFailed)
	_, err = tt.Get(ctx, Key{"id": "a"}, Consistent())
	assert.ErrorIs(t, err, ErrItemNotFound, "the deleted item was not recreated")
}

func TestSaveChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tt, rec, rc := typedOn[typedMovie](t)
	m := typedMovie{Year: 1995, Title: "Heat", Genre: "crime", Rating: 8, Studio: "W"}
	require.NoError(t, tt.Put(ctx, &m))
	before, err := tt.Get(ctx, Key{"year": 1995, "title": "Heat"}, Consistent())
	require.NoError(t, err)

	after := before
	after.Studio = "Warner"
	require.NoError(t, tt.SaveChanges(ctx, &before, &after))
	assert.Equal(t, int64(2), after.Version, "after holds the version stored")
	ins := rec.recorded()
	upd, cnd := updateText(ins[len(ins)-1])
	assert.Contains(t, upd, `studio = "Warner"`)
	assert.NotContains(t, upd, "rating")
	assert.Equal(t, "version = 1", cnd)
	stored, err := tt.Get(ctx, Key{"year": 1995, "title": "Heat"}, Consistent())
	require.NoError(t, err)
	assert.Equal(t, after.Version, stored.Version)
	assert.True(t, after.Updated.Equal(stored.Updated))

	// Unchanged: nothing sent.
	n := rc.total()
	same := stored
	require.NoError(t, tt.SaveChanges(ctx, &stored, &same))
	assert.Equal(t, n, rc.total())

	// A stale version fails: before is the copy read at version 1.
	stale := before
	stale.Rating = 1
	err = tt.SaveChanges(ctx, &before, &stale)
	var cfe *ConditionFailedError
	require.ErrorAs(t, err, &cfe)
	assert.Equal(t, int64(1), stale.Version, "unchanged on failure")

	// A key change is a *KeyError before any request.
	n = rc.total()
	moved := stored
	moved.Year = 1996
	var ke *KeyError
	require.ErrorAs(t, tt.SaveChanges(ctx, &stored, &moved), &ke)
	assert.Equal(t, n, rc.total())
}

func TestModifyOptionsCompile(t *testing.T) {
	decl := "type M struct {\n\tID string `dynamodbav:\"id\" dynamap:\"hash\"`\n}\n\ttt := dynamap.TableOf[M](c, \"m\")\n\tvar m M\n\t_ = m\n"
	fits := []string{
		decl + `_, _ = tt.Modify(ctx, nil, func(*M) error { return nil }, dynamap.RetryConflicts(2), dynamap.SDKOptions())`,
		decl + `_ = tt.SaveChanges(ctx, &m, &m, dynamap.SDKOptions())`,
		decl + `var p *M; _ = dynamap.TransactWrite(ctx, c, tt.TxPut(&m, dynamap.Overwrite()), tt.TxDelete(&m, dynamap.Expected(nil)), tt.TxSaveChanges(&m, &m)); _, _ = dynamap.TransactGet(ctx, c, tt.TxGet(nil, &p, dynamap.Attributes("a")), t.TxGet(nil))`,
	}
	for _, body := range fits {
		require.Empty(t, typeCheckUser(t, body), "%s should compile", body)
	}
	misapplied := map[string]string{
		decl + `_ = tt.SaveChanges(ctx, &m, &m, dynamap.RetryConflicts(1))`:                      "dynamap.SaveChangesOption (missing method applySaveChanges)",
		decl + `_, _ = tt.Modify(ctx, nil, func(*M) error { return nil }, dynamap.Consistent())`: "dynamap.ModifyOption (missing method applyModify)",
		decl + `_ = tt.TxPut(&m, dynamap.OldItem(nil))`:                                          "dynamap.TxPutOption (missing method applyTxPut)",
		decl + `var p *M; _ = tt.TxGet(nil, &p, dynamap.Consistent())`:                           "dynamap.TxGetOption (missing method applyTxGet)",
	}
	for body, want := range misapplied {
		errs := typeCheckUser(t, body)
		require.Len(t, errs, 1, "%s should not compile, for one reason", body)
		require.ErrorContains(t, errs[0], "does not implement "+want, body)
	}
}
