package cli

import (
	"fmt"
	"strings"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

// capabilityMatrix renders the built-in connectors' capability matrix as a
// markdown table: a row per collection, a column per system.
func capabilityMatrix() string {
	var systems []*entityv1.System
	for _, c := range builtinConnectors() {
		systems = append(systems, c.Describe())
	}
	collections := []string{"workOrders", "assets", "locations", "parts", "inventoryLevels", "purchaseOrders", "vendors", "users"}
	var b strings.Builder
	b.WriteString("| collection |")
	for _, s := range systems {
		plural := "s"
		if s.GetCredits() == 1 {
			plural = ""
		}
		fmt.Fprintf(&b, " %s (tier %d, %d credit%s) |", s.GetDisplayName(), s.GetCreditTier(), s.GetCredits(), plural)
	}
	b.WriteString("\n|---|")
	for range systems {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, col := range collections {
		fmt.Fprintf(&b, "| %s |", col)
		for _, s := range systems {
			var ops []string
			for _, c := range s.GetCapabilities() {
				if c.GetCollection() == col {
					for _, o := range c.GetOperations() {
						ops = append(ops, o.String())
					}
				}
			}
			if len(ops) == 0 {
				ops = []string{"—"}
			}
			fmt.Fprintf(&b, " %s |", strings.Join(ops, ", "))
		}
		b.WriteString("\n")
	}
	return b.String()
}
