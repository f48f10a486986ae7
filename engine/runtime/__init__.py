"""Stage 4, runtime: reading the pack (`packfile`) and the evidence (bounded `files`,
`workbook`, `survey`, `numerals`, `evidence`), and scoring it against a plan (`scoring`,
`evaluator`, `ledger`) into a `Result`."""
