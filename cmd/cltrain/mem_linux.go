package main

import "syscall"

// hostMemory returns the machine's physical memory in bytes, or 0 when it
// cannot be read.
func hostMemory() int64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}
