package main

import (
	"fmt"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"

	"github.com/gongshi-archive/gongshi/ingest"
)

// filerFlags are the settings of filing: the trust roots, the policy, archival
// numbering and the memory budget. 'gongshi ingest' and 'gongshi serve' (whose
// staff pages file documents) take the same.
type filerFlags struct {
	trustRoots string
	policy     string
	fonds      string
	classCode  string
	dept       string
	memory     string
}

func (fl *filerFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&fl.trustRoots, "trust-roots", "", "folder of PEM certificates that signatures must chain to")
	f.StringVar(&fl.policy, "policy", "", "policy file (JSON) changing what is rejected, per document type")
	f.StringVar(&fl.fonds, "fonds", "", "全宗号 for assigning archival codes, e.g. Z109")
	f.StringVar(&fl.classCode, "class-code", "WS", "门类代码 for assigned archival codes")
	f.StringVar(&fl.dept, "dept", "", "机构（问题）代码 for assigned archival codes, e.g. CQ01")
	f.StringVar(&fl.memory, "memory-budget", "", "memory the files inspected at once may need together, e.g. 4GiB; a file that needs more is refused (default: half of the machine's memory)")
}

// options checks the settings and returns the filer's options (before the store
// is opened: a wrong setting is said at once).
func (fl *filerFlags) options(e env) (ingest.Options, error) {
	inOpts := ingest.InspectorOptions{Now: e.now, MemoryBudget: ingest.DefaultMemoryBudget()}
	if fl.memory != "" {
		n, err := humanize.ParseBytes(fl.memory)
		if err != nil || n == 0 || n > 1<<62 {
			return ingest.Options{}, fmt.Errorf("--memory-budget %q: give a size such as 4GiB or 512MiB", fl.memory)
		}
		inOpts.MemoryBudget = int64(n)
	}
	if fl.trustRoots != "" {
		pool, _, err := ingest.LoadTrustRoots(fl.trustRoots)
		if err != nil {
			return ingest.Options{}, err
		}
		inOpts.Roots = pool
	}
	pols := ingest.Policies{Default: ingest.DefaultPolicy()}
	if fl.policy != "" {
		var err error
		if pols, err = ingest.LoadPolicies(fl.policy); err != nil {
			return ingest.Options{}, err
		}
	}
	var num *ingest.Numbering
	if fl.fonds != "" {
		num = &ingest.Numbering{Fonds: fl.fonds, Category: fl.classCode, Department: fl.dept}
		if err := num.Valid(); err != nil {
			return ingest.Options{}, fmt.Errorf("--fonds, --class-code, --dept: %v", err)
		}
	}
	return ingest.Options{Inspector: ingest.NewInspector(inOpts), Policies: pols, Numbering: num, Now: e.now}, nil
}
