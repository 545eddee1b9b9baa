package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Versioned is a file whose JSON carries "schema".
type Versioned interface {
	SchemaVersion() int
}

// Decode reads one JSON object of at most max bytes from r into v, refusing unknown
// fields and anything after the object, and checks that v's schema is want.
func Decode(r io.Reader, max int64, v Versioned, want int) error {
	dec := json.NewDecoder(io.LimitReader(r, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	if got := v.SchemaVersion(); got != want {
		return fmt.Errorf("schema %d: this version reads schema %d", got, want)
	}
	return nil
}
