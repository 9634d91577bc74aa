package dynamap

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Options are typed by the calls they fit: an option passed to a call it does
// not fit (Reverse to Scan, Overwrite to DeleteItem) is a compile error, not a
// silent no-op. Every call applies its options the same way (applyOptions):
// in order, a nil option skipped.

// readConfig collects the options of GetItem, Query, Scan and BatchGet.
type readConfig struct {
	consistent    bool
	attrs         []string
	index         string
	reverse       bool
	limit         int
	pageSize      int32
	where         []Condition // ANDed
	startFrom     string
	segment       int
	totalSegments int
	segmentSet    bool
	parallel      int
	batchRetry    *retryPolicy // BatchGet's re-send budget; nil: defaultRetry
	// batchConcurrency is BatchGet's number of requests in flight (<= 1:
	// one at a time); batchAutoMax, when > 0, is AutoConcurrency's cap.
	batchConcurrency int
	batchAutoMax     int
	sdk              []func(*dynamodb.Options) // SDKOptions, passed to every request
	rate             *rateLimit                // RateLimit's budget; nil: none
	prefetch         int                       // Prefetch: pages requested ahead
}

// GetOption configures GetItem, HasItem and Lookup.
type GetOption interface{ applyGet(*readConfig) }

// QueryOption configures Query.
type QueryOption interface{ applyQuery(*readConfig) }

// ScanOption configures Scan.
type ScanOption interface{ applyScan(*readConfig) }

// BatchGetOption configures BatchGet.
type BatchGetOption interface{ applyBatchGet(*readConfig) }

// ConsistentOption is the option Consistent returns; it fits GetItem, Query,
// Scan and BatchGet.
type ConsistentOption struct{}

// Consistent asks for strongly consistent reads. Default: eventually
// consistent. Global secondary indexes do not support it.
func Consistent() ConsistentOption { return ConsistentOption{} }

func (ConsistentOption) applyGet(c *readConfig)      { c.consistent = true }
func (ConsistentOption) applyQuery(c *readConfig)    { c.consistent = true }
func (ConsistentOption) applyScan(c *readConfig)     { c.consistent = true }
func (ConsistentOption) applyBatchGet(c *readConfig) { c.consistent = true }

// AttributesOption is the option Attributes returns; it fits GetItem, Query,
// Scan, BatchGet and TxGet.
type AttributesOption struct{ names []string }

// Attributes limits the attributes returned to names (a projection
// expression). Each name is a document path by the names rule (see Name:
// "a.b" reaches into the map a, "`a.b`" is the attribute named a.b; a key
// attribute's exact name is always literal). The table's key attributes are
// always returned too, so that the item knows its key (Key, PartialSave).
// A projection over DynamoDB's expression limits (4 KB, 300 operators) is
// a *FilterError wrapping ErrInvalidFilter for every read, before any
// request. Default: every attribute.
func Attributes(names ...string) AttributesOption {
	return AttributesOption{names: slices.Clone(names)}
}

func (o AttributesOption) applyGet(c *readConfig)      { c.attrs = append(c.attrs, o.names...) }
func (o AttributesOption) applyQuery(c *readConfig)    { c.attrs = append(c.attrs, o.names...) }
func (o AttributesOption) applyScan(c *readConfig)     { c.attrs = append(c.attrs, o.names...) }
func (o AttributesOption) applyBatchGet(c *readConfig) { c.attrs = append(c.attrs, o.names...) }
func (o AttributesOption) applyTxGet(c *readConfig)    { c.attrs = append(c.attrs, o.names...) }

// QueryScanOption is an option that fits both Query and Scan.
type QueryScanOption interface {
	QueryOption
	ScanOption
}

type queryScanFunc func(*readConfig)

func (f queryScanFunc) applyQuery(c *readConfig) { f(c) }
func (f queryScanFunc) applyScan(c *readConfig)  { f(c) }

// Index reads from the named secondary index instead of the table. Default:
// the table.
func Index(name string) QueryScanOption {
	return queryScanFunc(func(c *readConfig) { c.index = name })
}

// Limit is the exact number of items a Query or Scan returns, across pages:
// fetching stops once n items were returned. Without a filter the last
// request asks for one item more than needed, so that a read ending exactly
// at n knows it is complete (its cursor is ""). With a filter (Where, a Scan
// filter) requests are not trimmed, since DynamoDB applies a request's Limit
// before the filter: they evaluate PageSize items (default: DynamoDB's 1 MB
// pages), so a Limit costs no more requests than the same read without it.
// Default (0): no limit.
func Limit(n int) QueryScanOption {
	return queryScanFunc(func(c *readConfig) { c.limit = n })
}

