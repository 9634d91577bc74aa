package conn

import (
	"bytes"
	"context"
	"hash/crc32"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkChecksumID is the ID of the SDK's response CRC32 validation middleware.
const sdkChecksumID = "DynamoDB:ResponseChecksumValidation"

// fillCRCID names the middleware below.
const fillCRCID = "dynamap.conn.FillMissingCRC32"

// fillMissingCRC32 supplies the X-Amz-Crc32 header when a response has none.
// DynamoDB always sends it, but DynamoDB Local omits it from error
// responses, and the SDK then validates against 0 and logs a spurious
// "response did not match expected checksum" warning on every conditional
// check failure. With the header computed from the body received, a
// response without one is simply not validated, which is what the SDK
// intends for a missing header.
func fillMissingCRC32(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		if _, ok := s.Deserialize.Get(sdkChecksumID); !ok {
			return nil // validation disabled: nothing to do
		}
		if _, ok := s.Deserialize.Get(fillCRCID); ok {
			return nil
		}
		return s.Deserialize.Insert(middleware.DeserializeMiddlewareFunc(fillCRCID,
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err != nil {
					return out, md, err
				}
				resp, ok := out.RawResponse.(*smithyhttp.Response)
				if !ok || resp.Body == nil || resp.Header.Get("X-Amz-Crc32") != "" {
					return out, md, err
				}
				body, rerr := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				resp.Body = io.NopCloser(bytes.NewReader(body))
				if rerr != nil {
					return out, md, rerr
				}
				resp.Header.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
				return out, md, err
			}), sdkChecksumID, middleware.After)
	})
}
