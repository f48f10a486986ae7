"""jixiao's rule-pack language: source text, grammar, parser, AST, formatter and diagnostics.

It knows nothing of evidence, graphs or scores; `jixiao.engine` builds on it.
"""
