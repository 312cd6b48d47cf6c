package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	trust := New(ErrTrustData, "notary server unavailable")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, OK},
		{"no kind is input", errors.New("read policy.yml: no such file"), Input},
		{"usage", Mark(ErrUsage, errors.New("unknown flag")), Input},
		{"trust data sentinel, wrapped", fmt.Errorf("fetch x: %w", trust), TrustData},
		{"violation", Mark(ErrViolation, errors.New("1 failed")), Violation},
		{"violation outranks trust data", errors.Join(fmt.Errorf("a: %w", trust), Mark(ErrViolation, errors.New("b"))), Violation},
		{"trust data in a join", errors.Join(errors.New("bad flag"), trust), TrustData},
	}
	for _, tt := range tests {
		if got := Of(tt.err); got != tt.want {
			t.Errorf("%s: Of(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
	if !errors.Is(trust, trust) || trust.Error() != "notary server unavailable" {
		t.Errorf("a sentinel of a kind keeps its identity and message")
	}
	m := Mark(ErrTrustData, errors.New("x"))
	if m.Error() != "x" || Mark(ErrUsage, nil) != nil {
		t.Errorf("Mark keeps the message and nil")
	}
}
