package main

import "syscall"

// childAttr makes the kernel stop the child dashboard if this process dies
// without cleaning up (kill -9).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
