"""Products built on the pipeline: portfolios (`batch`, `portfolio`), self-evaluation tables
(`selfeval*`), pack tests (`packtest`), generated evidence and properties (`strategies`,
`verify`) and the evidence schema (`schema`). Only the command line imports them."""
