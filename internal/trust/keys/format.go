package keys

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
)

// PEM block types of private keys.
const (
	pemEncrypted = "ENCRYPTED PRIVATE KEY" // PKCS#8 PBES2: what notary writes
	pemPKCS8     = "PRIVATE KEY"
	pemSEC1      = "EC PRIVATE KEY"
	pemPKCS1     = "RSA PRIVATE KEY"
	pemEd25519   = "ED25519 PRIVATE KEY" // notary's 96-byte blob
	pemECParams  = "EC PARAMETERS"       // `openssl ecparam -genkey` writes it before the key
)

var (
	oidPBES2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1      = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECDSA         = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidNotaryEd25519 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 15, 1}
	oidP256          = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384          = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidP521          = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
)

// Parameters of the files we write: exactly notary's (tuf/utils/pkcs8.go).
const (
	writeIterations = 2048
	saltSize        = 8
)

// maxIterations bounds the PBKDF2 work a hostile file can demand.
const maxIterations = 1 << 22

// minRSABits is notary's floor for RSA keys.
const minRSABits = 2048

// errBadPassphrase: the passphrase does not decrypt the block. Callers turn it into
// ErrWrongPassphrase with the key's name.
var errBadPassphrase = errors.New("passphrase does not decrypt the key")

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// pbkdf2Written is what notary writes: no keyLength, no PRF (notary ignores both and
// always uses HMAC-SHA1).
type pbkdf2Written struct {
	Salt       []byte
	Iterations int
}

// notaryPKCS8 is notary's PKCS#8 variant: the algorithm is a SEQUENCE OF OID, so RSA has
// no NULL parameter and ECDSA names its curve as a second OID.
type notaryPKCS8 struct {
	Version    int
	Algorithm  []asn1.ObjectIdentifier
	PrivateKey []byte
}

// isEncrypted tells whether a block needs a passphrase.
// Encrypted tells whether the PEM private key in data is encrypted; a key file of the
// legacy layout may hold it in the clear, and `key export` says so before copying it.
func Encrypted(data []byte) bool {
	block, _ := pem.Decode(data)
	return block != nil && isEncrypted(block)
}

func isEncrypted(b *pem.Block) bool {
	//lint:ignore SA1019 legacy RFC 1423 keys must stay readable (notary reads them)
	return b.Type == pemEncrypted || x509.IsEncryptedPEMBlock(b)
}

// parseBlock decodes the private key of a PEM block, decrypting it with passphrase when
// it is encrypted. Errors wrap ErrInvalidKey, or are errBadPassphrase.
func parseBlock(b *pem.Block, passphrase string) (crypto.Signer, error) {
	var (
		key any
		err error
	)
	switch b.Type {
	case pemEncrypted:
		var der []byte
		if der, err = decryptPKCS8(b.Bytes, passphrase); err != nil {
			return nil, err
		}
		if key, err = parsePKCS8(der); err != nil {
			// Garbage from a wrong key that happened to have valid padding.
			return nil, errBadPassphrase
		}
	case pemPKCS8:
		if key, err = parsePKCS8(b.Bytes); err != nil {
			return nil, fmt.Errorf("%w: PKCS#8: %v", ErrInvalidKey, err)
		}
	case pemSEC1, pemPKCS1, pemEd25519:
		der := b.Bytes
		encrypted := isEncrypted(b)
		if encrypted {
			//lint:ignore SA1019 legacy RFC 1423 keys must stay readable (notary reads them)
			der, err = x509.DecryptPEMBlock(b, []byte(passphrase))
			if errors.Is(err, x509.IncorrectPasswordError) {
				return nil, errBadPassphrase
			}
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
			}
		}
		if key, err = parseLegacy(b.Type, der); err != nil {
			if encrypted {
				return nil, errBadPassphrase
			}
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidKey, b.Type, err)
		}
	case "CERTIFICATE", "PUBLIC KEY", "RSA PUBLIC KEY", "EC PUBLIC KEY":
		return nil, fmt.Errorf("%w: %s given, not a private key", ErrInvalidKey, b.Type)
	default:
		return nil, fmt.Errorf("%w: unsupported PEM type %q", ErrInvalidKey, b.Type)
	}
	return checkKey(key)
}

