package dockertrust

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
)

func (e *env) inspectCommand() *cobra.Command {
	var pretty bool
	cmd := &cobra.Command{
		Use:   "inspect IMAGE[:TAG] [IMAGE[:TAG]...]",
		Short: "Return low-level information about keys and signatures",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.inspect(cmd.Context(), args, pretty)
		},
	}
	cmd.Flags().BoolVar(&pretty, "pretty", false, "Print the information in a human friendly format")
	return cmd
}

// inspect downloads and verifies each image's trust data, as docker does, then prints
// docker's JSON (an array of the images that could be read) or its tables. An image
// that fails is reported at the end and does not hide the others; the status is 1.
func (e *env) inspect(ctx context.Context, args []string, pretty bool) error {
	var found []*repo.Inspection
	var errs []error
	fetched := map[string]fetchResult{} // each repository is fetched once
	for _, arg := range args {
		in, err := e.inspection(ctx, arg, fetched)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if pretty {
			if len(found) > 0 {
				fmt.Fprint(e.streams.Out, "\n\n") // docker's separator between images
			}
			if err := report.InspectPretty(e.streams.Out, arg, in); err != nil {
				return err
			}
		}
		found = append(found, in)
	}
	if !pretty {
		if len(found) == 0 {
			fmt.Fprintln(e.streams.Out, "[]")
		} else {
			out, err := repo.DockerJSON(found...)
			if err != nil {
				return err
			}
			if _, err := e.streams.Out.Write(out); err != nil {
				return err
			}
		}
	}
	if len(errs) > 0 {
		return statusError{code: 1, msg: errors.Join(errs...).Error()}
	}
	return nil
}

type fetchResult struct {
	repo *repo.Repo
	err  error
}

// inspection is docker's view of one IMAGE[:TAG] argument, named as given. A digest
// in the argument is ignored, as docker does: every tag is shown.
func (e *env) inspection(ctx context.Context, arg string, fetched map[string]fetchResult) (*repo.Inspection, error) {
	im, err := parseImage(arg)
	if err != nil {
		return nil, err
	}
	f, ok := fetched[im.gun]
	if !ok {
		rc, err := e.repository(im)
		if err != nil {
			return nil, err
		}
		f.repo, f.err = fetch(ctx, rc, e.trustDir(), im)
		fetched[im.gun] = f
	}
	if f.err != nil {
		// docker says only this, whatever failed; the cause is logged for -D.
		e.log.Debug("inspect", "image", arg, "error", f.err.Error())
		return nil, fmt.Errorf("no signatures or cannot access %s", arg)
	}
	in := f.repo.Inspect(im.tag)
	in.Name = arg
	sortNatural(in.SignedTags)
	return in, nil
}

// fetch downloads and verifies the image's trust data into the trust dir, then reads it.
func fetch(ctx context.Context, rc *client.Repository, dir store.Dir, im image) (*repo.Repo, error) {
	if _, err := rc.Fetch(ctx); err != nil {
		return nil, err
	}
	return repo.Open(dir, im.gun, repo.Options{})
}

// sortNatural orders signed tags as docker does (fvbommel/sortorder.NaturalLess): runs
// of digits compare as numbers, so 1.9 comes before 1.10.
func sortNatural(tags []repo.SignedTag) {
	slices.SortStableFunc(tags, func(a, b repo.SignedTag) int {
		switch {
		case naturalLess(a.SignedTag, b.SignedTag):
			return -1
		case naturalLess(b.SignedTag, a.SignedTag):
			return 1
		}
		return strings.Compare(a.Digest, b.Digest)
	})
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// naturalLess compares digit runs by value (then by fewer leading zeros) and other
// bytes as bytes; digits sort before other characters.
func naturalLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		da, db := isDigit(a[i]), isDigit(b[j])
		if da != db {
			return da
		}
		if !da {
			if a[i] != b[j] {
				return a[i] < b[j]
			}
			i++
			j++
			continue
		}
		zi, zj := i, j
		for zi < len(a) && a[zi] == '0' {
			zi++
		}
		for zj < len(b) && b[zj] == '0' {
			zj++
		}
		ei, ej := zi, zj
		for ei < len(a) && isDigit(a[ei]) {
			ei++
		}
		for ej < len(b) && isDigit(b[ej]) {
			ej++
		}
		if ei-zi != ej-zj {
			return ei-zi < ej-zj
		}
		if a[zi:ei] != b[zj:ej] {
			return a[zi:ei] < b[zj:ej]
		}
		if zi-i != zj-j {
			return zi-i < zj-j
		}
		i, j = ei, ej
	}
	return len(a) < len(b)
}
