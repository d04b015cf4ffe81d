"""Compiler layer: the passes `compiler.build` runs in order, one module each.

parse_specs → resolve_names → check_specs → lower_routines. Each takes the `BuildState`,
adds what it made and the diagnostics it found, and may set `state.stop`.
"""
