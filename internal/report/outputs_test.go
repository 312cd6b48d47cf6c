package report

import (
	"reflect"
	"strings"
	"testing"
)

func TestOutputsPairByPosition(t *testing.T) {
	type flag struct{ name, value string }
	format := func(v string) flag { return flag{"format", v} }
	file := func(v string) flag { return flag{"output-file", v} }
	tests := []struct {
		name  string
		flags []flag
		want  []Output
		err   string
	}{
		{"default table", nil, []Output{{FormatTable, ""}}, ""},
		{"file follows its format, later format to stdout",
			[]flag{format("sarif"), file("out.sarif"), format("table")},
			[]Output{{FormatSARIF, "out.sarif"}, {FormatTable, ""}}, ""},
		{"first format to stdout, second to the file after it",
			[]flag{format("table"), format("junit"), file("report.xml")},
			[]Output{{FormatTable, ""}, {FormatJUnit, "report.xml"}}, ""},
		{"a file alone takes its extension's format; the table still prints",
			[]flag{file("r.json"), file("r.sarif.json"), file("R.XML"), file("x.sarif")},
			[]Output{{FormatTable, ""}, {FormatJSON, "r.json"}, {FormatSARIF, "r.sarif.json"}, {FormatJUnit, "R.XML"}, {FormatSARIF, "x.sarif"}}, ""},
		{"a file after a paired format infers its own",
			[]flag{format("json"), file("a.out"), file("b.sarif")},
			[]Output{{FormatJSON, "a.out"}, {FormatSARIF, "b.sarif"}}, ""},
		{"unknown extension without a format", []flag{file("report.txt")}, nil, "report.txt: no --format before it"},
		{"two formats to stdout", []flag{format("json"), format("table")}, nil, "2 formats would go to stdout"},
		{"unknown format", []flag{format("xml")}, nil, `unknown report format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOutputs()
			var err error
			for _, f := range tt.flags {
				if f.name == "format" {
					err = o.AddFormat(f.value)
				} else {
					err = o.AddFile(f.value)
				}
				if err != nil {
					break
				}
			}
			var got []Output
			if err == nil {
				got, err = o.List()
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
