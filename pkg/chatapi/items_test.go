package chatapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
)

// TestDeleteResultsMatchedByUserID checks that each requested UserID gets
// its own result whatever order Chat answers in, and a result of its own
// when Chat leaves it out; and that repeated IDs are sent once.
func TestDeleteResultsMatchedByUserID(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("u%d", i)
		}
		return out
	}
	tests := []struct {
		name   string
		ids    []string
		sent   []string                               // the UserIDs the request carries
		answer func(asked []string) []chat.ResultItem // Chat's ResultItem for the asked IDs
		codes  map[string]int                         // expected ResultCode per ID
	}{
		{
			name: "in order", ids: []string{"a", "b"}, sent: []string{"a", "b"},
			answer: func(asked []string) []chat.ResultItem { return items(asked, 0) },
			codes:  map[string]int{"a": 0, "b": 0},
		},
		{
			name: "reversed", ids: []string{"a", "b", "c"}, sent: []string{"a", "b", "c"},
			answer: func(asked []string) []chat.ResultItem {
				out := items(asked, 0)
				out[0].ResultCode = chat.CodeAccountNotFound
				slices.Reverse(out)
				return out
			},
			codes: map[string]int{"a": chat.CodeAccountNotFound, "b": 0, "c": 0},
		},
		{
			name: "one left out", ids: []string{"a", "b"}, sent: []string{"a", "b"},
			answer: func(asked []string) []chat.ResultItem { return items(asked[1:], 0) },
			codes:  map[string]int{"a": chat.CodeServerError, "b": 0},
		},
		{
			name: "an answer for an ID not asked", ids: []string{"a"}, sent: []string{"a"},
			answer: func([]string) []chat.ResultItem { return items([]string{"zz"}, 0) },
			codes:  map[string]int{"a": chat.CodeServerError},
		},
		{
			name: "repeated IDs in a small batch", ids: []string{"a", "b", "a", "a"}, sent: []string{"a", "b"},
			answer: func(asked []string) []chat.ResultItem { return items(asked, 0) },
			codes:  map[string]int{"a": 0, "b": 0},
		},
		{
			name: "repeated IDs in a larger batch", ids: append(ids(10), "u3", "u9"), sent: ids(10),
			answer: func(asked []string) []chat.ResultItem { return items(asked, 0) },
			codes:  map[string]int{"u0": 0, "u3": 0, "u9": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var req chat.DeleteRequest
				if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
					t.Errorf("request body: %v", err)
				}
				asked = asked[:0]
				for _, it := range req.DeleteItem {
					asked = append(asked, it.UserID)
				}
				json.NewEncoder(w).Encode(chat.Envelope{ActionStatus: chat.StatusOK, ResultItem: tt.answer(asked)})
			}))
			defer srv.Close()
			c, err := chatapi.New(chatapi.Config{BaseURL: srv.URL, Credentials: chatapi.StaticCredentials(testCreds())})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.DeleteAccounts(context.Background(), tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(asked, tt.sent) {
				t.Errorf("sent %v, want %v", asked, tt.sent)
			}
			if len(res.Items) != len(tt.sent) {
				t.Fatalf("%d results, want %d", len(res.Items), len(tt.sent))
			}
			for i, it := range res.Items {
				if it.UserID != tt.sent[i] {
					t.Errorf("result %d is for %q, want %q", i, it.UserID, tt.sent[i])
				}
				if want, ok := tt.codes[it.UserID]; ok && it.ResultCode != want {
					t.Errorf("%s: ResultCode %d, want %d", it.UserID, it.ResultCode, want)
				}
			}
		})
	}
}

func items(ids []string, code int) []chat.ResultItem {
	out := make([]chat.ResultItem, len(ids))
	for i, id := range ids {
		out[i] = chat.ResultItem{UserID: id, ResultCode: code}
	}
	return out
}