// PageSize is DynamoDB's per-request Limit: how many items one Query or Scan
// request evaluates. Default (0): DynamoDB's own (up to 1 MB a page).
func PageSize(n int32) QueryScanOption {
	return queryScanFunc(func(c *readConfig) { c.pageSize = n })
}

// Where adds a filter condition (see Condition) applied after the key
// condition or to the scan. A Scan's filter and its Where conditions are
// ANDed: Scan(f, Where(c1), Where(c2)) keeps the items matching f AND c1
// AND c2; use Or or AnyOf to OR conditions. A Query's Where may not name a
// key attribute of the table or index queried (see Query). A Filter is
// copied, its values converted, when Where is called: changing the map, a
// []byte or an in or between slice afterwards changes nothing. Default: no
// filter.
func Where(cnd Condition) QueryScanOption {
	cnd = freezeCondition(cnd)
	return queryScanFunc(func(c *readConfig) { c.where = append(c.where, cnd) })
}

// StartFrom resumes a Query or Scan from a cursor returned by
// ResultSet.Cursor. A cursor that is malformed, tampered with, made for
// another table, index or segment count, or (for Query) whose key DynamoDB
// would refuse as a starting key (another hash value, a range value outside
// the range condition or at the bound the read ends at) is
// ErrInvalidCursor, before any request. Default: from the beginning.
func StartFrom(cursor string) QueryScanOption {
	return queryScanFunc(func(c *readConfig) { c.startFrom = cursor })
}

type queryFunc func(*readConfig)

func (f queryFunc) applyQuery(c *readConfig) { f(c) }

// Reverse returns Query results in descending range-key order
// (ScanIndexForward=false). Default: ascending.
func Reverse() QueryOption { return queryFunc(func(c *readConfig) { c.reverse = true }) }

type scanFunc func(*readConfig)

func (f scanFunc) applyScan(c *readConfig) { f(c) }

// Segment scans only segment i of n (a parallel scan's share, for callers
// who distribute segments themselves). Default: the whole table.
func Segment(i, n int) ScanOption {
	return scanFunc(func(c *readConfig) { c.segment, c.totalSegments, c.segmentSet = i, n, true })
}

// Parallel scans with n segments at once in goroutines and merges their
// results. Default (0 or 1): one sequential scan.
func Parallel(n int) ScanOption {
	return scanFunc(func(c *readConfig) { c.parallel = n })
}

// writeConfig collects the options of PutItem, Save, DeleteItem and Delete
// (and of TxPut and TxDelete, which take only overwrite and expected).
type writeConfig struct {
	overwrite bool
	expected  []Condition               // ANDed
	old       **Item                    // OldItem's destination, nil: none asked
	sdk       []func(*dynamodb.Options) // SDKOptions, passed to every request
}

// PutOption configures PutItem and Item.Save.
type PutOption interface{ applyPut(*writeConfig) }

// DeleteOption configures DeleteItem and Item.Delete.
type DeleteOption interface{ applyDelete(*writeConfig) }

// TxPutOption configures TxPut: Overwrite and Expected. OldItem
// and SDKOptions do not fit a transaction action (a compile error).
type TxPutOption interface{ applyTxPut(*writeConfig) }

// TxDeleteOption configures TxDelete: Expected.
type TxDeleteOption interface{ applyTxDelete(*writeConfig) }

// OverwriteOption is the option Overwrite returns; it fits PutItem, Save
// and TxPut.
type OverwriteOption struct{}

// Overwrite lets PutItem, Save and TxPut replace an existing item
// unconditionally. Default: PutItem refuses to replace an item with the
// same key, and Save requires the stored item to still hold the values it
// was loaded with.
func Overwrite() OverwriteOption { return OverwriteOption{} }

func (OverwriteOption) applyPut(c *writeConfig)   { c.overwrite = true }
func (OverwriteOption) applyTxPut(c *writeConfig) { c.overwrite = true }

// WriteCondition is an option that fits PutItem, Save, DeleteItem and
// Delete, and the transaction actions TxPut and TxDelete.
type WriteCondition interface {
	PutOption
	DeleteOption
	TxPutOption
	TxDeleteOption
}

type writeFunc func(*writeConfig)

func (f writeFunc) applyPut(c *writeConfig)      { f(c) }
func (f writeFunc) applyDelete(c *writeConfig)   { f(c) }
func (f writeFunc) applyTxPut(c *writeConfig)    { f(c) }
func (f writeFunc) applyTxDelete(c *writeConfig) { f(c) }

