package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/procedure"
)

// calendarFlags name a deployment's own calendar data: a folder of holiday
// year files (for years the built-in data does not have yet, or corrected
// ones) and a clock-rules file overriding the built-in rules (docs/clocks.md).
type calendarFlags struct {
	holidays   string
	clockRules string
}

func (fl *calendarFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&fl.holidays, "holidays", "", "folder of holiday year files (YYYY.json, docs/clocks.md) added to the built-in ones")
	f.StringVar(&fl.clockRules, "clock-rules", "", "clock rules file (JSON, docs/clocks.md) overriding the built-in rules")
}

// clocks are the calendar and clock rules of a deployment: the built-in ones
// with the flags' files over them. A command builds them once and gives the
// same to every clock it keeps (the projects' procedure, the households'
// objection clocks, the requests' answers), so that no two clocks of one
// server count on different calendars.
type clocks struct {
	cal   *calendar.Calendar
	rules *calendar.Rules
}

// clocks reads the flags' files (the built-in data when neither is given).
func (fl *calendarFlags) clocks() (clocks, error) {
	cal := calendar.Default()
	if fl.holidays != "" {
		fi, err := os.Stat(fl.holidays)
		if err != nil || !fi.IsDir() {
			return clocks{}, fmt.Errorf("--holidays %s: want a folder of year files (%v)", fl.holidays, err)
		}
		if cal, err = calendar.Load(os.DirFS(fl.holidays)); err != nil {
			return clocks{}, fmt.Errorf("--holidays %s: %w", fl.holidays, err)
		}
	}
	rules := calendar.DefaultRules()
	if fl.clockRules != "" {
		f, err := safefile.Open(fl.clockRules)
		if err != nil {
			return clocks{}, fmt.Errorf("--clock-rules: %w", err)
		}
		defer f.Close()
		if rules, err = calendar.LoadRules(f); err != nil {
			return clocks{}, fmt.Errorf("--clock-rules %s: %w", fl.clockRules, err)
		}
	}
	return clocks{cal: cal, rules: rules}, nil
}

// procedure is the project timelines' procedure on these clocks.
func (c clocks) procedure(cat *archive.Catalogue) (*procedure.Procedure, error) {
	p, err := procedure.New(cat, c.cal, c.rules, procedure.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("--holidays, --clock-rules: %w", err)
	}
	return p, nil
}
