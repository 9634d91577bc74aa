package dynamap

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamap/dynamap/internal/cond"
	"github.com/dynamap/dynamap/internal/pager"
)

// maxSegments is DynamoDB's limit on TotalSegments.
const maxSegments = 1000000

// Query returns the items whose key matches keyCond, in DynamoDB's order
// (ascending range key; descending with Reverse). keyCond needs an eq on the
// hash key of the table (or of the index given with Index) and may hold one
// condition on its range key: eq, lt, lte, gt, gte, beginswith or between.
// Non-key conditions go in Where: as DynamoDB refuses a filter on a key
// attribute of the table or index queried, such a Where condition is a
// *FilterError (ErrInvalidFilter). A global index query may filter on the
// table's keys, a local index query on the table's range key. keyCond is
// copied, its values converted, when Query is called.
//
// Query does no I/O: the key schema is learnt, the conditions compiled and
// the pages requested when the ResultSet is iterated or counted, and errors
// (*FilterError wrapping ErrQuery, ErrInvalidFilter or ErrUnknownFilterType,
// a *ValueError for a bad Attributes path, ErrInvalidCursor) surface there,
// before any Query request.
func (t *Table) Query(keyCond Filter, opts ...QueryOption) *ResultSet {
	return t.read(true, keyCond, applyOptions(&readConfig{}, opts, QueryOption.applyQuery))
}

// Scan returns every item of the table (or of the index given with Index)
// that matches filter and the Where conditions, in no particular order.
// filter may be nil. Segment reads one segment of a parallel scan; Parallel
// reads n segments at once. Like Query, Scan does no I/O until iterated.
// Scan filters may name key attributes. filter is copied, its values
// converted, when Scan is called.
func (t *Table) Scan(filter Filter, opts ...ScanOption) *ResultSet {
	return t.read(false, filter, applyOptions(&readConfig{}, opts, ScanOption.applyScan))
}

// read returns the ResultSet of a Query (query: cond is the key condition)
// or a Scan (cond is the filter), planned by readPlan when it is iterated.
// cond is copied, its values converted, now.
func (t *Table) read(query bool, cnd Filter, cfg *readConfig) *ResultSet {
	cnd = cond.FreezeFilter(cnd)
	return newResultSet(t, cfg.limit, cfg.startFrom, cfg.attrs, func(ctx context.Context) (*plan, error) {
		return t.readPlan(ctx, query, cnd, cfg)
	})
}

// readTarget resolves the table or index a read addresses: its key fields,
// the resume-key attributes and a description for errors.
func (t *Table) readTarget(s *tableSchema, cfg *readConfig) (keys []KeyField, resume map[string]keySpec, what string, err error) {
	if cfg.limit < 0 {
		return nil, nil, "", fmt.Errorf("%w: Limit(%d) is negative", ErrQuery, cfg.limit)
	}
	if cfg.pageSize < 0 {
		return nil, nil, "", fmt.Errorf("%w: PageSize(%d) is negative", ErrQuery, cfg.pageSize)
	}

	if cfg.index == "" {
		return s.keys, resumeAttrs(s.keys), fmt.Sprintf("table %q", t.name), nil
	}
	ix, ok := s.index(cfg.index)
	if !ok {
		return nil, nil, "", fmt.Errorf("%w: table %q has no index %q", ErrQuery, t.name, cfg.index)
	}
	if cfg.consistent && ix.Global {
		return nil, nil, "", fmt.Errorf("%w: global index %q does not support consistent reads", ErrQuery, ix.Name)
	}
	return ix.Parts, resumeAttrs(s.keys, ix.Parts), fmt.Sprintf("index %q of table %q", ix.Name, t.name), nil
}

// exprs are the compiled expressions of a read: with the projection for item
// requests, without it for Select=COUNT requests.
type exprs struct {
	items, count expression.Expression
}

