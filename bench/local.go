package bench

import (
	"context"
	"errors"
	"os"
)

// localEndpoint returns DynamoDB Local's endpoint: the given one, else
// DYNAMODB_ENDPOINT, else one started here (stopped by stop).
func localEndpoint(ctx context.Context, endpoint string) (url, version string, stop func(), err error) {
	if endpoint == "" {
		endpoint = os.Getenv("DYNAMODB_ENDPOINT")
	}
	if endpoint != "" {
		return endpoint, "external endpoint " + endpoint + " (version not reported)", func() {}, nil
	}
	return "", "", nil, errors.New("no DynamoDB Local: set -endpoint or DYNAMODB_ENDPOINT")
}
