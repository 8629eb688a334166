package usersig

import (
	"bytes"
	"compress/zlib"
	"io"
	"testing"
)

func TestZlibStoredReadsBack(t *testing.T) {
	for _, n := range []int{0, 1, 300, 65535, 65536, 200000} {
		in := bytes.Repeat([]byte("TLS.sig"), n/7+1)[:n]
		r, err := zlib.NewReader(bytes.NewReader(zlibStored(in)))
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		out, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("%d bytes: read back %d bytes, %v", n, len(out), err)
		}
	}
}
