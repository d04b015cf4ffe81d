"""Application layer: project-level operations that combine compiler, runtime and compat.

The CLI calls these; they return plain results and diagnostics and never print.
"""