// checkKey keeps the key types and sizes notary signs with.
func checkKey(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return k, nil
		}
		return nil, fmt.Errorf("%w: unsupported curve %s", ErrInvalidKey, k.Curve.Params().Name)
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("%w: RSA key of %d bits, at least %d required", ErrInvalidKey, bits, minRSABits)
		}
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("%w: unsupported key type %T", ErrInvalidKey, key)
}

func parseLegacy(pemType string, der []byte) (any, error) {
	switch pemType {
	case pemSEC1:
		return x509.ParseECPrivateKey(der)
	case pemPKCS1:
		return x509.ParsePKCS1PrivateKey(der)
	default:
		return parseEd25519Blob(der)
	}
}

// parsePKCS8 reads notary's variant as well as standard PKCS#8 (RFC 8410 Ed25519
// included, which notary itself refuses).
func parsePKCS8(der []byte) (any, error) {
	var n struct {
		Version    int
		Algorithm  pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if _, err := asn1.Unmarshal(der, &n); err == nil && n.Algorithm.Algorithm.Equal(oidNotaryEd25519) {
		return parseEd25519Blob(n.PrivateKey)
	}
	// Go's parser takes notary's ECDSA (version 1, curve OID as parameter) and RSA
	// (no NULL parameter) forms as they are.
	return x509.ParsePKCS8PrivateKey(der)
}

// parseEd25519Blob reads notary's 96 bytes: public key ‖ Go private key (seed ‖ public).
func parseEd25519Blob(b []byte) (ed25519.PrivateKey, error) {
	if len(b) != ed25519.PublicKeySize+ed25519.PrivateKeySize {
		return nil, fmt.Errorf("ed25519 key of %d bytes, want 96", len(b))
	}
	priv := ed25519.NewKeyFromSeed(b[ed25519.PublicKeySize : ed25519.PublicKeySize+ed25519.SeedSize])
	if !bytes.Equal(priv, b[ed25519.PublicKeySize:]) || !bytes.Equal(priv.Public().(ed25519.PublicKey), b[:ed25519.PublicKeySize]) {
		return nil, errors.New("inconsistent ed25519 key")
	}
	return priv, nil
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo with PBES2 / PBKDF2 / AES-CBC. Unlike
// notary it honours the PRF field, so OpenSSL 3 files (HMAC-SHA256) read correctly.
func decryptPKCS8(der []byte, passphrase string) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("%w: malformed encrypted PKCS#8: %v", ErrInvalidKey, err)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("%w: encryption %v is not PBES2", ErrInvalidKey, info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("%w: malformed PBES2 parameters: %v", ErrInvalidKey, err)
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w: key derivation %v is not PBKDF2", ErrInvalidKey, params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("%w: malformed PBKDF2 parameters: %v", ErrInvalidKey, err)
	}
	if kdf.Iterations < 1 || kdf.Iterations > maxIterations {
		return nil, fmt.Errorf("%w: PBKDF2 iteration count %d out of range", ErrInvalidKey, kdf.Iterations)
	}
	prf, err := prfHash(kdf.PRF.Algorithm)
	if err != nil {
		return nil, err
	}
	keySize, err := aesKeySize(params.EncryptionScheme.Algorithm)
	if err != nil {
		return nil, err
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keySize {
		return nil, fmt.Errorf("%w: PBKDF2 key length %d does not fit the cipher", ErrInvalidKey, kdf.KeyLength)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, fmt.Errorf("%w: bad AES-CBC IV", ErrInvalidKey)
	}
	data := info.EncryptedData
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: encrypted data of %d bytes", ErrInvalidKey, len(data))
	}
	key, err := pbkdf2.Key(prf, passphrase, kdf.Salt, kdf.Iterations, keySize)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errBadPassphrase
	}
	return plain[:len(plain)-pad], nil
}

