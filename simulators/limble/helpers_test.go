package limble

import (
	"strconv"
	"strings"

	"github.com/millwright-dev/millwright/simulators/fault"
)

func itoa(n int) string { return strconv.Itoa(n) }

func faultState(mode string) fault.State {
	s := fault.State{Mode: fault.Mode(mode)}
	if mode == "error5xx" {
		s.Status = 500
	}
	return s
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
