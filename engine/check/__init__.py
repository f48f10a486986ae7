"""Stage 2, check: a parsed pack's names, kinds, units, weights and grades, from the AST to the
checked `Program` (`checker.check`) or the diagnostics that say why not."""
