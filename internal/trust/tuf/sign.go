package tuf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
)

// Sign checks meta as a verifier would, canonicalises it and signs the canonical bytes
// with every signer. role names the file (targets files need it to check their
// delegations). Target custom data is canonicalised first: notary signs it verbatim but
// verifies its canonical form, so anything else would not verify. Target names with
// control characters are refused: their canonical form is not valid JSON and notary
// cannot publish them.
func Sign(role string, meta Metadata, signers ...*Signer) (*Envelope, error) {
	if err := checkForSigning(role, meta); err != nil {
		return nil, fmt.Errorf("sign %s: %w", role, err)
	}
	if t, ok := meta.(*Targets); ok {
		c := *t
		c.Targets = maps.Clone(t.Targets)
		for name, fm := range c.Targets {
			if len(fm.Custom) == 0 {
				continue
			}
			custom, err := CanonicalJSON(fm.Custom)
			if err != nil {
				return nil, fmt.Errorf("sign %s: custom data of %q: %w", role, name, err)
			}
			fm.Custom = custom
			c.Targets[name] = fm
		}
		meta = &c
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", role, err)
	}
	canonical, err := CanonicalJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", role, err)
	}
	if !json.Valid(canonical) {
		return nil, fmt.Errorf("sign %s: a string contains control characters, which notary cannot publish", role)
	}
	env := &Envelope{Signed: canonical, Signatures: []Signature{}}
	for _, s := range signers {
		sig, err := s.Sign(canonical)
		if err != nil {
			return nil, fmt.Errorf("sign %s: %w", role, err)
		}
		env.Signatures = append(env.Signatures, sig)
	}
	return env, nil
}

func checkForSigning(role string, meta Metadata) error {
	switch m := meta.(type) {
	case *Root:
		return m.check()
	case *Snapshot:
		return m.check()
	case *Timestamp:
		return m.check()
	case *Targets:
		if role != RoleTargets && !IsDelegation(role) {
			return fmt.Errorf("%q is not a targets role", role)
		}
		if m.index != nil {
			// Their Targets map is nil: the file would lose every target.
			return errors.New("targets read with LazyTargets cannot be signed")
		}
		for name := range m.Targets {
			if strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 }) {
				return fmt.Errorf("target name %q contains control characters", name)
			}
		}
		return m.check(role)
	}
	return fmt.Errorf("unsupported metadata %T", meta)
}

// MarshalFile encodes the envelope byte for byte as notary writes metadata files: the
// canonical "signed" with <, >, &, U+2028 and U+2029 escaped as Go's encoding/json
// does, then the signatures with members keyid, method, sig, and no trailing newline.
func (e *Envelope) MarshalFile() ([]byte, error) {
	canonical, err := CanonicalJSON(e.Signed)
	if err != nil {
		return nil, err
	}
	if !json.Valid(canonical) {
		return nil, errors.New("signed data contains control characters")
	}
	sigs := e.Signatures
	if sigs == nil {
		sigs = []Signature{}
	}
	sigJSON, err := json.Marshal(sigs)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"signed":`)
	json.HTMLEscape(&b, canonical)
	b.WriteString(`,"signatures":`)
	b.Write(sigJSON)
	b.WriteString(`}`)
	return b.Bytes(), nil
}
