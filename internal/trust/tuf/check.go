package tuf

// VerifySignatures checks that at least threshold distinct keys of keys signed the
// metadata file data, by the rules of verification (verifySignatures). Clients use it to
// tell whether a file they do not re-sign stays valid after its role's keys change.
func VerifySignatures(data []byte, keys map[string]PublicKey, threshold int) error {
	env, err := ParseEnvelope(data)
	if err != nil {
		return err
	}
	canonical, err := CanonicalJSON(env.Signed)
	if err != nil {
		return reasonf(ErrMalformed, "canonical form: %v", err)
	}
	_, err = verifySignatures(env.Signatures, canonical, keys, threshold)
	return err
}
