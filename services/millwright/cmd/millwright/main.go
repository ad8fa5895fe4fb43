// Command millwright runs Millwright: `millwright dev` runs everything on
// loopback; `millwright serve <component>` runs one component in production.
package main

import (
	"os"

	"github.com/millwright-dev/millwright/services/millwright/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
