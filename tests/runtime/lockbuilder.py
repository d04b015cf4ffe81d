"""Lock entries built through the real `LockEntry` model, for shapes the DSL cannot (or should
not) produce: a forced-tool model, a template that tries to escape the sandbox, a test
input that no longer validates. Sealed by `LockEntry.sealed` and written with the real
`write_lock`, so the runtime reads them exactly as it reads compiler output."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from routinec.canonical import digest, digest_bytes
from routinec.lockfile import Lock, read_lock, write_lock
from routinec.lockfile.entry import LockEntry, ModelPin, Params, Prompt, PromptPart, TestCase

OUTPUT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {"answer": {"type": "string", "minLength": 1}, "score": {"type": "number"}},
    "required": ["answer", "score"],
}
INPUT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {"question": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
    "required": ["question"],
}


def entry(
    name: str,
    *,
    template: str = "Q: {{ question }}",
    structured: bool = True,
    params: dict[str, Any] | None = None,
    state: str = "reset",
    tests: dict[str, dict[str, Any]] | None = None,
    sources: dict[str, str] | None = None,
) -> LockEntry:
    user = PromptPart(None, template)
    prompt_json = {"system": None, "user": user.to_json(), "includes": {}}
    cases = {
        case: TestCase(
            input=value,
            input_path=None,
            input_hash=digest(value),
            compare={"score": {"rule": "number", "tolerance": Decimal("0.5")}},
        )
        for case, value in (tests or {"one": {"question": "why?"}}).items()
    }
    built = LockEntry(
        name=name,
        version=1,
        description=None,
        source=f"specs/{name}.routine",
        spec_hash=digest(name),
        model=ModelPin(
            alias="claude-haiku-4-5",
            snapshot="claude-haiku-4-5-20251001",
            resolved_by="table",
            lifecycle="active",
            retires_at=None,
            max_tokens_limit=64000,
            structured_outputs=structured,
        ),
        params=Params.from_json(params or {"max_tokens": 256, "temperature": Decimal("0.3")}),
        state=state,
        prompt=Prompt(None, user, {}, digest(prompt_json)),
        input_schema=INPUT,
        input_schema_hash=digest(INPUT),
        output_schema=OUTPUT,
        output_schema_hash=digest(OUTPUT),
        consumers=(),
        tests=cases,
        sources=sources or {},
    )
    return built.sealed()


def write_project(root: Path, *entries: LockEntry) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "built"\nversion = "0"\n')
    lock = Lock(routines={e.name: e for e in entries})
    write_lock(root / "routines.lock", lock)
    read_lock(root / "routines.lock")  # the real reader accepts it
    return root


def source_digest(path: Path) -> str:
    return digest_bytes(path.read_bytes())
