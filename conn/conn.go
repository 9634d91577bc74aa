package conn

// Conn is a connection to DynamoDB: an API plus the instrumentation and
// concurrency cap configured by Options. (Placeholder: replaced by the full
// implementation.)
type Conn struct {
	api API
}

// FromClient wraps an existing API implementation.
func FromClient(api API, optFns ...func(*Options)) *Conn {
	return &Conn{api: api}
}

// Options configures a Conn.
type Options struct{}

// API returns the instrumented API every dynamap call goes through.
func (c *Conn) API() API { return c.api }
