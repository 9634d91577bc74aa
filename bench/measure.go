package bench

import (
	"runtime"
	"slices"
	"syscall"
	"time"
)

// sample is one measured round of n operations.
type sample struct {
	wallNs, cpuNs, allocs, bytes float64 // per operation
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureRound runs op n times and returns per-operation wall time, process
// CPU time, heap allocations and bytes (the in-process server's share
// included: it is the same for every implementation).
func measureRound(n int, op func() error) (sample, error) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0, t0 := cpuTime(), time.Now()
	for range n {
		if err := op(); err != nil {
			return sample{}, err
		}
	}
	wall, c1 := time.Since(t0), cpuTime()
	runtime.ReadMemStats(&m1)
	f := float64(n)
	return sample{
		wallNs: float64(wall.Nanoseconds()) / f,
		cpuNs:  float64((c1 - c0).Nanoseconds()) / f,
		allocs: float64(m1.Mallocs-m0.Mallocs) / f,
		bytes:  float64(m1.TotalAlloc-m0.TotalAlloc) / f,
	}, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
