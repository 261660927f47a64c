//go:build unix

package atomicfile

import (
	"errors"
	"syscall"
)

// canCheckProcesses says whether processGone can tell a dead process.
const canCheckProcesses = true

// processGone reports whether no process with this ID exists: signal 0
// checks for the process without signalling it. Any answer but ESRCH (alive,
// or alive under another user: EPERM) counts as not gone.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
