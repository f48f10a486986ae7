"""Products built on the pipeline: portfolios (`batch`, `portfolio`, `portfolio_report`),
self-evaluation tables (`selfeval*`), pack tests (`packtest`, `testreport`), generated evidence
and properties (`strategies`, `verify`) and the evidence schema (`schema`). Only the command
line imports them."""
