package handler

import "testing"

func TestUnpairedSurrogate(t *testing.T) {
	for in, want := range map[string]bool{
		`{"UserID":"plain"}`:              false,
		`{"UserID":"\u00e9\u4e2d"}`:       false,
		`{"UserID":"\ud83d\ude00"}`:       false, // a pair
		`{"UserID":"\uD83D\uDE00\ud800"}`: true,  // a pair, then a high half alone
		`{"UserID":"\ud800"}`:             true,
		`{"UserID":"\udfff"}`:             true,
		`{"UserID":"\ud800x"}`:            true,
		`{"UserID":"\ud800\ud800\udc00"}`: true,  // a high half before a pair
		`{"UserID":"\\ud800"}`:            false, // a backslash, then text
		`{"UserID":"\\\ud800"}`:           true,  // a backslash, then the escape
		`{"UserID":"\\\\ud800"}`:          false,
		`{"UserID":"\u12"}`:               false, // not an escape: encoding/json refuses it
		`\`:                               false,
		`{"UserID":"\ud800`:               true,
		`{"a":"\ud800\u"}`:                true,
	} {
		if got := unpairedSurrogate([]byte(in)); got != want {
			t.Errorf("unpairedSurrogate(%s) = %v, want %v", in, got, want)
		}
	}
}
