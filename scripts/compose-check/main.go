// Command compose-check validates a Compose file with compose-go, the loader `docker compose`
// itself uses (schema, interpolation, `${VAR:?message}` guards), so compose.yaml can be checked
// on machines without a Docker engine or the compose plugin.
//
//	compose-check compose.yaml [env-file]
//
// Without an env file only the file's own defaults apply, which is how a missing .env shows up.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: compose-check COMPOSE_FILE [ENV_FILE]")
		os.Exit(2)
	}
	options := []cli.ProjectOptionsFn{cli.WithName("streamforge")}
	if len(os.Args) == 3 {
		options = append(options, cli.WithEnvFiles(os.Args[2]), cli.WithDotEnv)
	}
	opts, err := cli.NewProjectOptions([]string{os.Args[1]}, options...)
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s: valid, services: %v\n", os.Args[1], project.ServiceNames())
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
	os.Exit(1)
}