// OldItemOption is the option OldItem returns; it fits PutItem, Save,
// DeleteItem and Item.Delete (not TxPut or TxDelete: a transaction returns
// no items).
type OldItemOption struct{ dst **Item }

// OldItem makes PutItem, Save, DeleteItem and Item.Delete store in *dst the
// item the write replaced or deleted, as it was just before (ReturnValues
// ALL_OLD), or nil when no item had the key. *dst is set to nil when the
// call starts, so it is nil too when the call fails or sends nothing (a
// Save with nothing to save). A nil dst asks for nothing. Default: the old
// item is not returned.
func OldItem(dst **Item) OldItemOption { return OldItemOption{dst: dst} }

func (o OldItemOption) applyPut(c *writeConfig)    { o.apply(c) }
func (o OldItemOption) applyDelete(c *writeConfig) { o.apply(c) }

func (o OldItemOption) apply(c *writeConfig) {
	if o.dst != nil {
		*o.dst = nil
	}
	c.old = o.dst
}

// returnOld reports whether the write asks for the old item (OldItem).
func (c *writeConfig) returnOld() types.ReturnValue {
	if c.old != nil {
		return types.ReturnValueAllOld
	}
	return ""
}

// setOld stores the old item a write returned in OldItem's destination.
func (c *writeConfig) setOld(t *Table, av map[string]types.AttributeValue) {
	if c.old != nil {
		*c.old = t.itemOrNil(av)
	}
}

// Expected makes a write conditional on the stored item matching cond (see
// Condition), ANDed with the call's own conditions and with other Expected
// conditions; use Or or AnyOf to OR conditions. A Filter is copied, its
// values converted, when Expected is called. Default: no condition beyond
// the call's own.
func Expected(cnd Condition) WriteCondition {
	cnd = freezeCondition(cnd)
	return writeFunc(func(c *writeConfig) { c.expected = append(c.expected, cnd) })
}

// SDKOption is the option SDKOptions returns. It fits the calls that read
// or write items: GetItem, HasItem, Query, Scan, BatchGet, PutItem, Save,
// DeleteItem, Item.Delete, UpdateItem, TransactWrite, and TypedTable's
// Modify and SaveChanges.
type SDKOption struct{ fns []func(*dynamodb.Options) }

// SDKOptions passes fns to every DynamoDB request the call sends for its
// items (every page of a Query, Scan or BatchGet, Save's consistent read
// before writing, a transaction's reads before it is sent), after the
// connection's own: per-call SDK settings such as APIOptions middleware,
// a RetryMaxAttempts or a custom HTTPClient. It does not reach the
// DescribeTable a call may send to learn the table's schema (that answer
// is shared by every call on the Table). The slice is copied. Default: the
// connection's settings only.
func SDKOptions(fns ...func(*dynamodb.Options)) SDKOption {
	return SDKOption{fns: slices.Clone(fns)}
}

func (o SDKOption) applyGet(c *readConfig)          { c.sdk = append(c.sdk, o.fns...) }
func (o SDKOption) applyQuery(c *readConfig)        { c.sdk = append(c.sdk, o.fns...) }
func (o SDKOption) applyScan(c *readConfig)         { c.sdk = append(c.sdk, o.fns...) }
func (o SDKOption) applyBatchGet(c *readConfig)     { c.sdk = append(c.sdk, o.fns...) }
func (o SDKOption) applyPut(c *writeConfig)         { c.sdk = append(c.sdk, o.fns...) }
func (o SDKOption) applyDelete(c *writeConfig)      { c.sdk = append(c.sdk, o.fns...) }
func (o SDKOption) applyItemUpdate(c *updateConfig) { c.sdk = append(c.sdk, o.fns...) }
func (o SDKOption) applyTx(w *txWrite)              { w.sdk = append(w.sdk, o.fns...) }

// applyOptions applies the non-nil options of opts to cfg, in order, with
// apply: a method expression of the call's option interface, such as
// PutOption.applyPut. It is the one place options are applied; the option
// interfaces in the calls' signatures keep a misapplied option (Reverse to
// Scan, Overwrite to DeleteItem) a compile error. It returns cfg.
func applyOptions[C, O any](cfg *C, opts []O, apply func(O, *C)) *C {
	for _, o := range opts {
		if any(o) != nil {
			apply(o, cfg)
		}
	}
	return cfg
}
