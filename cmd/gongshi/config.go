package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/blob/s3"
	"github.com/gongshi-archive/gongshi/staff"
)

// config holds the settings every command shares. Each has a flag and an
// environment variable; the flag wins when both are given.
type config struct {
	data       string
	s3Endpoint string
	s3Bucket   string
	s3Access   string
	s3Secret   string
	s3Region   string
	s3Mode     string
	s3Insecure bool
	origin     string
	synonyms   string
	// retentionSchedule is the deployment's retention schedule file.
	retentionSchedule string
	// now is the clock of the command (env.now): the fs store enforces locks by it.
	now    func() time.Time
	argon2 string
}

// setting ties a persistent flag to its environment variable.
type setting struct {
	flag, env, usage string
	str              *string
	boolean          *bool
}

func (c *config) settings() []setting {
	return []setting{
		{flag: "data", env: "GONGSHI_DATA", str: &c.data,
			usage: "data directory: the embedded archive store, or with S3 only local state"},
		{flag: "s3-endpoint", env: "GONGSHI_S3_ENDPOINT", str: &c.s3Endpoint,
			usage: "S3 server as host:port; when set, the archive lives in the S3 bucket"},
		{flag: "s3-bucket", env: "GONGSHI_S3_BUCKET", str: &c.s3Bucket,
			usage: "S3 bucket, created with object lock when absent"},
		{flag: "s3-access-key", env: "GONGSHI_S3_ACCESS_KEY", str: &c.s3Access, usage: "S3 access key"},
		{flag: "s3-secret-key", env: "GONGSHI_S3_SECRET_KEY", str: &c.s3Secret,
			usage: "S3 secret key (prefer the environment variable: flags show in process lists)"},
		{flag: "s3-region", env: "GONGSHI_S3_REGION", str: &c.s3Region, usage: "S3 region (optional)"},
		{flag: "s3-mode", env: "GONGSHI_S3_MODE", str: &c.s3Mode,
			usage: "object lock mode: compliance (default, for production) or governance"},
		{flag: "s3-insecure", env: "GONGSHI_S3_INSECURE", boolean: &c.s3Insecure,
			usage: "use plain http to the S3 server (tests and closed networks only)"},
		{flag: "ledger-origin", env: "GONGSHI_LEDGER_ORIGIN", str: &c.origin,
			usage: "name of the ledger, used when its signing key is generated (default " + defaultOrigin + ")"},
		{flag: "synonyms", env: "GONGSHI_SYNONYMS", str: &c.synonyms,
			usage: "file of this deployment's synonym groups for search, added to the built-in list (a group a line, e.g. 动迁 拆迁)"},
		{flag: "retention-schedule", env: "GONGSHI_RETENTION_SCHEDULE", str: &c.retentionSchedule,
			usage: "the deployment's retention schedules: a JSON file that lengthens periods or sets triggers per document type (docs/retention.md)"},
		{flag: "argon2", env: "GONGSHI_ARGON2", str: &c.argon2,
			usage: "cost of new staff password hashes, m=KiB,t=passes,p=lanes (default " + staff.DefaultParams.String() + ", RFC 9106)"},
	}
}

func (c *config) addFlags(cmd *cobra.Command) {
	fl := cmd.PersistentFlags()
	for _, s := range c.settings() {
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		if s.boolean != nil {
			fl.BoolVar(s.boolean, s.flag, false, usage)
		} else {
			fl.StringVar(s.str, s.flag, "", usage)
		}
	}
	fl.Lookup("data").DefValue = "./gongshi-data"
}

// resolve fills in, from the environment, every setting whose flag was not given,
// and then the defaults.
func (c *config) resolve(fl *pflag.FlagSet, getenv func(string) string) error {
	for _, s := range c.settings() {
		if f := fl.Lookup(s.flag); f != nil && f.Changed {
			continue
		}
		v := strings.TrimSpace(getenv(s.env))
		if v == "" {
			continue
		}
		if s.boolean != nil {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s=%q is not a boolean: use true or false", s.env, v)
			}
			*s.boolean = b
		} else {
			*s.str = v
		}
	}
	if c.data == "" {
		c.data = "gongshi-data"
	}
	return nil
}

func (c *config) useS3() bool { return c.s3Endpoint != "" }

// openStore opens the archive's blob store as configured. Its errors are one
// line that says what to fix.
func (c *config) openStore(ctx context.Context) (blob.Store, error) {
	if c.useS3() {
		var missing []string
		for _, s := range c.settings() {
			required := s.flag == "s3-bucket" || s.flag == "s3-access-key" || s.flag == "s3-secret-key"
			if required && *s.str == "" {
				missing = append(missing, fmt.Sprintf("--%s (%s)", s.flag, s.env))
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("an S3 endpoint is set but not %s: set them, or unset --s3-endpoint to use the data directory",
				strings.Join(missing, ", "))
		}
		mode, err := parseMode(c.s3Mode)
		if err != nil {
			return nil, err
		}
		return s3.Open(ctx, s3.Config{
			Endpoint: c.s3Endpoint, Bucket: c.s3Bucket, AccessKey: c.s3Access, SecretKey: c.s3Secret,
			Region: c.s3Region, Insecure: c.s3Insecure, Mode: mode,
		})
	}
	if err := os.MkdirAll(c.data, 0o750); err != nil {
		return nil, fmt.Errorf("cannot use data directory %s: %v: set --data or GONGSHI_DATA to a writable directory", c.data, unwrapPath(err))
	}
	st, err := fs.Open(filepath.Join(c.data, "store"), fs.Options{Now: c.now})
	if err != nil {
		return nil, fmt.Errorf("cannot use data directory %s: %v", c.data, err)
	}
	return st, nil
}

func parseMode(s string) (blob.Mode, error) {
	switch strings.ToLower(s) {
	case "", "compliance":
		return blob.Compliance, nil
	case "governance":
		return blob.Governance, nil
	}
	return "", fmt.Errorf("--s3-mode (GONGSHI_S3_MODE) is %q: use compliance or governance", s)
}

// unwrapPath drops the repetition of the path from an *os.PathError.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// where names the archive's location for people.
func (c *config) where() string {
	if c.useS3() {
		return "s3://" + c.s3Endpoint + "/" + c.s3Bucket
	}
	return c.data
}

// withSettings returns e with the resolved settings as its environment variables,
// so that a command line run in it uses the same data directory or bucket without
// repeating any setting (a secret included) on the line.
func (c *config) withSettings(e env) env {
	settings := c.asEnv()
	getenv := e.getenv
	e.getenv = func(k string) string {
		if v, ok := settings[k]; ok {
			return v
		}
		return getenv(k)
	}
	return e
}

// asEnv returns the resolved settings as the environment variables that give them.
func (c *config) asEnv() map[string]string {
	env := map[string]string{}
	for _, s := range c.settings() {
		switch {
		case s.boolean != nil:
			env[s.env] = fmt.Sprint(*s.boolean)
		case *s.str != "":
			env[s.env] = *s.str
		}
	}
	return env
}

// staffOptions are the staff service's options of the settings: the password
// hash's cost (--argon2), two hashes at a time.
func (c *config) staffOptions(e env) (staff.Options, error) {
	p := staff.DefaultParams
	if c.argon2 != "" {
		var err error
		if p, err = staff.ParseParams(c.argon2); err != nil {
			return staff.Options{}, fmt.Errorf("--argon2 (GONGSHI_ARGON2): %v", err)
		}
	}
	return staff.Options{Now: e.now, Hasher: staff.NewHasher(p, 2)}, nil
}
