package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/trustctl/trustctl/internal/trust/repo"
)

// shortKeyID is the length docker's pretty output cuts key IDs to.
const shortKeyID = 12

// InspectPretty writes the three sections `docker trust inspect --pretty` prints for
// one image: signed tags, signers and their keys, administrative keys.
func InspectPretty(w io.Writer, name string, in *repo.Inspection) error {
	if len(in.SignedTags) == 0 {
		fmt.Fprintf(w, "\nNo signatures for %s\n\n", name)
	} else {
		fmt.Fprintf(w, "\nSignatures for %s\n\n", name)
		rows := make([][]string, 0, len(in.SignedTags))
		for _, t := range in.SignedTags {
			signers := slices.Clone(t.Signers)
			for i, s := range signers {
				if s == "Repo Admin" {
					signers[i] = "(Repo Admin)"
				}
			}
			rows = append(rows, []string{t.SignedTag, t.Digest, strings.Join(signers, ", ")})
		}
		if err := dockerTable(w, []string{"SIGNED TAG", "DIGEST", "SIGNERS"}, rows); err != nil {
			return err
		}
	}
	if len(in.Signers) > 0 {
		fmt.Fprintf(w, "\nList of signers and their keys for %s\n\n", name)
		signers := slices.Clone(in.Signers)
		slices.SortFunc(signers, func(a, b repo.SignerKeys) int { return strings.Compare(a.Name, b.Name) })
		rows := make([][]string, 0, len(signers))
		for _, s := range signers {
			ids := make([]string, 0, len(s.Keys))
			for _, k := range s.Keys {
				ids = append(ids, k.ID[:min(len(k.ID), shortKeyID)])
			}
			slices.Sort(ids)
			rows = append(rows, []string{s.Name, strings.Join(ids, ", ")})
		}
		if err := dockerTable(w, []string{"SIGNER", "KEYS"}, rows); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nAdministrative keys for %s\n\n", name)
	for _, admin := range slices.Backward(in.AdministrativeKeys) {
		ids := make([]string, 0, len(admin.Keys))
		for _, k := range admin.Keys {
			ids = append(ids, k.ID)
		}
		fmt.Fprintf(w, "  %s Key:\t%s\n", admin.Name, strings.Join(ids, ", "))
	}
	return nil
}

// dockerTable lays out rows as docker's formatter does (text/tabwriter, cells at least
// 10 wide, 3 spaces apart, the last column unpadded), so short columns such as SIGNER
// get docker's width too.
func dockerTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