// buildExprs compiles a read's expressions. With Attributes, the projection
// also fetches the table's key attributes (kept in the items) and the other
// resume-key attributes (returned in strip: removed from the items before
// they are yielded). Both go through cond.BuildExpr: over DynamoDB's limits, a
// key condition, filter or projection is a *FilterError.
func buildExprs(s *tableSchema, key *expression.KeyConditionBuilder, filter *expression.ConditionBuilder, attrs []string, resume map[string]keySpec) (exprs, []string, error) {
	var out exprs
	base := expression.NewBuilder()
	if key != nil {
		base = base.WithKeyCondition(*key)
	}
	if filter != nil {
		base = base.WithFilter(*filter)
	}
	var err error
	if key != nil || filter != nil {
		if out.count, err = cond.BuildExpr(base); err != nil {
			return out, nil, err
		}
	}
	if len(attrs) == 0 {
		out.items = out.count
		return out, nil, nil
	}
	proj, strip, err := readProjection(s, attrs, slices.Sorted(maps.Keys(resume)))
	if err != nil {
		return out, nil, err
	}
	if out.items, err = cond.BuildExpr(base.WithProjection(proj)); err != nil {
		return out, nil, err
	}
	return out, strip, nil
}

// readPlan plans a Query (query: cond is its key condition) or a Scan
// (cond is its filter, ANDed with Where). They differ in what
// DynamoDB is asked: a Query's key condition, its filters refused on key
// attributes, its cursor checked against the key condition, and its
// request (Reverse); a Scan's segments and its request.
func (t *Table) readPlan(ctx context.Context, query bool, cnd Filter, cfg *readConfig) (*plan, error) {
	if cfg.prefetch < 0 {
		return nil, fmt.Errorf("%w: Prefetch(%d) is negative", ErrQuery, cfg.prefetch)
	}
	if err := cfg.rate.check(); err != nil {
		return nil, err
	}
	total, segs := 0, []int{0}
	if !query {
		var err error
		if total, segs, err = scanSegments(cfg); err != nil {
			return nil, err
		}
	}
	s, err := t.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	keys, resume, what, err := t.readTarget(s, cfg)
	if err != nil {
		return nil, err
	}
	var kc *expression.KeyConditionBuilder
	conds := cfg.where
	if query {
		k, err := buildKeyCondition(cnd, keys, what, t.codec())
		if err != nil {
			return nil, err
		}
		kc = &k
	} else {
		conds = append([]Condition{cnd}, cfg.where...)
	}
	var filter *expression.ConditionBuilder
	if cb, ok, err := buildCondition(conds, keyAttrNames(s, t.version), t.codec()); err != nil {
		return nil, err
	} else if ok {
		filter = &cb
	}
	ex, strip, err := buildExprs(s, kc, filter, cfg.attrs, resume)
	if err != nil {
		return nil, err
	}
	if query {
		if err := filterKeyAttrs(ex.count, keys, what); err != nil {
			return nil, err
		}
	}
	p := &plan{
		PageSize: cfg.pageSize,
		Index:    cfg.index,
		Total:    total,
		KeyAttrs: slices.Sorted(maps.Keys(resume)),
		Strip:    strip,
		Partial:  projected(s, cfg),
		Filtered: filter != nil,
		Prefetch: cfg.prefetch, // the pager caps it at pager.MaxPrefetch
	}
	for _, g := range segs {
		p.Segs = append(p.Segs, segState{Seg: g})
	}
	if cfg.startFrom != "" {
		if p.Segs, err = pager.DecodeCursor(cfg.startFrom, t.name, cfg.index, total, segs, resume); err != nil {
			return nil, err
		}
		if query {
			for _, sg := range p.Segs {
				if reason := keyConditionExcludes(cnd, sg.Key, cfg.reverse, t.codec()); reason != "" {
					return nil, fmt.Errorf("%w: %s", ErrInvalidCursor, reason)
				}
			}
		}
	}
	var index *string
	if cfg.index != "" {
		index = &cfg.index
	}
	var consistent *bool
	if cfg.consistent {
		consistent = ptr(true)
	}
	p.Fetch = func(ctx context.Context, seg int, start map[string]types.AttributeValue, limit int32, count bool) (page, error) {
		e, sel := ex.items, types.Select("")
		if count {
			e, sel = ex.count, types.SelectCount
		}
		var limitP *int32
		if limit > 0 {
			limitP = &limit
		}
		if query {
			in := &dynamodb.QueryInput{
				TableName: &t.name, IndexName: index, Select: sel, ConsistentRead: consistent, Limit: limitP,
				ExclusiveStartKey: start, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
				KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(), ProjectionExpression: e.Projection(),
				ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			}
			if cfg.reverse {
				in.ScanIndexForward = ptr(false)
			}
			out, err := t.c.API().Query(ctx, in, cfg.sdk...)
			if err != nil {
				return page{}, errorf("dynamap: query %s: %w", t.name, wrapErr(err))
			}
			return readPage(out.Items, out.LastEvaluatedKey, out.Count, out.ScannedCount, out.ConsumedCapacity), nil
		}
		in := &dynamodb.ScanInput{
			TableName: &t.name, IndexName: index, Select: sel, ConsistentRead: consistent, Limit: limitP,
			ExclusiveStartKey: start, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			FilterExpression: e.Filter(), ProjectionExpression: e.Projection(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		}
		if total > 0 {
			in.Segment, in.TotalSegments = ptr(int32(seg)), ptr(int32(total))
		}
		out, err := t.c.API().Scan(ctx, in, cfg.sdk...)
		if err != nil {
			return page{}, errorf("dynamap: scan %s: %w", t.name, wrapErr(err))
		}
		return readPage(out.Items, out.LastEvaluatedKey, out.Count, out.ScannedCount, out.ConsumedCapacity), nil
	}
	p.Fetch = cfg.rate.pacedFetch(p.Fetch, cfg.consistent)
	return p, nil
}

// readPage is the page of a Query or Scan answer.
func readPage(items []map[string]types.AttributeValue, lastKey map[string]types.AttributeValue, count, scanned int32, c *types.ConsumedCapacity) page {
	return page{
		Items:    items,
		LastKey:  lastKey,
		More:     len(lastKey) > 0,
		Count:    int64(count),
		Scanned:  int64(scanned),
		Capacity: capacityUnits(c),
	}
}

// filterKeyAttrs refuses a Query filter that names a key attribute of what
// is queried (keys: the table's, or the index's), as DynamoDB does ("Filter
// Expression can only contain non-primary key attributes"). Only the
// queried key schema counts: a global index query may filter on the
// table's keys, a local index query on the table's range key. Every name
// at the top of a path in the compiled filter is checked, so raw
// expression.ConditionBuilder filters and paths into a key attribute are
// refused too.
func filterKeyAttrs(e expression.Expression, keys []KeyField, what string) error {
	f := e.Filter()
	if f == nil {
		return nil
	}
	s, names := *f, e.Names()
	for i := 0; i < len(s); i++ {
		if s[i] != '#' {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
		top := i == 0 || s[i-1] != '.'
		name, ok := names[s[i:j]]
		i = j - 1
		if !top || !ok {
			continue
		}
		for _, k := range keys {
			if k.Name == name {
				return &FilterError{
					Reason: fmt.Sprintf("the filter names %q, a key attribute of %s; DynamoDB takes key attributes of the queried table or index only in the key condition: put that condition in Query's key condition", name, what),
					Err:    ErrInvalidFilter,
				}
			}
		}
	}
	return nil
}

// scanSegments returns TotalSegments (0: unsegmented) and the segments this
// scan reads.
func scanSegments(cfg *readConfig) (int, []int, error) {
	switch {
	case cfg.segmentSet && cfg.parallel > 1:
		return 0, nil, fmt.Errorf("%w: Segment and Parallel cannot be combined", ErrQuery)
	case cfg.segmentSet:
		if cfg.totalSegments < 1 || cfg.totalSegments > maxSegments || cfg.segment < 0 || cfg.segment >= cfg.totalSegments {
			return 0, nil, fmt.Errorf("%w: Segment(%d, %d) wants 0 <= i < n <= %d", ErrQuery, cfg.segment, cfg.totalSegments, maxSegments)
		}
		return cfg.totalSegments, []int{cfg.segment}, nil
	case cfg.parallel > maxSegments:
		return 0, nil, fmt.Errorf("%w: Parallel(%d) exceeds %d segments", ErrQuery, cfg.parallel, maxSegments)
	case cfg.parallel > 1:
		segs := make([]int, cfg.parallel)
		for i := range segs {
			segs[i] = i
		}
		return cfg.parallel, segs, nil
	case cfg.parallel < 0:
		return 0, nil, fmt.Errorf("%w: Parallel(%d) is negative", ErrQuery, cfg.parallel)
	}
	return 0, []int{0}, nil
}

func capacityUnits(c *types.ConsumedCapacity) float64 {
	if c == nil || c.CapacityUnits == nil {
		return 0
	}
	return *c.CapacityUnits
}

// projected reports whether a read returns partial items: those of an
// Attributes projection, or of an index that does not project every
// attribute.
func projected(s *tableSchema, cfg *readConfig) bool {
	if len(cfg.attrs) > 0 {
		return true
	}
	if cfg.index != "" {
		ix, ok := s.index(cfg.index)
		return !ok || ix.Projection != ProjectAll
	}
	return false
}
