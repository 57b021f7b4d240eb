package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/qualyskit/qualys-go/qualystest"
)

func simulateCommand() *command {
	var addr, caFile string
	var hosts int
	return &command{
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", "127.0.0.1:8443", "loopback address to listen on")
			fs.IntVar(&hosts, "hosts", 40, "number of simulated hosts")
			fs.StringVar(&caFile, "ca-file", "", "where to write the simulator's CA certificate (default: a temporary file)")
		},
		run: func(ctx context.Context, c *cli, _ []string) error {
			if hosts <= 0 {
				return usagef("--hosts must be positive")
			}
			sim, err := qualystest.Start(qualystest.WithAddr(addr), qualystest.WithHosts(hosts))
			if err != nil {
				return fmt.Errorf("starting the simulator: %w", err)
			}
			defer sim.Close()
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
			fmt.Fprintf(c.stderr, `Qualys simulator (CAR and PCRS) listening; stop with Ctrl-C.

  export QUALYS_GATEWAY_URL=%s
  export QUALYS_USERNAME=%s
  export QUALYS_PASSWORD=%s
  export SSL_CERT_FILE=%s
`, sim.URL, sim.Username(), sim.Password(), caFile)
			if err := c.out.record(map[string]string{"gatewayUrl": sim.URL, "username": sim.Username(), "caFile": caFile}); err != nil {
				return err
			}
			if err := c.out.flush(); err != nil {
				return err
			}
			c.out.rows = nil // printed already
			<-ctx.Done()
			return nil
		},
	}
}
