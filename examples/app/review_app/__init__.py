"""An example application that calls its project's routines through the typed client
(`routines.py`, written by `routinec gen python`; see docs/client.md)."""
