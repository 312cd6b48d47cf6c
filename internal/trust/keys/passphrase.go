package keys

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// PassphraseSource supplies the passphrases of key files.
type PassphraseSource interface {
	// Passphrase returns the passphrase for the key keyID (a canonical key ID, or the
	// name of the input when an encrypted key is imported) whose role is alias. newKey
	// asks for a passphrase to encrypt a file with; attempt counts the answers that
	// already failed to decrypt. An error ends the attempts; one wrapping
	// ErrWrongPassphrase means the source has nothing better to offer.
	Passphrase(alias, keyID string, newKey bool, attempt int) (string, error)
	// NewPassphrase returns the passphrase that replaces the current one of key keyID
	// (`key passwd`); it never comes from the variables of the current one, or nothing
	// would change.
	NewPassphrase(alias, keyID string) (string, error)
}

// Prompter reads a secret from the user without echo.
type Prompter interface {
	ReadPassword(prompt string) (string, error)
}

// Variables read for passphrases, notary's before docker's.
const (
	envNotaryRoot       = "NOTARY_ROOT_PASSPHRASE"
	envNotaryTargets    = "NOTARY_TARGETS_PASSPHRASE"
	envNotarySnapshot   = "NOTARY_SNAPSHOT_PASSPHRASE"
	envNotaryDelegation = "NOTARY_DELEGATION_PASSPHRASE"
	envDockerRoot       = "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE"
	envDockerRepository = "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"
	// EnvNewPassphrase gives `key passwd` its new passphrase without a terminal.
	EnvNewPassphrase = "TRUSTCTL_NEW_PASSPHRASE"
)

// minPassphraseLen is notary's minimum for passphrases typed for new keys.
const minPassphraseLen = 8

// NewPassphraseSource reads passphrases from the environment as notary and docker do,
// then from prompter (nil when stdin is not a terminal).
func NewPassphraseSource(getenv func(string) string, prompter Prompter) PassphraseSource {
	return &envPrompt{getenv: getenv, prompter: prompter}
}

type envPrompt struct {
	getenv   func(string) string
	prompter Prompter
}

// passphraseVars lists the variables consulted for an alias, in order.
func passphraseVars(alias string) []string {
	switch alias {
	case "root":
		return []string{envNotaryRoot, envDockerRoot}
	case "targets":
		return []string{envNotaryTargets, envDockerRepository}
	case "snapshot":
		return []string{envNotarySnapshot, envDockerRepository}
	case "timestamp":
		// notary has no variable: timestamp keys live on the server.
		return []string{envDockerRepository}
	default:
		return []string{envNotaryDelegation, envDockerRepository}
	}
}

func (s *envPrompt) Passphrase(alias, keyID string, newKey bool, attempt int) (string, error) {
	vars := passphraseVars(alias)
	for _, v := range vars {
		if p := s.getenv(v); p != "" {
			if attempt > 0 {
				// The same value would fail again.
				return "", fmt.Errorf("%w (from %s)", ErrWrongPassphrase, v)
			}
			return p, nil
		}
	}
	if s.prompter == nil {
		return "", fmt.Errorf("%w for %s key %s: set %s, or run in a terminal", ErrNoPassphrase, alias, keyID, strings.Join(vars, " or "))
	}
	if newKey {
		return s.promptNew(alias, keyID)
	}
	prompt := fmt.Sprintf("Enter passphrase for %s key %s: ", alias, keyID)
	if attempt > 0 {
		prompt = "Wrong passphrase. " + prompt
	}
	p, err := s.prompter.ReadPassword(prompt)
	if err != nil {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	return strings.TrimSpace(p), nil
}

func (s *envPrompt) NewPassphrase(alias, keyID string) (string, error) {
	if p := s.getenv(EnvNewPassphrase); p != "" {
		if utf8.RuneCountInString(p) < minPassphraseLen {
			return "", fmt.Errorf("%w for %s key %s: %s is shorter than %d characters", ErrNoPassphrase, alias, keyID, EnvNewPassphrase, minPassphraseLen)
		}
		return p, nil
	}
	if s.prompter == nil {
		return "", fmt.Errorf("%w for %s key %s: set %s to the new passphrase, or run in a terminal", ErrNoPassphrase, alias, keyID, EnvNewPassphrase)
	}
	return s.promptNew(alias, keyID)
}

// promptNew asks for a new passphrase twice, as notary does.
func (s *envPrompt) promptNew(alias, keyID string) (string, error) {
	note := ""
	for range maxAttempts {
		p, err := s.prompter.ReadPassword(fmt.Sprintf("%sEnter passphrase for new %s key with ID %s: ", note, alias, keyID))
		if err != nil {
			return "", fmt.Errorf("read passphrase: %w", err)
		}
		p = strings.TrimSpace(p)
		if utf8.RuneCountInString(p) < minPassphraseLen {
			note = fmt.Sprintf("Passphrase too short (at least %d characters). ", minPassphraseLen)
			continue
		}
		c, err := s.prompter.ReadPassword(fmt.Sprintf("Repeat passphrase for new %s key with ID %s: ", alias, keyID))
		if err != nil {
			return "", fmt.Errorf("read passphrase: %w", err)
		}
		if strings.TrimSpace(c) != p {
			note = "Passphrases do not match. "
			continue
		}
		return p, nil
	}
	return "", fmt.Errorf("%w for new %s key %s: no acceptable passphrase entered", ErrNoPassphrase, alias, keyID)
}
