package pin

import (
	"os"
	"strings"
	"testing"
)

// TestRewriteGolden: pinning changes only the image values, byte for byte, on a file
// with comments, anchors, flow mappings and every quoting style.
func TestRewriteGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/stack.yml")
	if err != nil {
		t.Fatal(err)
	}
	const a = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	const b = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	pins := map[string]string{"web": a, "api": b, "worker": a, "cron": a, "tool": a, "plain": b, "café": a, "child": a}
	got, skipped, err := Rewrite(data, pins)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		`"registry.example.com/shop/web:1.4"`, `"registry.example.com/shop/web:1.4@`+a+`"`,
		`'registry.example.com/shop/api:3'`, `'registry.example.com/shop/api:3@`+b+`'`,
		`registry.example.com/shop/base:2.1 `, `registry.example.com/shop/base:2.1@`+a+` `,
		`image: nginx `, `image: nginx:latest@`+b+` `,
		`shop/cafe:1}`, `shop/cafe:1@`+a+`}`,
	).Replace(string(data))
	if string(got) != want {
		t.Errorf("Rewrite:\n%s\nwant:\n%s", got, want)
	}
	if len(skipped) != 1 || skipped[0].Service != "tool" || skipped[0].Line != 21 || !strings.Contains(skipped[0].Reason, "interpolated") {
		t.Errorf("skipped = %+v, want tool (interpolated) at line 21", skipped)
	}
}

// TestRewriteSharedAnchor: an anchor two services share is not rewritten when they
// passed with different digests.
func TestRewriteSharedAnchor(t *testing.T) {
	data, _ := os.ReadFile("testdata/stack.yml")
	pins := map[string]string{"worker": "sha256:" + strings.Repeat("a", 64), "cron": "sha256:" + strings.Repeat("b", 64)}
	got, skipped, err := Rewrite(data, pins)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || skipped[0].Service != "worker" || !strings.Contains(skipped[0].Reason, "shared") {
		t.Errorf("skipped = %+v", skipped)
	}
	if !strings.Contains(string(got), "base:2.1@sha256:bbbb") {
		t.Errorf("cron's pin missing:\n%s", got)
	}
}

// TestRewriteExtendsAnotherFile: an image inherited from another file is not in this
// one: it is named, and the file is unchanged.
func TestRewriteExtendsAnotherFile(t *testing.T) {
	data := []byte("services:\n  web:\n    extends: {file: base.yml, service: web}\n")
	got, skipped, err := Rewrite(data, map[string]string{"web": "sha256:" + strings.Repeat("a", 64)})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(data) || len(skipped) != 1 || !strings.Contains(skipped[0].Reason, "not written in this file") {
		t.Errorf("got %q, skipped %+v", got, skipped)
	}
}
