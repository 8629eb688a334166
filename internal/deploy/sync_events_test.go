package deploy

import (
	"crypto/md5"
	"encoding/hex"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// TestSyncEvents: the sync function's sample events are what the schedule
// and the SQS event source send it.
func TestSyncEvents(t *testing.T) {
	var start poolsync.Start
	decodeEvent(t, "sync-schedule.json", &start)
	if start.Sync != "start" {
		t.Errorf("sync-schedule.json: sync = %q, want start", start.Sync)
	}
	var ev events.SQSEvent
	decodeEvent(t, "sync-page.json", &ev)
	if len(ev.Records) != 1 {
		t.Fatalf("sync-page.json: %d records, want 1 (the event source's batch size)", len(ev.Records))
	}
	m := ev.Records[0]
	if _, err := poolsync.DecodeMessage([]byte(m.Body)); err != nil {
		t.Errorf("sync-page.json: %v", err)
	}
	sum := md5.Sum([]byte(m.Body))
	if m.Md5OfBody != hex.EncodeToString(sum[:]) || m.EventSource != "aws:sqs" || m.MessageId == "" {
		t.Errorf("sync-page.json: record %+v is not as SQS sends it", m)
	}
}
