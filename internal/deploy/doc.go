// Package deploy holds no code: its tests check the deployment files at the
// module root. They lint template.yaml with cfn-lint (with parameter sets
// that flip every condition), check its structure through the SAM translator
// (with parameter values that switch on every optional feature), evaluate its
// Rules section, run the real SAM CLI's `sam validate --lint` and `sam build`
// (every bootstrap must come out as a static, stripped linux/arm64 executable
// built with the Makefile's flags), check samconfig.toml and docs/deploy.md,
// and decode every file in events/ with aws-lambda-go's event types.
//
// A missing tool (cfn-lint, the SAM CLI, a Python with cfn-lint's SAM
// translator) skips the test that needs it with a message saying how to get
// it, except under CI=true, where it fails the test instead. The SAM CLI is
// found as `sam` on PATH or at .venv/bin/sam (`make tools` installs it).
package deploy
