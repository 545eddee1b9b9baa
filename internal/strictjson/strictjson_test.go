package strictjson

import (
	"strings"
	"testing"
)

type file struct {
	Schema int    `json:"schema"`
	Name   string `json:"name"`
}

func (f *file) SchemaVersion() int { return f.Schema }

func TestDecode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"schema": 1, "name": "a"}`, ""},
		{`{"schema": 1, "name": "a"}` + "\n", ""},
		{`{"schema": 2, "name": "a"}`, "schema 2: this version reads schema 1"},
		{`{"schema": 1, "nmae": "a"}`, `unknown field "nmae"`},
		{`{"schema": 1} {"schema": 1}`, "data after the JSON object"},
		{`{"schema": 1, "name": "` + strings.Repeat("a", 100) + `"}`, "unexpected EOF"},
		{``, "EOF"},
	} {
		var f file
		err := Decode(strings.NewReader(tc.in), 64, &f, 1)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Decode(%.30q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}
