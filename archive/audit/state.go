package audit

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/safefile"
)

// state is what a run saves to be resumed.
type state struct {
	Version  int             `json:"version"`
	Started  time.Time       `json:"started"`
	Sample   float64         `json:"sample"`
	Offset   uint16          `json:"offset"`
	After    string          `json:"after"`
	Read     int64           `json:"read"`
	Bytes    int64           `json:"bytes"`
	Failures []Failure       `json:"failures"`
	Events   []archive.Event `json:"events"` // parallel to Failures; zero Kind for none
	// ReadErrors are those of the chunks done.
	ReadErrors []ReadError `json:"read_errors,omitempty"`
}

func loadState(o Options) (state, bool, error) {
	fresh := func() (state, bool, error) {
		var b [2]byte
		if _, err := rand.Read(b[:]); err != nil {
			return state{}, false, err
		}
		return state{Version: 1, Started: o.Now().UTC().Truncate(time.Millisecond), Sample: o.Sample,
			Offset: binary.BigEndian.Uint16(b[:])}, false, nil
	}
	if o.StatePath == "" || o.Restart {
		return fresh()
	}
	b, err := safefile.ReadOwnFile(o.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return fresh()
	}
	if err != nil {
		return state{}, false, fmt.Errorf("audit: state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil || st.Version != 1 || len(st.Events) != len(st.Failures) {
		return state{}, false, fmt.Errorf("audit: state %s is unreadable (remove it, or run with --restart): %v", o.StatePath, err)
	}
	if st.Sample != o.Sample {
		return state{}, false, fmt.Errorf("audit: %s holds an interrupted run with sample %g%%, not %g%%: resume it with that sample, or start over with --restart", o.StatePath, st.Sample*100, o.Sample*100)
	}
	return st, true, nil
}

// saveState writes the state through safefile: a new file, synced and renamed
// over the old, so that a kill or a power cut leaves either the previous state
// or the new one; readable by its owner only (it names records and their
// failures); never through a symbolic link put at its path.
func saveState(path string, st state) error {
	if path == "" {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("audit: state: %w", err)
	}
	if err := safefile.WriteBytes(path, true, b); err != nil {
		return fmt.Errorf("audit: state: %w", err)
	}
	return nil
}
