// Package cputime reads how much CPU time a process has used, for
// benchmarks that report work per operation: on a machine shared with other
// work, CPU time moves less than wall time.
package cputime

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Self is this process's user and system CPU time so far (getrusage).
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is the unit of the CPU times in /proc/<pid>/stat: USER_HZ,
// which is 100 on every Linux architecture Go supports.
const clockTicks = 100

// Process is the user and system CPU time process pid has used, from
// /proc/<pid>/stat, in 10 ms steps; false where that cannot be read (not
// Linux, or no such process).
func Process(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name, field 2, is in parentheses and may hold spaces; the
	// fields after it start at field 3 (state); utime and stime are 14 and 15.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, true
}

// Machine is the CPU time every CPU of the machine has spent busy (all but
// idle and iowait) and in all, summed over its CPUs, from /proc/stat; false
// where that cannot be read. Two readings' differences give the share of
// the machine in use between them.
func Machine() (busy, total time.Duration, ok bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, false
	}
	// cpu user nice system idle iowait irq softirq steal ...
	var all, idle int64
	for i, s := range f[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		if i >= 8 { // guest times are counted in user and nice already
			break
		}
		all += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	tick := time.Second / clockTicks
	return time.Duration(all-idle) * tick, time.Duration(all) * tick, true
}
