package households

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
)

// Problem is one thing wrong with an imported file: where (the line of the file,
// the household, the column; each may be empty) and what.
type Problem struct {
	Line      int    `json:"line,omitempty"`
	Household string `json:"household,omitempty"`
	Column    string `json:"column,omitempty"`
	Message   string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Household != "" {
		fmt.Fprintf(&b, "household %s: ", p.Household)
	}
	if p.Column != "" {
		fmt.Fprintf(&b, "column %s: ", p.Column)
	}
	b.WriteString(p.Message)
	return b.String()
}

// ImportError lists every problem of a file that was refused: nothing of it was
// stored. It matches archive.ErrInvalid.
type ImportError struct {
	// What was imported ("household register of CC-2026-001", "table of …").
	What     string
	Problems []Problem
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "households: %s refused, %d problem(s), nothing stored", e.What, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, archive.ErrInvalid) true.
func (e *ImportError) Unwrap() error { return archive.ErrInvalid }

// Lines returns the problems one per line, for a command that prints a list.
func (e *ImportError) Lines() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.String()
	}
	return out
}

// Sentinel errors.
var (
	// ErrNoRegister: the project has no household register yet.
	ErrNoRegister = errors.New("no household register")
	// ErrNoHousehold: the register has no such household.
	ErrNoHousehold = errors.New("no such household")
	// ErrReasonRequired: a correction (a version after the first) names no reason.
	ErrReasonRequired = errors.New("a correction needs its reason")
)
