package setup

import (
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// Cognito returns a Cognito user pools client that follows the same AWS
// environment (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER for tests).
func (p *Parts) Cognito() *cip.Client {
	e := p.aws
	return cip.NewFromConfig(e.cfg, func(o *cip.Options) {
		o.BaseEndpoint = e.endpoint("COGNITO_IDENTITY_PROVIDER")
		o.EndpointOptions.UseFIPSEndpoint = e.fipsState()
		o.EndpointOptions.UseDualStackEndpoint = e.dualStackState()
	})
}
