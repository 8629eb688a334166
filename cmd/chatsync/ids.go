package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// maxLine bounds a line of a UserID list; a UserID is at most 32 bytes.
const maxLine = 4096

// readIDs reads a UserID list: one UserID per line, surrounding white space
// trimmed, blank lines and lines starting with # ignored. Every UserID is
// validated; the error names the list and the line. name is how errors
// refer to the list, such as the file name or "stdin".
func readIDs(r io.Reader, name string) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxLine)
	var ids []string
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
		}
		id := strings.TrimSpace(string(line))
		if id == "" || strings.HasPrefix(id, "#") {
			continue
		}
		if err := chat.ValidateUserID(id); err != nil {
			return nil, usagef("%s:%d: %s", name, n, idProblem(err))
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, usagef("%s: a line is over %d bytes: want one UserID per line", name, maxLine)
		}
		return nil, usagef("cannot read %s: %v", name, err)
	}
	return ids, nil
}

// idProblem returns what is wrong with a UserID, without the "invalid
// input (code 70402)" prefix of a *chat.Error.
func idProblem(err error) string {
	var e *chat.Error
	if errors.As(err, &e) {
		return e.Info
	}
	return err.Error()
}
