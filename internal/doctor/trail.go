package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// TrailAPI is the part of the CloudTrail client the trail check uses;
// *cloudtrail.Client implements it.
type TrailAPI interface {
	DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
}

// TrailFix is what to do when no trail records Cognito's calls.
const TrailFix = "create a trail that logs management events in this region (or a multi-region one), e.g. " +
	"aws cloudtrail create-trail --name chat-lambdas --s3-bucket-name BUCKET --is-multi-region-trail && " +
	"aws cloudtrail start-logging --name chat-lambdas (docs/lifecycle-events.md)"

// Trail checks that a CloudTrail trail covering region is logging and
// records write management events: without one, EventBridge never sees
// Cognito's AdminDeleteUser, AdminCreateUser or attribute updates, and the
// lifecycle rules never fire.
func Trail(ctx context.Context, api TrailAPI, region string) Result {
	const name = "cloudtrail"
	out, err := api.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return Fail(name, "allow cloudtrail:DescribeTrails, GetTrailStatus and GetEventSelectors to this caller", "cannot list the trails in %s: %v", region, err)
	}
	var seen []string
	for _, t := range out.TrailList {
		tname := aws.ToString(t.Name)
		if !aws.ToBool(t.IsMultiRegionTrail) && aws.ToString(t.HomeRegion) != region {
			continue
		}
		id := aws.ToString(t.TrailARN)
		if id == "" {
			id = tname
		}
		st, err := api.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(id)})
		if err != nil {
			seen = append(seen, fmt.Sprintf("%s (status unreadable: %v)", tname, err))
			continue
		}
		if !aws.ToBool(st.IsLogging) {
			seen = append(seen, tname+" (not logging)")
			continue
		}
		sel, err := api.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(id)})
		if err != nil {
			seen = append(seen, fmt.Sprintf("%s (event selectors unreadable: %v)", tname, err))
			continue
		}
		if !logsManagementWrites(sel) {
			seen = append(seen, tname+" (records no write management events)")
			continue
		}
		scope := "in " + region
		if aws.ToBool(t.IsMultiRegionTrail) {
			scope = "multi-region"
		}
		return Pass(name, "trail %s (%s) is logging management events, so EventBridge sees Cognito's calls", tname, scope)
	}
	found := "there is no trail in " + region
	if len(seen) > 0 {
		found = "no trail in " + region + " logs management events: " + strings.Join(seen, ", ")
	}
	return Fail(name, TrailFix, "lifecycle events are on but %s, so EventBridge never sees Cognito's deletes, admin-created users or attribute changes", found)
}

// logsManagementWrites reports whether a trail's selectors record write
// management events. A trail with no selector at all records every
// management event, CloudTrail's default for a new trail.
func logsManagementWrites(out *cloudtrail.GetEventSelectorsOutput) bool {
	if len(out.EventSelectors) == 0 && len(out.AdvancedEventSelectors) == 0 {
		return true
	}
	for _, s := range out.EventSelectors {
		if aws.ToBool(s.IncludeManagementEvents) && s.ReadWriteType != types.ReadWriteTypeReadOnly {
			return true
		}
	}
	for _, s := range out.AdvancedEventSelectors {
		if advancedLogsManagementWrites(s.FieldSelectors) {
			return true
		}
	}
	return false
}

func advancedLogsManagementWrites(fields []types.AdvancedFieldSelector) bool {
	management := false
	for _, f := range fields {
		switch aws.ToString(f.Field) {
		case "eventCategory":
			management = slices.Contains(f.Equals, "Management")
		case "readOnly":
			if slices.Contains(f.Equals, "true") {
				return false
			}
		case "eventSource":
			if len(f.Equals) > 0 && !slices.Contains(f.Equals, "cognito-idp.amazonaws.com") {
				return false
			}
			if slices.Contains(f.NotEquals, "cognito-idp.amazonaws.com") {
				return false
			}
		}
	}
	return management
}
