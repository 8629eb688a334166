//go:build !unix

package moto

import "os/exec"

func setProcAttr(*exec.Cmd) {}

func signalGroup(cmd *exec.Cmd, _ bool) { _ = cmd.Process.Kill() }
