package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// awsConfig loads the AWS SDK's default configuration for command, and
// says in the command's terms what to set when there is no region (the
// SDK's own "Missing Region" would only surface at the first call).
func (c *cli) awsConfig(ctx context.Context, command string) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, usagef("no AWS region: %s calls AWS in a region; set AWS_REGION (or AWS_DEFAULT_REGION, or a region in your AWS profile)", command)
	}
	return cfg, nil
}
