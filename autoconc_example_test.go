package dynamap_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dynamap/dynamap"
)

func ExampleAutoConcurrency() {
	ctx := context.Background()
	users := createUsers(ctx, localConn())
	defer users.DeleteTable(ctx)

	bt := users.BatchWrite(dynamap.AutoConcurrency(16)) // grows while unthrottled, backs off and paces when throttled
	for i := range 500 {
		u := User{Username: fmt.Sprintf("user%03d", i), DateJoined: int64(1366056600 + i), FirstName: "Ann"}
		if err := bt.PutItem(ctx, u); err != nil {
			log.Fatal(err)
		}
	}
	if err := bt.Close(ctx); err != nil {
		log.Fatal(err)
	}
	st := bt.Stats() // what it settled on: calls in flight, pace (0: unpaced), throttled and partial calls
	fmt.Println("calls:", st.Calls, "in flight at most 16:", st.MaxInFlight <= 16)

	keys := []dynamap.Key{{"username": "user007", "date_joined": 1366056607}}
	rs := users.BatchGet(keys, dynamap.AutoConcurrency(8))
	items, err := rs.Collect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("read:", len(items), "calls:", rs.BatchStats().Calls)
	// Output:
	// calls: 20 in flight at most 16: true
	// read: 1 calls: 1
}
