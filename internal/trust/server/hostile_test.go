package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustctl/trustctl/internal/testenv"
)

// gzipBomb is a gzip stream of members each inflating to 1 MiB of zeros: about 1 KiB
// per member, so n members are ~n KiB that inflate to n MiB.
func gzipBomb(t *testing.T, members int) []byte {
	var one bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(one.Bytes(), members)
}

// TestGzipBomb: a server answering with a gzip body it was not asked for (~1.5 MB
// inflating to 1.5 GB) is stopped at the cap, counted on the inflated bytes, with
// memory bounded by the cap.
func TestGzipBomb(t *testing.T) {
	bomb := gzipBomb(t, 1500)
	if len(bomb) > 2<<20 {
		t.Fatalf("bomb of %d bytes", len(bomb))
	}
	hs := testenv.NewHostile(t)
	srv := hs.Serve(t, "notary", false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	})
	c := fastClient(t, srv.URL, Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.GetCurrent(context.Background(), "timestamp", MaxTimestampSize)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("gzip bomb: %v", err)
	}
	t.Logf("allocated %d KiB reading a %d-byte gzip bomb", (after.TotalAlloc-before.TotalAlloc)>>10, len(bomb))
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("reading a capped gzip bomb allocated %d MiB", alloc>>20)
	}
	for _, s := range hs.Seen() {
		if s.AcceptEncoding != "identity" {
			t.Errorf("%s %s asked for Accept-Encoding %q, want identity", s.Method, s.Path, s.AcceptEncoding)
		}
	}

	// A small gzip answer within the cap is read inflated.
	small := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(`{"signed":{}}`))
		zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(b.Bytes())
	})
	if b, err := fastClient(t, small.URL, Options{}).GetCurrent(context.Background(), "timestamp", MaxTimestampSize); err != nil || string(b) != `{"signed":{}}` {
		t.Fatalf("small gzip answer: %q, %v", b, err)
	}
}

// TestNoRetryOnDNSFailure: a name that does not resolve fails at once.
func TestNoRetryOnDNSFailure(t *testing.T) {
	var dials atomic.Int32
	rt := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "notary.invalid", IsNotFound: true}}
	}}
	c := fastClient(t, "https://notary.invalid", Options{Transport: rt})
	_, err := c.GetCurrent(context.Background(), "root", 0)
	if !errors.Is(err, ErrServerUnavailable) || !strings.Contains(err.Error(), "no such host") || dials.Load() != 1 {
		t.Fatalf("DNS failure: %d dials, %v", dials.Load(), err)
	}
}
