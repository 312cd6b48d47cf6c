package tuf

import (
	"errors"
	"testing"
)

func TestResolveKeyID(t *testing.T) {
	ids := []string{
		"3bedec58b0d2f06d74aeb9af56b151219c58cc33d1852ea7892696efbce87d77",
		"3bedec58b0d2aaaa74aeb9af56b151219c58cc33d1852ea7892696efbce87d77",
		"ab10d8615b7ef7575c62e689512ec35bb525aa099a320b6709672fb7a058fd62",
	}
	tests := []struct {
		given, want string
		wantErr     error
	}{
		{ids[2], ids[2], nil},
		{"ab10d8615b7e", ids[2], nil},
		{"ab10d8615b7ef75", ids[2], nil},
		{"ab10d8615b7", "", ErrKeyIDTooShort},
		{"3bedec58b0d2", "", ErrAmbiguousKeyID},
		{"3bedec58b0d2f", ids[0], nil},
		{"ffffffffffff", "", nil},
		{"", "", nil},
	}
	for _, tt := range tests {
		got, err := ResolveKeyID(tt.given, ids)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("ResolveKeyID(%q) = %q, %v; want %q, %v", tt.given, got, err, tt.want, tt.wantErr)
		}
	}
}
