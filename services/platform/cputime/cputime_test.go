package cputime

import (
	"os"
	"testing"
	"time"
)

// TestProcess checks Process against the kernel's own account of this
// process (Self, from getrusage), while the test spins until it has used
// 200ms of CPU, however busy the machine is.
func TestProcess(t *testing.T) {
	before, ok := Process(os.Getpid())
	if !ok {
		t.Skip("no /proc/<pid>/stat here")
	}
	start := Self()
	for deadline := time.Now().Add(time.Minute); Self()-start < 200*time.Millisecond && time.Now().Before(deadline); {
	}
	used := Self() - start
	if used < 200*time.Millisecond {
		t.Fatalf("Self counted %v after a minute of spinning", used)
	}
	after, _ := Process(os.Getpid())
	// /proc counts in clock ticks (10ms): allow a few either way.
	if d := after - before; d < used-50*time.Millisecond || d > used+50*time.Millisecond {
		t.Errorf("Process counted %v while Self counted %v", d, used)
	}
}

func TestProcessUnknown(t *testing.T) {
	if _, ok := Process(-1); ok {
		t.Error("Process(-1) reported a CPU time")
	}
}

// TestMachine checks that the machine's busy time grows by at least what
// this process spins, and its total time by at least the wall time, per CPU.
func TestMachine(t *testing.T) {
	busy0, total0, ok := Machine()
	if !ok {
		t.Skip("no /proc/stat here")
	}
	wall := time.Now()
	start := Self()
	for deadline := time.Now().Add(time.Minute); Self()-start < 200*time.Millisecond && time.Now().Before(deadline); {
	}
	used := Self() - start
	busy1, total1, _ := Machine()
	elapsed := time.Since(wall)
	if d := busy1 - busy0; d < used-50*time.Millisecond {
		t.Errorf("the machine was busy %v while this process used %v", d, used)
	}
	if d := total1 - total0; d < elapsed-50*time.Millisecond || d < busy1-busy0 {
		t.Errorf("the machine's CPUs counted %v in all over %v of wall time, %v of it busy", d, elapsed, busy1-busy0)
	}
}
