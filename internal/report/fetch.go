package report

import (
	"fmt"
	"io"

	"github.com/trustctl/trustctl/internal/sigcache"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Fetched writes the line of a repository whose Notary v1 trust data fetch verified
// and stored: the version of each role file and when the timestamp expires.
func Fetched(w io.Writer, gun string, meta *tuf.Repository) {
	fmt.Fprintf(w, "Fetched %s: root v%d, targets v%d, snapshot v%d, timestamp v%d (expires %s)\n",
		gun, meta.Root.Version, meta.Targets.Signed.Version, meta.Snapshot.Version, meta.Timestamp.Version,
		meta.Timestamp.Expires.UTC().Format("2006-01-02T15:04:05Z"))
}

// FetchedCosign writes what fetch downloaded of a repository's cosign signatures.
func FetchedCosign(w io.Writer, gun string, n sigcache.Fetched) {
	fmt.Fprintf(w, "Fetched cosign signatures of %s: %d digests, %d legacy signatures, %d bundles\n", gun, n.Digests, n.Signatures, n.Bundles)
}

// FetchedEvidence writes what fetch downloaded of a repository's evidence artifacts.
func FetchedEvidence(w io.Writer, gun string, digests, artifacts int) {
	fmt.Fprintf(w, "Fetched evidence of %s: %d digests, %d evidence artifacts\n", gun, digests, artifacts)
}
