package moto

import "syscall"

// setDeathSignal has the kernel kill the server when the test binary dies,
// so that a shared server never outlives its tests.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