// prfHash maps the PBKDF2 PRF; an absent field means HMAC-SHA1 (RFC 8018).
func prfHash(oid asn1.ObjectIdentifier) (func() hash.Hash, error) {
	switch {
	case len(oid) == 0, oid.Equal(oidHMACSHA1):
		return sha1.New, nil
	case oid.Equal(oidHMACSHA256):
		return sha256.New, nil
	case oid.Equal(oidHMACSHA384):
		return sha512.New384, nil
	case oid.Equal(oidHMACSHA512):
		return sha512.New, nil
	}
	return nil, fmt.Errorf("%w: unsupported PBKDF2 PRF %v", ErrInvalidKey, oid)
}

func aesKeySize(oid asn1.ObjectIdentifier) (int, error) {
	switch {
	case oid.Equal(oidAES128CBC):
		return 16, nil
	case oid.Equal(oidAES192CBC):
		return 24, nil
	case oid.Equal(oidAES256CBC):
		return 32, nil
	}
	return 0, fmt.Errorf("%w: unsupported cipher %v", ErrInvalidKey, oid)
}

// marshalNotaryPKCS8 encodes a key in notary's PKCS#8 variant.
func marshalNotaryPKCS8(key crypto.Signer) ([]byte, error) {
	var n notaryPKCS8
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		var curve asn1.ObjectIdentifier
		switch k.Curve {
		case elliptic.P256():
			curve = oidP256
		case elliptic.P384():
			curve = oidP384
		case elliptic.P521():
			curve = oidP521
		default:
			return nil, fmt.Errorf("%w: unsupported curve %s", ErrInvalidKey, k.Curve.Params().Name)
		}
		sec1, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, err
		}
		// Version 1 as notary writes it, although RFC 5958 reserves 1 for keys with a
		// separate public key field.
		n = notaryPKCS8{Version: 1, Algorithm: []asn1.ObjectIdentifier{oidECDSA, curve}, PrivateKey: sec1}
	case *rsa.PrivateKey:
		n = notaryPKCS8{Algorithm: []asn1.ObjectIdentifier{oidRSA}, PrivateKey: x509.MarshalPKCS1PrivateKey(k)}
	case ed25519.PrivateKey:
		blob := append(append([]byte(nil), k.Public().(ed25519.PublicKey)...), k...)
		n = notaryPKCS8{Algorithm: []asn1.ObjectIdentifier{oidNotaryEd25519}, PrivateKey: blob}
	default:
		return nil, fmt.Errorf("%w: unsupported key type %T", ErrInvalidKey, key)
	}
	return asn1.Marshal(n)
}

// encryptPKCS8 wraps plain in an EncryptedPrivateKeyInfo as notary writes it: PBES2,
// PBKDF2-HMAC-SHA1 without PRF field, 8-byte salt, 2048 iterations, AES-256-CBC.
func encryptPKCS8(plain []byte, passphrase string) ([]byte, error) {
	salt := make([]byte, saltSize)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(sha1.New, passphrase, salt, writeIterations, 32)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	data := append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)

	kdfParams, err := asn1.Marshal(pbkdf2Written{Salt: salt, Iterations: writeIterations})
	if err != nil {
		return nil, err
	}
	ivParam, err := asn1.Marshal(iv)
	if err != nil {
		return nil, err
	}
	schemeParams, err := asn1.Marshal(pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdfParams}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivParam}},
	})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm:     pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: schemeParams}},
		EncryptedData: data,
	})
}

// encodeKeyFile makes the content of a key file: an ENCRYPTED PRIVATE KEY block with a
// role header and, when given, a gun header.
func encodeKeyFile(key crypto.Signer, role, gun, passphrase string) ([]byte, error) {
	if passphrase == "" {
		return nil, fmt.Errorf("%w: refusing to store a key without a passphrase", ErrNoPassphrase)
	}
	plain, err := marshalNotaryPKCS8(key)
	if err != nil {
		return nil, err
	}
	der, err := encryptPKCS8(plain, passphrase)
	clear(plain)
	if err != nil {
		return nil, err
	}
	headers := map[string]string{"role": role}
	if gun != "" {
		headers["gun"] = gun
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemEncrypted, Headers: headers, Bytes: der}), nil
}
