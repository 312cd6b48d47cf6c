package cli

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// maxCAFile bounds a CA bundle file.
const maxCAFile = 1 << 20

// readFlags are the flags of every command that reads trust data.
type readFlags struct {
	now      string
	rootKeys []string
	rootCA   string
}

func (f *readFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.now, "now", "", "judge expiry at this time (RFC 3339) instead of now")
	cmd.Flags().StringSliceVar(&f.rootKeys, "root-key", nil, "pin the root: a root key ID (certificate or canonical ID) the repository's root must use")
	cmd.Flags().StringVar(&f.rootCA, "root-ca", "", "pin the root: PEM file of CAs the root certificate must chain to")
}

// options turns the flags into verification options.
func (f *readFlags) options() (repo.Options, error) {
	var opts repo.Options
	if f.now != "" {
		t, err := parseNow(f.now)
		if err != nil {
			return opts, err
		}
		opts.Now = t
	}
	if len(f.rootKeys) == 0 && f.rootCA == "" {
		return opts, nil
	}
	pin := &tuf.Pin{CertIDs: f.rootKeys}
	if f.rootCA != "" {
		pem, err := store.ReadFileLimit(f.rootCA, maxCAFile)
		if err != nil {
			return opts, fmt.Errorf("read --root-ca %s: %w", f.rootCA, err)
		}
		pin.CAs = x509.NewCertPool()
		if !pin.CAs.AppendCertsFromPEM(pem) {
			return opts, fmt.Errorf("--root-ca %s: no PEM certificate in file", f.rootCA)
		}
	}
	opts.Pin = pin
	return opts, nil
}

// openRepo verifies the cached trust data of gun; failures are trust data errors.
func (a *app) openRepo(gun string, opts repo.Options) (*repo.Repo, error) {
	r, err := repo.Open(store.Dir{Root: a.trustDir()}, gun, opts)
	if err != nil {
		return nil, a.noTrustData(gun, err)
	}
	if r.TrustOnFirstUse() {
		a.log.Warn("root not pinned: trusted as first seen in the trust dir", "repository", gun)
	}
	for _, bad := range r.Invalid() {
		a.log.Warn("delegation refused", "repository", gun, "reason", bad.Error())
	}
	return r, nil
}

// imageRef is an image reference given on the command line.
type imageRef struct {
	gun    string
	tag    string
	digest string
}

// parseImageRef normalises like docker (nginx → docker.io/library/nginx), keeping tag
// and digest both; no tag and no digest means the whole repository.
func parseImageRef(s string) (imageRef, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		if _, d, ok := strings.Cut(s, "@"); ok {
			if derr := digest.Digest(d).Validate(); derr != nil {
				return imageRef{}, fmt.Errorf("image reference %q: digest %s: %w", s, d, derr)
			}
		}
		return imageRef{}, fmt.Errorf("image reference %q: %w", s, err)
	}
	return imageRefOf(named), nil
}

func imageRefOf(named reference.Named) imageRef {
	ref := imageRef{gun: named.Name()}
	if t, ok := named.(reference.Tagged); ok {
		ref.tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		ref.digest = d.Digest().String()
	}
	return ref
}

// parseGUN accepts a repository name without tag or digest.
func parseGUN(s string) (string, error) {
	ref, err := parseImageRef(s)
	if err != nil {
		return "", err
	}
	if ref.tag != "" || ref.digest != "" || strings.Contains(s, "@") {
		return "", errors.New("give a repository without tag or digest: " + s)
	}
	return ref.gun, nil
}
