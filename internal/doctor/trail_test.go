package doctor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// fakeTrails serves one trail with the given status and selectors.
type fakeTrails struct {
	trails    []types.Trail
	logging   bool
	selectors *cloudtrail.GetEventSelectorsOutput
	listErr   error
}

func (f *fakeTrails) DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	return &cloudtrail.DescribeTrailsOutput{TrailList: f.trails}, f.listErr
}

func (f *fakeTrails) GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	return &cloudtrail.GetTrailStatusOutput{IsLogging: aws.Bool(f.logging)}, nil
}

func (f *fakeTrails) GetEventSelectors(context.Context, *cloudtrail.GetEventSelectorsInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error) {
	return f.selectors, nil
}

func field(name string, equals ...string) types.AdvancedFieldSelector {
	return types.AdvancedFieldSelector{Field: aws.String(name), Equals: equals}
}

func TestTrail(t *testing.T) {
	here := types.Trail{Name: aws.String("t"), HomeRegion: aws.String("eu-west-1")}
	elsewhere := types.Trail{Name: aws.String("t"), HomeRegion: aws.String("us-east-1")}
	multi := types.Trail{Name: aws.String("t"), HomeRegion: aws.String("us-east-1"), IsMultiRegionTrail: aws.Bool(true)}
	all := &cloudtrail.GetEventSelectorsOutput{EventSelectors: []types.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: types.ReadWriteTypeAll}}}
	cases := []struct {
		name string
		f    fakeTrails
		ok   bool
		want string
	}{
		{"no trail", fakeTrails{}, false, "there is no trail in eu-west-1"},
		{"list refused", fakeTrails{listErr: errors.New("AccessDenied")}, false, "cannot list the trails"},
		{"trail in its region, default selectors", fakeTrails{trails: []types.Trail{here}, logging: true, selectors: &cloudtrail.GetEventSelectorsOutput{}}, true, "is logging"},
		{"trail of another region", fakeTrails{trails: []types.Trail{elsewhere}, logging: true, selectors: all}, false, "there is no trail in eu-west-1"},
		{"multi-region trail", fakeTrails{trails: []types.Trail{multi}, logging: true, selectors: all}, true, "(multi-region)"},
		{"stopped", fakeTrails{trails: []types.Trail{here}, selectors: all}, false, "t (not logging)"},
		{"read-only management events", fakeTrails{trails: []types.Trail{here}, logging: true, selectors: &cloudtrail.GetEventSelectorsOutput{EventSelectors: []types.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: types.ReadWriteTypeReadOnly}}}}, false, "records no write management events"},
		{"data events only", fakeTrails{trails: []types.Trail{here}, logging: true, selectors: &cloudtrail.GetEventSelectorsOutput{EventSelectors: []types.EventSelector{{IncludeManagementEvents: aws.Bool(false)}}}}, false, "records no write management events"},
		{"advanced: management", fakeTrails{trails: []types.Trail{here}, logging: true, selectors: &cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []types.AdvancedEventSelector{{FieldSelectors: []types.AdvancedFieldSelector{field("eventCategory", "Management")}}}}}, true, "is logging"},
		{"advanced: management reads only", fakeTrails{trails: []types.Trail{here}, logging: true, selectors: &cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []types.AdvancedEventSelector{{FieldSelectors: []types.AdvancedFieldSelector{field("eventCategory", "Management"), field("readOnly", "true")}}}}}, false, "records no write"},
		{"advanced: another service only", fakeTrails{trails: []types.Trail{here}, logging: true, selectors: &cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []types.AdvancedEventSelector{{FieldSelectors: []types.AdvancedFieldSelector{field("eventCategory", "Management"), field("eventSource", "s3.amazonaws.com")}}}}}, false, "records no write"},
		{"advanced: data events", fakeTrails{trails: []types.Trail{here}, logging: true, selectors: &cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []types.AdvancedEventSelector{{FieldSelectors: []types.AdvancedFieldSelector{field("eventCategory", "Data")}}}}}, false, "records no write"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Trail(context.Background(), &c.f, "eu-west-1")
			if r.OK != c.ok || !strings.Contains(r.String(), c.want) {
				t.Errorf("Trail = %q (ok %v), want ok %v and %q", r, r.OK, c.ok, c.want)
			}
			if !r.OK && !strings.Contains(r.String(), "; fix: ") {
				t.Errorf("a failure says nothing to do: %q", r)
			}
		})
	}
}
