// Package samlocal holds `make sam-local`: the real SAM CLI, with Docker,
// running every function of template.yaml against `chatsync emulator`.
// docker.sh installs and starts a Docker daemon whose containers cannot
// leave the machine and builds the local invoke image; the test in
// samlocal_test.go (build tag samlocal, so that `go test ./...` leaves it
// out) runs `sam build`, `sam local invoke` of every function with its
// sample events and `sam local start-api` with the curl examples of
// docs/local-tools.md, and checks each outcome in the emulator. See
// docs/development.md.
package samlocal
