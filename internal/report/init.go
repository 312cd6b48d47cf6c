package report

import (
	"fmt"
	"io"

	"github.com/trustctl/trustctl/internal/trust/client"
)

// InitKeys tells which keys a new repository got.
func InitKeys(out io.Writer, gun string, k client.Keys) {
	fmt.Fprintf(out, "Initialized %s\n", gun)
	fmt.Fprintf(out, "Root key:      %s (certificate %s)\n", k.Root, k.RootCert)
	fmt.Fprintf(out, "Targets key:   %s\n", k.Targets)
	if k.SnapshotOnServer {
		fmt.Fprintf(out, "Snapshot key:  %s (on the server)\n", k.Snapshot)
	} else {
		fmt.Fprintf(out, "Snapshot key:  %s\n", k.Snapshot)
	}
	fmt.Fprintf(out, "Timestamp key: %s (on the server)\n", k.Timestamp)
}
