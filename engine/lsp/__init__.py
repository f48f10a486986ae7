"""`jixiao lsp`: the Language Server Protocol server for pack authors, over stdio.

Layered above the products (`tools`) and beside the command line, and built from the same
stages as `jixiao check` — the parser, the import resolver, the checker, the analyses and the
formatter — never a second parser:

    analysis.py   a document's text → `Analysis`: its diagnostics, syntax tree, checked program
                  and an index of every name declared and used (offsets, no protocol types)
    features.py   hover, definition, references, completion, symbols, inlay hints and code
                  actions, answered from an `Analysis` in offsets and plain records
    words.py      what each rule form means, in words (hover)
    server.py     pygls: the protocol, positions in UTF-16, debounced diagnostics

pygls and lsprotocol (the `lsp` extra) are imported by `server.py` only, and only when
`jixiao lsp` runs: nothing on the warm `eval` path imports this package.
"""
