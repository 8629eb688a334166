package config

// EnvLedgerTable names the DynamoDB ledger table (LEDGER_TABLE): Load reads
// it for every function and `chatsync sync`, and `chatsync doctor` checks
// that the table exists.
const EnvLedgerTable = "LEDGER_TABLE"
