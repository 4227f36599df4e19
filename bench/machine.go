package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// machine describes this machine from /proc and uname.
func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Root: os.Geteuid() == 0}
	m.CPU = procField("/proc/cpuinfo", "model name")
	m.LoadStart = loadavg()
	if kb, err := strconv.ParseInt(strings.Fields(procField("/proc/meminfo", "MemTotal") + " 0")[0], 10, 64); err == nil && kb > 0 {
		m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadavg returns the 1-minute load average, or -1.
func loadavg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	v, err := strconv.ParseFloat(strings.Fields(string(b) + " x")[0], 64)
	if err != nil {
		return -1
	}
	return v
}

func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, %s, kernel %s, %s, root %v, load average %.1f at start, %.1f at end",
		m.CPU, m.Cores, m.Memory, m.Kernel, m.Go, m.Root, m.LoadStart, m.LoadEnd)
}
