"""LSP layer: `routinec lsp`, a language server for `.routine` files.

`workspace` is the analysis (the compiler's own parser and checks over the editor's unsaved
text, incrementally: only the top-level block that changed is parsed again); `server` maps it
onto the Language Server Protocol with pygls, the only module that imports pygls or
lsprotocol. docs/editor.md.
"""
