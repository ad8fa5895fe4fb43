// Package envflag defines command-line flags that can also be set by
// MILLWRIGHT_* environment variables. A flag given on the command line wins
// over the variable, and the variable over the default.
package envflag

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Prefix is the prefix of every environment variable.
const Prefix = "MILLWRIGHT_"

// Var is one flag with its environment variable.
type Var struct {
	Flag    string
	Env     string
	Default string
	Usage   string
}

// Set is a flag set whose flags have environment variables.
type Set struct {
	*flag.FlagSet
	vars map[string]Var
}

// NewSet returns an empty set named for a command.
func NewSet(name string) *Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	s := &Set{FlagSet: fs, vars: map[string]Var{}}
	fs.Usage = func() { s.PrintUsage() }
	return s
}

// EnvName is the environment variable of a flag: MILLWRIGHT_ and the flag
// name in upper case with dashes as underscores.
func EnvName(flagName string) string {
	return Prefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (s *Set) define(name, def, usage string) {
	s.vars[name] = Var{Flag: name, Env: EnvName(name), Default: def, Usage: usage}
}

// String defines a string flag.
func (s *Set) String(p *string, name, def, usage string) {
	s.define(name, def, usage)
	s.StringVar(p, name, def, usage)
}

// Duration defines a duration flag.
func (s *Set) Duration(p *time.Duration, name string, def time.Duration, usage string) {
	s.define(name, def.String(), usage)
	s.DurationVar(p, name, def, usage)
}

// Int defines an int flag.
func (s *Set) Int(p *int, name string, def int, usage string) {
	s.define(name, fmt.Sprint(def), usage)
	s.IntVar(p, name, def, usage)
}

// Float defines a float flag.
func (s *Set) Float(p *float64, name string, def float64, usage string) {
	s.define(name, fmt.Sprint(def), usage)
	s.Float64Var(p, name, def, usage)
}

// Bool defines a bool flag.
func (s *Set) Bool(p *bool, name string, def bool, usage string) {
	s.define(name, fmt.Sprint(def), usage)
	s.BoolVar(p, name, def, usage)
}

// Parse applies the environment, then the arguments.
func (s *Set) Parse(args []string) error {
	for name, v := range s.vars {
		if val, ok := os.LookupEnv(v.Env); ok {
			if err := s.FlagSet.Set(name, val); err != nil {
				return fmt.Errorf("%s: %w", v.Env, err)
			}
		}
	}
	return s.FlagSet.Parse(args)
}

// Vars lists the flags, sorted by name.
func (s *Set) Vars() []Var {
	out := make([]Var, 0, len(s.vars))
	for _, v := range s.vars {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Flag < out[j].Flag })
	return out
}

// PrintUsage prints every flag with its variable and default.
func (s *Set) PrintUsage() {
	w := s.Output()
	fmt.Fprintf(w, "Usage of %s:\n", s.Name())
	for _, v := range s.Vars() {
		fmt.Fprintf(w, "  --%s (env %s, default %q)\n      %s\n", v.Flag, v.Env, v.Default, v.Usage)
	}
}
