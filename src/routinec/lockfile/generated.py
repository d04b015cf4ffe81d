"""Lockfile layer: the lock's `generated` table, files routinec generated from the lock.

In: the table's JSON (`{path: {generator, sha256, routines}}`). Out: typed `GeneratedFile`s
and their JSON. `verify` regenerates each file and compares (`routinec.client.stale`); any
generator (the typed Python client, generated workflows) records its files here. Format:
docs/lockfile.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from routinec.pickling import by_constructor

__all__ = ["GeneratedCorrupt", "GeneratedFile", "generated_from_json", "generated_to_json"]


class GeneratedCorrupt(Exception):
    """What is wrong with the table, starting with the entry's path."""


@by_constructor
@dataclass(frozen=True, slots=True)
class GeneratedFile:
    generator: str  # e.g. "python" (routinec gen python)
    sha256: str  # "sha256:<hex>" of the file's bytes as generated
    # routine name → digest of what the generator read from its lock entry: which routines a
    # stale file is stale for.
    routines: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"generator": self.generator, "routines": dict(sorted(self.routines.items())), "sha256": self.sha256}


def generated_from_json(value: Any) -> dict[str, GeneratedFile]:
    if not isinstance(value, dict):
        raise GeneratedCorrupt("'generated' must be an object")
    out: dict[str, GeneratedFile] = {}
    for path, item in value.items():
        if not isinstance(item, dict):
            raise GeneratedCorrupt(f"generated[{path!r}] must be an object")
        generator, sha, routines = item.get("generator"), item.get("sha256"), item.get("routines")
        if not isinstance(generator, str) or not isinstance(sha, str) or not sha.startswith("sha256:"):
            raise GeneratedCorrupt(f"generated[{path!r}] needs a 'generator' string and a 'sha256' digest")
        if not isinstance(routines, dict) or not all(isinstance(v, str) for v in routines.values()):
            raise GeneratedCorrupt(f"generated[{path!r}].routines must map routine names to digests")
        out[path] = GeneratedFile(generator, sha, dict(routines))
    return out


def generated_to_json(table: dict[str, GeneratedFile]) -> dict[str, Any]:
    return {path: table[path].to_json() for path in sorted(table)}
