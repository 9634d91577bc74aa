package dynamap

// LocalEndpoint returns the endpoint of the DynamoDB Local this test binary
// shares with its tests: started once, on first use, and stopped by TestMain
// (DYNAMODB_ENDPOINT, when set, names another one instead). It exists only in
// the test binary, for the Examples of package dynamap_test.
func LocalEndpoint() (string, error) { return sharedEndpoint() }
