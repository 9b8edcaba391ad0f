//go:build !linux

package main

import "syscall"

// childAttr has nothing to add outside Linux (RSS and CPU are read from
// /proc, so only Linux reports them anyway).
func childAttr() *syscall.SysProcAttr { return nil }
