package lifecycle_test

import (
	"fmt"
	"log"
	"os"

	"github.com/chatsync/chat-lambdas/pkg/lifecycle"
)

// A user deleted with an IAM caller's AdminDeleteUser, then the same call
// seen by a stack that serves another pool.
func ExampleDecide() {
	payload, err := os.ReadFile("../../events/cloudtrail-admin-delete-user.json")
	if err != nil {
		log.Fatal(err)
	}
	if !lifecycle.Is(payload) {
		log.Fatal("not a lifecycle event")
	}
	ev, err := lifecycle.Parse(payload)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.Name, ev.Action, ev.UserPoolID, ev.Sub)

	d := lifecycle.Decide(ev, "us-east-1_EXAMPLE", "sub")
	fmt.Println(d.Verdict, d.UserID)

	d = lifecycle.Decide(ev, "us-east-1_EXAMPLE", "custom:chat_id")
	fmt.Println(d.Verdict, d.Reason)

	d = lifecycle.Decide(ev, "eu-west-1_OTHER", "sub")
	fmt.Println(d.Verdict, d.Reason)
	// Output:
	// AdminDeleteUser delete us-east-1_EXAMPLE 0f3c9a52-7a5e-4c1b-9d3e-2b8f6a1c4d7e
	// act 0f3c9a527a5e4c1b9d3e2b8f6a1c4d7e
	// refuse USER_ID_ATTRIBUTE=custom:chat_id: a deleted user's attributes can no longer be read, so the UserID cannot be computed
	// ignore the event is for user pool "us-east-1_EXAMPLE", not this stack's "eu-west-1_OTHER"
}
