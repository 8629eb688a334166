package deploy

import (
	"slices"
	"strings"
	"testing"
)

// TestTemplateLedger: the ledger table is on by default, on demand, with
// point-in-time recovery and deletion protection, and retained when the
// stack is deleted or the table replaced; every function is told its name,
// and each role may use only the item actions its function calls, on that
// table alone and only when the ledger is on. SyncPrune is off by default,
// needs the ledger and a schedule, and reaches the sync function as
// SYNC_PRUNE.
func TestTemplateLedger(t *testing.T) {
	tpls := loadTemplates(t)
	out := tpls.Transformed
	tbl := resource(t, out, "LedgerTable", "AWS::DynamoDB::Table")
	if tbl["Condition"] != "LedgerEnabled" || tbl["DeletionPolicy"] != "Retain" || tbl["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("LedgerTable: condition %v, DeletionPolicy %v, UpdateReplacePolicy %v; want LedgerEnabled, Retain, Retain", tbl["Condition"], tbl["DeletionPolicy"], tbl["UpdateReplacePolicy"])
	}
	p := asMap(tbl["Properties"])
	if p["BillingMode"] != "PAY_PER_REQUEST" || at(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true || p["DeletionProtectionEnabled"] != true {
		t.Errorf("LedgerTable properties %v: want on demand, PITR and deletion protection", p)
	}
	if !same(p["KeySchema"], jv(`[{"AttributeName":"UserID","KeyType":"HASH"}]`)) || !same(p["AttributeDefinitions"], jv(`[{"AttributeName":"UserID","AttributeType":"S"}]`)) {
		t.Errorf("LedgerTable key %v %v: want UserID, a string, alone", p["KeySchema"], p["AttributeDefinitions"])
	}

	e := newParamEnv(t, tpls.Source, nil)
	if !e.conds["LedgerEnabled"] || e.conds["SyncPrunes"] {
		t.Errorf("defaults: ledger %v, prune %v; want the ledger on, prune off", e.conds["LedgerEnabled"], e.conds["SyncPrunes"])
	}
	if newParamEnv(t, tpls.Source, map[string]string{"Ledger": "false"}).conds["LedgerEnabled"] {
		t.Error("Ledger false leaves the ledger on")
	}
	if !newParamEnv(t, tpls.Source, map[string]string{"SyncPrune": "true", "SyncSchedule": "rate(1 day)"}).conds["SyncPrunes"] {
		t.Error("SyncPrune true with a schedule does not prune")
	}
	for _, bad := range []map[string]string{
		{"SyncPrune": "true"},
		{"SyncPrune": "true", "SyncSchedule": "rate(1 day)", "Ledger": "false"},
	} {
		if v := newParamEnv(t, tpls.Source, bad).violated(); !slices.Contains(v, "SyncPruneNeedsLedgerAndSchedule") {
			t.Errorf("%v: rules violated %v, want SyncPruneNeedsLedgerAndSchedule", bad, v)
		}
	}

	ledgerArn := jv(`{"Fn::GetAtt":["LedgerTable","Arn"]}`)
	wantActions := map[string][]string{
		"ImportFunction":  {"dynamodb:BatchWriteItem", "dynamodb:PutItem"},
		"DeleteFunction":  {"dynamodb:UpdateItem"},
		"UserSigFunction": {"dynamodb:GetItem"},
		"SyncFunction":    {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem"},
	}
	for _, fn := range allFunctions {
		env := asMap(at(resource(t, out, fn, "AWS::Lambda::Function"), "Properties", "Environment", "Variables"))
		if !same(env["LEDGER_TABLE"], jv(`{"Fn::If":["LedgerEnabled",{"Ref":"LedgerTable"},{"Ref":"AWS::NoValue"}]}`)) {
			t.Errorf("%s LEDGER_TABLE = %v", fn, env["LEDGER_TABLE"])
		}
		var got []string
		for _, st := range roleStatements(t, resource(t, out, fn+"Role", "AWS::IAM::Role")) {
			for _, a := range actionsOf(st.s["Action"]) {
				if strings.HasPrefix(a, "dynamodb:") {
					got = append(got, a)
					if st.cond != "LedgerEnabled" || !same(st.s["Resource"], ledgerArn) {
						t.Errorf("%s: %s on %v under %q; want the ledger table under LedgerEnabled", fn, a, st.s["Resource"], st.cond)
					}
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, wantActions[fn]) {
			t.Errorf("%s may %v on the ledger; want %v", fn, got, wantActions[fn])
		}
	}
	env := asMap(at(resource(t, out, "SyncFunction", "AWS::Lambda::Function"), "Properties", "Environment", "Variables"))
	if !same(env["SYNC_PRUNE"], jv(`{"Fn::If":["SyncPrunes","true",{"Ref":"AWS::NoValue"}]}`)) {
		t.Errorf("SYNC_PRUNE = %v", env["SYNC_PRUNE"])
	}
}
