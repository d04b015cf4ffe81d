"""Client layer: files generated from the lock (the typed Python client, GitHub workflows for
triggered routines), and whether the ones the lock records are still what the lock generates.

In: a `Lock` and a `Config`. Out: generated text and the lock's `generated` table entries
(`generate`), or `generated-stale` / `workflow-stale` diagnostics naming the file and the
routines (`stale`).
Reads the lock only: never the compiler, the runtime or pydantic. docs/client.md.
"""

from __future__ import annotations

from routinec.client.generated import WriteResult, generate, stale, write_generated, write_workflows
from routinec.client.python import GENERATOR, PythonClient, generate_python, routine_digest

__all__ = ["GENERATOR", "PythonClient", "WriteResult", "generate", "generate_python", "routine_digest", "stale",
           "write_generated", "write_workflows"]
