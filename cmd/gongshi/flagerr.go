package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError turns a flag the command line got wrong into one line that names
// the flag, what was given, what it wants and where the help is, instead of
// pflag's words ("invalid argument … strconv.Atoi: parsing …: invalid syntax").
func flagError(c *cobra.Command, err error) error {
	help := fmt.Sprintf("see '%s --help'", c.CommandPath())
	var invalid *pflag.InvalidValueError
	var missing *pflag.ValueRequiredError
	var unknown *pflag.NotExistError
	switch {
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		return fmt.Errorf("--%s %q: want %s (%s)", f.Name, invalid.GetValue(), wantOf(f), help)
	case errors.As(err, &missing):
		f := c.Flags().Lookup(missing.GetSpecifiedName())
		if f == nil {
			return fmt.Errorf("--%s needs a value (%s)", missing.GetSpecifiedName(), help)
		}
		return fmt.Errorf("--%s needs a value: %s, e.g. --%s %s (%s)", f.Name, wantOf(f), f.Name, exampleOf(f), help)
	case errors.As(err, &unknown):
		return fmt.Errorf("%s is not a flag of %s (%s)", dashed(unknown.GetSpecifiedName()), c.CommandPath(), help)
	}
	return fmt.Errorf("%s: %w (%s)", c.CommandPath(), err, help)
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// wantOf says what a flag's value must be, from its type and its usage.
func wantOf(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "int", "int64", "int32":
		return "a whole number (" + f.Usage + ")"
	case "uint", "uint64", "uint32":
		return "a whole number, 0 or more (" + f.Usage + ")"
	case "intSlice", "int64Slice", "uintSlice":
		return "whole numbers separated by commas, e.g. 2023,2024 (" + f.Usage + ")"
	case "duration":
		return "a duration such as 500ms, 10s or 2m (" + f.Usage + ")"
	case "bool":
		return "true or false (" + f.Usage + ")"
	case "float64", "float32":
		return "a number (" + f.Usage + ")"
	}
	return f.Usage
}

func exampleOf(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "int", "int64", "int32", "uint", "uint64", "uint32", "intSlice", "int64Slice", "uintSlice":
		return "20"
	case "duration":
		return "10s"
	}
	return "VALUE"
}
