package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
)

// demoProjects are realistic projects of Jilin Province, fictitious in every detail.
func demoProjects() []archive.Project {
	return []archive.Project{
		{
			Code: "CC-2026-001", Name: "南关区东天街片区旧城区改建项目", City: "长春市", District: "南关区",
			Department: "长春市房屋征收经办中心", Implementer: "南关区房屋征收服务中心",
			Category: archive.CategoryOldCityRenewal, Households: 412,
			Dates: map[string]archive.Date{"decision": archive.D(2026, 3, 18), "announcement": archive.D(2026, 3, 20)},
		},
		{
			Code: "JL-2026-003", Name: "船营区站前片区棚户区改造项目", City: "吉林市", District: "船营区",
			Department: "吉林市房屋征收管理办公室", Category: archive.CategoryAffordableHousing, Households: 286,
			Dates: map[string]archive.Date{"decision": archive.D(2026, 5, 11)},
		},
		{
			Code: "SP-2026-002", Name: "铁西区英雄大路拓宽工程", City: "四平市", District: "铁西区",
			Department: "四平市房屋征收管理中心", Category: archive.CategoryInfrastructure, Households: 57,
			Dates: map[string]archive.Date{"decision": archive.D(2026, 8, 3)},
		},
	}
}

func newDemoCmd(e env, cfg *config) *cobra.Command {
	var seedOnly bool
	c := &cobra.Command{
		Use:   "demo",
		Short: "Create a realistic demo archive (in ./gongshi-demo unless --data is given) and show it",
		Long: `Create a realistic demo archive and show it. Without --data or GONGSHI_DATA the
demo lives in ./gongshi-demo, apart from a real archive. Running it again adds only
what is missing.

The portal is not built yet: for now the demo seeds projects and lists them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") && e.getenv("GONGSHI_DATA") == "" {
				cfg.data = "gongshi-demo"
			}
			a, closeArchive, err := cfg.openArchive(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeArchive()
			for _, p := range demoProjects() {
				_, err := a.CreateProject(cmd.Context(), p)
				switch {
				case errors.Is(err, archive.ErrProjectExists):
					fmt.Fprintf(e.stdout, "project %s is there already\n", p.Code)
				case err != nil:
					return explain(err)
				default:
					fmt.Fprintf(e.stdout, "created project %s %s\n", p.Code, p.Name)
				}
			}
			if seedOnly {
				return nil
			}
			fmt.Fprintf(e.stdout, "\nThe demo archive (%s):\n\n", cfg.where())
			return newProjectListCmd(e, cfg).RunE(cmd, nil)
		},
	}
	c.Flags().BoolVar(&seedOnly, "seed-only", false, "create the demo archive and stop")
	return c
}
