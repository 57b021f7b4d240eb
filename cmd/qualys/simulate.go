package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/qualyskit/qualys-go/qualystest"
)

// simulateOptions are the flags of 'qualys simulate'.
type simulateOptions struct {
	f      *factory
	addr   string
	caFile string
	hosts  int
}

func newSimulateCmd(f *factory) *cobra.Command {
	opts := &simulateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Run a local Qualys simulator (CAR and PCRS) to try the commands",
		Long: `Run a fake Qualys gateway on loopback, with generated scripts, jobs, assets,
policies and posture, until Ctrl-C. It prints the settings to export; no
account or network is needed.`,
		Example: `  qualys simulate --addr 127.0.0.1:8443 --ca-file /tmp/qualys-ca.pem`,
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.hosts <= 0 {
				return usagef("--hosts %d: must be positive", opts.hosts)
			}
			f.ran = true
			return simulateRun(cmd, opts)
		},
	}
	cmd.Flags().StringVar(&opts.addr, "addr", "127.0.0.1:8443", "loopback address to listen on (port 0: any free port)")
	cmd.Flags().IntVar(&opts.hosts, "hosts", 40, "number of simulated hosts")
	cmd.Flags().StringVar(&opts.caFile, "ca-file", "", "where to write the simulator's CA certificate (default: a temporary file)")
	return cmd
}

func simulateRun(cmd *cobra.Command, opts *simulateOptions) error {
	sim, err := qualystest.Start(qualystest.WithAddr(opts.addr), qualystest.WithHosts(opts.hosts))
	if err != nil {
		return fmt.Errorf("starting the simulator: %w", err)
	}
	defer sim.Close()
	caFile := opts.caFile
	if caFile == "" {
		dir, err := os.MkdirTemp("", "qualys-simulator-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		caFile = filepath.Join(dir, "ca.pem")
	}
	if err := sim.WriteCAFile(caFile); err != nil {
		return fmt.Errorf("writing the CA file: %w", err)
	}
	fmt.Fprintf(opts.f.stderr, `Qualys simulator (CAR and PCRS) listening; stop with Ctrl-C.

  export QUALYS_GATEWAY_URL=%s
  export QUALYS_USERNAME=%s
  export QUALYS_PASSWORD=%s
  export SSL_CERT_FILE=%s
`, sim.URL, sim.Username(), sim.Password(), caFile)
	if _, err := fmt.Fprintf(opts.f.stdout, "{\"gatewayUrl\":%q,\"username\":%q,\"caFile\":%q}\n", sim.URL, sim.Username(), caFile); err != nil {
		return err
	}
	<-cmd.Context().Done()
	return nil
}
