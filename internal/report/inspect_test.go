package report

import (
	"bytes"
	"testing"

	"github.com/trustctl/trustctl/internal/trust/repo"
)

// TestInspectPrettyLayout pins docker's text/tabwriter layout (cells at least 10 wide,
// 3 spaces apart, the last column unpadded): short signer names still get a 10-wide
// column, as `docker trust inspect --pretty` prints them.
func TestInspectPrettyLayout(t *testing.T) {
	in := &repo.Inspection{
		SignedTags: []repo.SignedTag{{SignedTag: "1.0", Digest: "abcd", Signers: []string{"qa"}},
			{SignedTag: "admin", Digest: "abcd", Signers: []string{"Repo Admin"}}},
		Signers:            []repo.SignerKeys{{Name: "qa", Keys: []repo.KeyID{{ID: "0123456789abcdef"}}}},
		AdministrativeKeys: []repo.SignerKeys{{Name: "Root", Keys: []repo.KeyID{{ID: "r"}}}, {Name: "Repository", Keys: []repo.KeyID{{ID: "t"}}}},
	}
	var out bytes.Buffer
	if err := InspectPretty(&out, "reg/app", in); err != nil {
		t.Fatal(err)
	}
	want := `
Signatures for reg/app

SIGNED TAG   DIGEST    SIGNERS
1.0          abcd      qa
admin        abcd      (Repo Admin)

List of signers and their keys for reg/app

SIGNER    KEYS
qa        0123456789ab

Administrative keys for reg/app

  Repository Key:	t
  Root Key:	r
`
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
}
