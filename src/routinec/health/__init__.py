"""Health layer: the routine health report (`routinec report`), between the application
layer and the ledger, compat and lockfile layers it reads.

`figures` is the typed report (pure data); `queries` computes the ledger's figures with SQL
aggregation (the only module here that imports SQLAlchemy); `history` reads the git history
of `routines.lock` and classifies each change with the compat engine; `charts` draws inline
SVG and `render_html` writes the one self-contained HTML page. docs/report.md lists every figure.
"""
