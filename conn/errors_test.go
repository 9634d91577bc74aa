package conn_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dynamap/dynamap/conn"
)

// Every error New returns starts with "dynamap: " exactly once.
func TestNewErrorsPrefixedOnce(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		opts func(*conn.Options)
	}{
		"bad endpoint env":       {env: map[string]string{conn.EnvEndpoint: "localhost:8000"}},
		"bad max retries env":    {env: map[string]string{conn.EnvMaxRetries: "abc"}},
		"bad max clients env":    {env: map[string]string{conn.EnvMaxClients: "0"}},
		"bad endpoint option":    {opts: func(o *conn.Options) { o.Endpoint = "not a url" }},
		"negative concurrency":   {opts: func(o *conn.Options) { o.MaxConcurrency = -1 }},
		"negative backoff":       {opts: func(o *conn.Options) { o.RetryMaxBackoff = -time.Second }},
		"secret without key id":  {opts: func(o *conn.Options) { o.AccessKeyID = "" }},
		"no region":              {opts: func(o *conn.Options) { o.Region = "" }},
		"missing config profile": {opts: func(o *conn.Options) { o.Profile = "no-such-profile" }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fns := []func(*conn.Options){func(o *conn.Options) {
				o.Region = "us-west-2"
				o.AccessKeyID, o.SecretAccessKey = testKeyID, testSecret
			}}
			if tc.opts != nil {
				fns = append(fns, tc.opts)
			}
			_, err := conn.New(context.Background(), fns...)
			require.Error(t, err)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "dynamap: "), "message %q", msg)
			assert.Equal(t, 1, strings.Count(msg, "dynamap: "), "message %q", msg)
			assert.NotContains(t, msg, "\n")
			assert.NotContains(t, msg, testSecret)
		})
	}
}

// Errors of calls through Conn.API are the underlying API's (or the
// context's) errors, not re-prefixed: the dynamap caller adds "dynamap: "
// once when it wraps them.
func TestCallErrorsNotPrefixed(t *testing.T) {
	errBoom := errors.New("boom")
	c := conn.FromClient(&countingAPI{err: fmt.Errorf("signing with %s: %w", testSecret, errBoom)}, func(o *conn.Options) {
		o.SecretAccessKey = testSecret
	})
	_, err := c.API().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("T")})
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, "signing with ***: boom", err.Error())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.API().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("T")})
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), "dynamap: ")
}
