//go:build linux

package ddblocal

import "syscall"

// sysProcAttr puts the JVM in its own process group (so Close can kill the
// group) and asks the kernel to kill it if the starting thread dies, so a
// crashed or timed-out test binary does not leave DynamoDB Local running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
