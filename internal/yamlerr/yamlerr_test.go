package yamlerr

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestLocate(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
		msg        string
	}{
		{"unclosed flow sequence", "services:\n  web:\n    image: [oops\n", 3, ""},
		{"bad indentation", "a:\n  b: 1\n c: 2\n", 3, ""},
		{"tab", "a:\n\tb: 1\n", 2, "found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			err := yaml.Unmarshal([]byte(tt.data), &doc)
			if err == nil {
				t.Fatal("no error")
			}
			line, msg := Locate([]byte(tt.data), err)
			if line != tt.line || tt.msg != "" && msg != tt.msg {
				t.Errorf("Locate = %d %q, want line %d %q (yaml said %v)", line, msg, tt.line, tt.msg, err)
			}
		})
	}
}
