"""Stage 3, plan: what can be proved before any evidence (`analysis`, `conditions`, over
`intervals`), the order of derived facts (`graph`), compiling to closures (`compiler`,
`compile_expr`, `exact`), and the verified cache of checked programs (`cache`)."""
