package tuf

// maxAttemptsPerKey bounds the signature checks one key gets, so a hostile file listing
// thousands of bad signatures by a role key cannot make verification slow.
const maxAttemptsPerKey = 3

// verifySignatures checks that at least threshold distinct keys of keys signed the
// canonical bytes. Keys are distinct by their public key, not by ID: the plain and the
// certificate form of one key count once, as do repeated signatures. Signatures by
// other keys, with unknown methods or that do not verify are ignored, as in notary; a
// shortfall is ErrSignature when a role key's signature failed (the data was altered),
// ErrThreshold otherwise. It returns the IDs, in both forms, of the keys whose
// signatures verified.
func verifySignatures(sigs []Signature, canonical []byte, keys map[string]PublicKey, threshold int) ([]string, error) {
	if len(sigs) == 0 {
		return nil, reasonf(ErrSignature, "no signatures")
	}
	valid := make(map[string]bool)
	var signers []string
	attempts := make(map[string]int)
	bad := 0
	for _, s := range sigs {
		k, ok := keys[s.KeyID]
		if !ok {
			continue
		}
		who, err := k.CanonicalID()
		if err != nil || valid[who] || attempts[who] >= maxAttemptsPerKey {
			continue
		}
		attempts[who]++
		if VerifySignature(k, s.Method, canonical, s.Sig) == nil {
			valid[who] = true
			signers = append(signers, s.KeyID)
			if who != s.KeyID {
				signers = append(signers, who)
			}
		} else {
			bad++
		}
	}
	switch {
	case len(valid) >= threshold:
		return signers, nil
	case bad > 0:
		return nil, reasonf(ErrSignature, "%d signatures by keys of the role do not verify; %d valid, threshold %d", bad, len(valid), threshold)
	default:
		return nil, reasonf(ErrThreshold, "%d distinct keys of the role signed, threshold %d", len(valid), threshold)
	}
}
