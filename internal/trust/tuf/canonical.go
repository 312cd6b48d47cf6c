package tuf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
)

// negativeZero finds every -0 literal (and some look-alikes inside strings, which only
// cost the slow path).
var negativeZero = regexp.MustCompile(`-0([^0-9.eE]|$)`)

// CanonicalJSON returns the canonical form of one JSON value the way notary's signer
// and verifier compute it: members sorted, only `\` and `"` escaped, numbers as int64.
// Numbers go through float64 like notary's decoder does, so `1e2` becomes `100`;
// fractions and numbers beyond int64 are refused (notary cannot encode them).
func CanonicalJSON(raw []byte) ([]byte, error) {
	if out, ok := appendCanonicalFast(nil, raw); ok {
		return out, nil
	}
	return canonicalSlow(raw)
}

// canonicalSlow decodes raw and encodes it with cjson, the reference the fast path is
// tested against; it decides every input the fast path is not sure about.
func canonicalSlow(raw []byte) ([]byte, error) {
	// One decoding instead of two: with integer literals only, cjson's own output is
	// notary's. -0 is one integer literal notary writes differently; integers beyond
	// 2^53, which notary rounds through float64 and cjson keeps, are another.
	if !negativeZero.Match(raw) {
		if out, err := cjson.EncodeCanonical(json.RawMessage(raw)); err == nil {
			return out, nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after JSON value")
	}
	v, err := normaliseNumbers(v)
	if err != nil {
		return nil, err
	}
	return cjson.EncodeCanonical(v)
}

func normaliseNumbers(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", x, err)
		}
		if f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
			return nil, fmt.Errorf("number %s is not a 64-bit integer", x)
		}
		return json.Number(strconv.FormatInt(int64(f), 10)), nil
	case map[string]any:
		for k, e := range x {
			n, err := normaliseNumbers(e)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
	case []any:
		for i, e := range x {
			n, err := normaliseNumbers(e)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
	}
	return v, nil
}
