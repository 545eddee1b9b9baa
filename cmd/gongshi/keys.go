package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive/ledger"
)

func newKeysCmd(e env, cfg *config) *cobra.Command {
	c := &cobra.Command{
		Use:   "keys",
		Short: "Show or generate the ledger's signing key (账本签名密钥)",
		Long: `The ledger's checkpoints are signed with an Ed25519 key kept in the data
directory (DATA/keys/ledger.key, mode 0600). It is generated on first start; its
public half, the verifier key, is what inspectors need to check receipts and
checkpoints. Publish it. Back up the key file: without it the ledger cannot be
extended, and a new key is never made over an old one.`,
		Args: cobra.NoArgs,
		RunE: groupHelp,
	}
	c.AddCommand(newKeysShowCmd(e, cfg), newKeysGenerateCmd(e, cfg))
	return c
}

type keyInfo struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
	KeyFile     string `json:"key_file"`
}

func newKeysShowCmd(e env, cfg *config) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show",
		Short: "Print the verifier key (public) of the ledger",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := ledger.LoadKeyFile(cfg.keyPath())
			if errors.Is(err, ledger.ErrNoKey) {
				return fmt.Errorf("no ledger key in %s: run 'gongshi keys generate' (or file a record, which makes one)", cfg.keyPath())
			}
			if err != nil {
				return err
			}
			return printKey(e, k, cfg.keyPath(), asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print origin, verifier key and key file as JSON")
	return c
}

func newKeysGenerateCmd(e env, cfg *config) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "generate [--ledger-origin ORIGIN]",
		Short: "Generate the ledger's signing key (never replaces one)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			origin := cfg.origin
			if origin == "" {
				origin = defaultOrigin
			}
			k, err := ledger.GenerateKeyFile(cfg.keyPath(), origin)
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s already holds the ledger key; a key is never replaced (checkpoints signed with it could no longer be extended)", cfg.keyPath())
			}
			if err != nil {
				return err
			}
			return printKey(e, k, cfg.keyPath(), asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print origin, verifier key and key file as JSON")
	return c
}

func printKey(e env, k ledger.Key, path string, asJSON bool) error {
	if asJSON {
		return writeJSON(e.stdout, keyInfo{Origin: k.Verifier.Name(), VerifierKey: k.VerifierKey, KeyFile: path})
	}
	_, err := fmt.Fprintln(e.stdout, k.VerifierKey)
	return err
}
