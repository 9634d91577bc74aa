package dynamap

// Prefetch keeps up to n pages of a Query or Scan requested ahead of the
// page whose items the loop is working on: while the caller handles one
// page, the next n are already on their way (one background goroutine,
// owned by the iteration and run under its context). Memory stays within
// n+1 pages. What the loop sees does not change: the same items in the
// same order, the same Cursor after each item (a break mid-page resumes
// right after the last item yielded), the same requests with Limit (pages
// are requested ahead only while the items fetched are fewer than Limit
// wants, so none is fetched past what the read needs), and an error after
// the items of the pages before it. When the loop ends, however it ends,
// the request in flight is canceled and the goroutine waited for before
// the loop returns; pages fetched and not reached are dropped (their
// ScannedCount and ConsumedCapacity are counted: DynamoDB did the work).
// The context is checked before each page is yielded.
//
// With Parallel, each segment's goroutine already requests its next page
// while the loop works; Prefetch(n) lets up to n pages more wait for the
// loop. Count does not prefetch. A negative n is an ErrQuery error before
// any request; an n above 1024 counts as 1024. Default (0): each page is
// requested when the loop has finished the previous one.
func Prefetch(n int) QueryScanOption {
	return queryScanFunc(func(c *readConfig) { c.prefetch = n })
}
