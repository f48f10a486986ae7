"""Stage 4, runtime: reading the evidence (bounded `files`, `workbook`, `survey`, `numerals`,
`evidence`) and scoring it against a plan (`evaluator`, `ledger`) into a `Result`."""
