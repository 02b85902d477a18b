//go:build tools

// Package tools pins the CLI's main package so that `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi`
// resolves against this module's go.mod and go.sum.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
