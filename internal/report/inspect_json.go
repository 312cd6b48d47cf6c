package report

import (
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/trustctl/trustctl/internal/trust/repo"
)

// Root trust modes shown by inspect.
const (
	RootPinned          = "pinned"
	RootTrustOnFirstUse = "trust-on-first-use"
)

// InspectEntry is one image in `inspect`'s JSON: docker's schema plus what docker does not show.
type InspectEntry struct {
	Name               string
	SignedTags         []repo.SignedTag
	Signers            []repo.SignerKeys
	AdministrativeKeys []repo.SignerKeys
	Root               string               `json:"root"`
	Expires            map[string]time.Time `json:"expires"`
	InvalidDelegations []string             `json:"invalidDelegations,omitempty"`
}

// NewInspectEntry is the JSON entry of an image named name.
func NewInspectEntry(name string, in *repo.Inspection) InspectEntry {
	mode := RootPinned
	if in.TrustOnFirstUse {
		mode = RootTrustOnFirstUse
	}
	return InspectEntry{
		Name: name, SignedTags: in.SignedTags, Signers: in.Signers, AdministrativeKeys: in.AdministrativeKeys,
		Root: mode, Expires: in.Expires, InvalidDelegations: in.InvalidDelegations,
	}
}

// InspectJSON writes the entries indented by four spaces like docker, so outputs diff
// cleanly.
func InspectJSON(w io.Writer, entries []InspectEntry) error {
	v := entries
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "    "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}
