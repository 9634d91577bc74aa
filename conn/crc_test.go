package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"
)

type captureLogger struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *captureLogger) Logf(c logging.Classification, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.buf, "%s "+format+"\n", append([]any{c}, v...)...)
}

func (l *captureLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestFillMissingCRC32 answers a conditional check failure the way DynamoDB
// Local does, without an X-Amz-Crc32 header. The SDK alone logs a spurious
// checksum warning; with fillMissingCRC32 it logs nothing, and the error is
// still the SDK's typed exception.
func TestFillMissingCRC32(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`)
	}))
	defer srv.Close()

	put := func(optFns ...func(*dynamodb.Options)) string {
		logger := &captureLogger{}
		client := dynamodb.New(dynamodb.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  credentials.NewStaticCredentialsProvider("a", "b", ""),
			Logger:       logger,
		}, optFns...)
		_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{
			TableName: aws.String("t"),
			Item:      map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "1"}},
		})
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			t.Fatalf("want ConditionalCheckFailedException, got %v", err)
		}
		return logger.String()
	}

	if without := put(); !strings.Contains(without, "checksum") {
		t.Fatalf("the SDK alone was expected to warn about the checksum; logged %q", without)
	}
	if with := put(fillMissingCRC32); with != "" {
		t.Errorf("with fillMissingCRC32 nothing should be logged; logged %q", with)
	}
}
