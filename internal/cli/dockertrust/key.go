package dockertrust

import (
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/store"
)

func validName(name string) bool { return keys.ValidSignerName(name) }

func nameError(what, name string) error {
	return fmt.Errorf("%s name \"%s\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" after the first character", what, name)
}

func (e *env) keyGenerateCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "generate NAME",
		Short: "Generate and load a signing key-pair",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.keyGenerate(args[0], dir)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "Directory to generate key in, defaults to current directory")
	return cmd
}

// keyGenerate is docker's key generate: a P-256 key of role NAME, encrypted into the
// trust dir, and NAME.pub in dir (which must exist) for the repository owner.
func (e *env) keyGenerate(name, dir string) error {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		dir = wd
	}
	if !validName(name) {
		return nameError("key", name)
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("public key path does not exist: \"%s\"", dir)
	}
	pubPath := filepath.Join(dir, name+".pub")
	if _, err := os.Stat(pubPath); err == nil {
		return fmt.Errorf("public key file already exists: \"%s\"", pubPath)
	}
	fmt.Fprintf(e.streams.Out, "Generating key for %s...\n", name)
	unlock, err := e.trustDir().Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := e.keyStore().GenerateSigner(name, pubPath); err != nil {
		return fmt.Errorf("failed to generate key for %s: %w", name, err)
	}
	fmt.Fprintln(e.streams.Out, "Successfully generated and loaded private key. Corresponding public key available:", pubPath)
	return nil
}

func (e *env) keyLoadCommand() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "load [OPTIONS] KEYFILE",
		Short: "Load a private key file for signing",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.keyLoad(args[0], name)
		},
	}
	cmd.Flags().StringVar(&name, "name", "signer", "Name for the loaded key")
	return cmd
}

// maxKeyFile bounds a key file given to load.
const maxKeyFile = 1 << 20

// keyLoad is docker's key load: a private key file readable by its owner only is
// encrypted into the trust dir with role NAME (or the role its PEM header names).
func (e *env) keyLoad(path, name string) error {
	if name != "" && !validName(name) {
		return nameError("key", name)
	}
	fmt.Fprintf(e.streams.Out, "Loading key from \"%s\"...\n", path)
	refuse := func(err error) error { return fmt.Errorf("refusing to load key from %s: %w", path, err) }
	if runtime.GOOS != "windows" {
		info, err := os.Stat(path)
		if err != nil {
			return refuse(err)
		}
		if info.Mode()&0o077 != 0 {
			return refuse(fmt.Errorf("private key file %s must not be readable or writable by others", path))
		}
	}
	data, err := store.ReadFileLimit(path, maxKeyFile)
	if err != nil {
		return refuse(err)
	}
	if !hasPrivateKey(data) {
		return fmt.Errorf("error importing key from %s: provided file %s is not a supported private key - to add a signer's public key use docker trust signer add", path, path)
	}
	if _, err := e.keyStore().Import(data, path, name, "", false); err != nil {
		return fmt.Errorf("error importing key from %s: %w", path, err)
	}
	fmt.Fprintln(e.streams.Out, "Successfully imported key from", path)
	return nil
}

// hasPrivateKey tells whether the first PEM block is a private key, which is what
// docker checks before importing.
func hasPrivateKey(data []byte) bool {
	block, _ := pem.Decode(data)
	if block == nil {
		return false
	}
	switch block.Type {
	case "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
		return true
	}
	return false
}

var errNoKeys = errors.New("path to a public key must be provided using the `--key` flag")
