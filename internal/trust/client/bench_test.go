package client_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/testenv"
)

// benchTags is how many tags one signing publishes.
const benchTags = 1000

// BenchmarkSign1000 compares publishing 1,000 signed tags against a real notary-server:
// one `trustctl sign` command (one publish) with `notary addhash` ×1,000 then
// `notary publish`. Repository creation is not timed. scripts/bench-sign.sh runs it.
func BenchmarkSign1000(b *testing.B) {
	srv := testenv.StartServer(b)
	notary := testenv.RefBin(b, "notary")
	trustctl := filepath.Join(b.TempDir(), "trustctl")
	build := exec.Command("go", "build", "-o", trustctl, "./cmd/trustctl")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build trustctl: %v\n%s", err, out)
	}
	env := append(os.Environ(), "NOTARY_ROOT_PASSPHRASE="+testPass, "NOTARY_TARGETS_PASSPHRASE="+testPass,
		"NOTARY_SNAPSHOT_PASSPHRASE="+testPass, "DOCKER_CONFIG="+b.TempDir())
	run := func(b *testing.B, bin string, args ...string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args[:min(len(args), 8)], " "), err, out.String())
		}
	}
	digest := strings.Repeat("ab", 32)
	runs := 0 // the framework may run a sub-benchmark more than once: new names each time

	b.Run("trustctl-sign", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			runs++
			gun := fmt.Sprintf("127.0.0.1:5000/bench/trustctl-%d", runs)
			base := []string{"-d", b.TempDir(), "-s", srv.URL, "--tlscacert", srv.CAFile}
			run(b, trustctl, append(base, "init", gun)...)
			args := append(base, "sign")
			for n := range benchTags {
				args = append(args, gun+":v"+strconv.Itoa(n)+"@sha256:"+digest, "--size", "1234")
			}
			b.StartTimer()
			run(b, trustctl, args...)
		}
	})
	b.Run("notary-addhash-publish", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			runs++
			gun := fmt.Sprintf("127.0.0.1:5000/bench/notary-%d", runs)
			base := []string{"-d", b.TempDir(), "-s", srv.URL, "--tlscacert", srv.CAFile}
			run(b, notary, append(base, "init", "-p", gun)...)
			b.StartTimer()
			for n := range benchTags {
				run(b, notary, append(base, "addhash", gun, "v"+strconv.Itoa(n), "1234", "--sha256", digest)...)
			}
			run(b, notary, append(base, "publish", gun)...)
		}
	})
}
