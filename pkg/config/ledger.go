package config

// EnvLedgerTable names the DynamoDB ledger table (LEDGER_TABLE);
// `chatsync doctor` checks that it exists.
const EnvLedgerTable = "LEDGER_TABLE"
