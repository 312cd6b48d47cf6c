package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/trust/store"
)

// TestKeyCommandsTakeTheLock: a key command that changes private/ waits for another
// process's hold on the trust dir's lock (flock locks of two opens conflict even within
// one process).
func TestKeyCommandsTakeTheLock(t *testing.T) {
	dir := t.TempDir()
	td := filepath.Join(dir, "trust")
	env := map[string]string{"NOTARY_DELEGATION_PASSPHRASE": "correct-horse-battery"}
	run := func(args ...string) (int, string) {
		var out, errs bytes.Buffer
		code := Execute(context.Background(), append([]string{"-d", td}, args...), Streams{In: &bytes.Buffer{}, Out: &out, Err: &errs}, func(k string) string { return env[k] })
		return code, errs.String()
	}
	unlock, err := store.Dir{Root: td}.Lock()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		code, _ := run("key", "generate", "alice", "--dir", dir)
		done <- code
	}()
	select {
	case code := <-done:
		unlock()
		t.Fatalf("key generate ran (exit %d) while the trust dir was locked", code)
	case <-time.After(500 * time.Millisecond):
	}
	unlock()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("key generate exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("key generate still waits after the lock was released")
	}
}
