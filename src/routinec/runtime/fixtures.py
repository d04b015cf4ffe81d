"""Runtime layer: fixture transcripts, honestly marked `"origin": "fixture"`.

In: a project's lock (and existing goldens). Out: one transcript per test case whose
request is exactly what replay will build and whose response carries the golden output
(or, without a golden, a small schema-valid example). For examples and benchmarks only;
`python -m routinec.runtime.fixtures --help`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from routinec import __version__
from routinec.canonical import loads
from routinec.config import load_config
from routinec.diagnostics import DiagnosticError, render
from routinec.lockfile import read_lock
from routinec.runtime.core import Runtime
from routinec.runtime.entry import to_wire
from routinec.runtime.golden import golden_path
from routinec.runtime.request import TOOL_NAME, build_request
from routinec.runtime.transcript import make_transcript, transcript_path, write_json_guarded

__all__ = ["example_for_schema", "fixture_response", "main", "write_fixtures"]


def example_for_schema(schema: Any, defs: dict[str, Any] | None = None) -> Any:
    """A small deterministic value valid under a DSL-shaped schema."""
    if not isinstance(schema, dict):
        return None
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return example_for_schema(defs.get(str(schema["$ref"]).rsplit("/", 1)[-1]), defs)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example_for_schema(schema[key][0], defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    if kind == "object":
        props = schema.get("properties", {})
        return {k: example_for_schema(props.get(k, {}), defs) for k in schema.get("required", [])}
    if kind == "array":
        return [example_for_schema(schema.get("items", {}), defs) for _ in range(int(schema.get("minItems", 0)))]
    if kind == "string":
        return "example" + "x" * max(0, int(schema.get("minLength", 0)) - 7)
    if kind in ("integer", "number"):
        low: Any = schema.get("minimum", schema.get("exclusiveMinimum")) or 0
        return int(low) + (1 if "exclusiveMinimum" in schema else 0)
    if kind == "boolean":
        return False
    return None


def fixture_response(snapshot: str, structured: bool, output: Any) -> dict[str, Any]:
    from routinec.canonical import canonical_bytes

    if structured:
        content: list[dict[str, Any]] = [{"type": "text", "text": canonical_bytes(output).decode("utf-8")}]
        stop = "end_turn"
    else:
        content = [{"type": "tool_use", "id": "toolu_fixture", "name": TOOL_NAME, "input": output}]
        stop = "tool_use"
    return {
        "id": "msg_fixture",
        "type": "message",
        "role": "assistant",
        "model": snapshot,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }


def write_fixtures(root: Path, routines: list[str] | None = None, *, goldens: bool = True) -> list[Path]:
    """Write fixture transcripts (and missing goldens) for every selected test case."""
    config = load_config(root)
    runtime = Runtime(config=config, mode="replay", lock=read_lock(config.lock_path))
    written: list[Path] = []
    for name in sorted(routines or runtime.routine_names):
        routine = runtime.routine(name)
        for case in routine.case_names():
            inputs = routine.case_input(case)
            system, prompt = routine.render(inputs, case)
            body = build_request(routine, system, prompt)
            gpath = golden_path(runtime.golden, name, case)
            if gpath.is_file():
                output = to_wire(loads(gpath.read_bytes()))
            else:
                output = example_for_schema(routine.output_schema)
                if goldens:
                    write_json_guarded(gpath, output, routine=name, case=case)
                    written.append(gpath)
            transcript = make_transcript(
                routine=name,
                case=case,
                entry_hash=routine.entry_hash,
                request=body,
                responses=[fixture_response(routine.snapshot, routine.structured, output)],
                origin="fixture",
                provenance={
                    "anthropic_version": None,
                    "model": routine.snapshot,
                    "recorded_at": None,
                    "request_id": None,
                    "routinec_version": __version__,
                    "sdk_version": None,
                },
            )
            path = transcript_path(runtime.golden, name, case)
            write_json_guarded(path, transcript, routine=name, case=case)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m routinec.runtime.fixtures",
        description="Write fixture transcripts (origin: fixture) for a project's test cases; "
        "goldens that exist become the fixture answers, missing ones get a schema-valid example.",
    )
    parser.add_argument("routines", nargs="*", help="routines (default: all in the lock)")
    parser.add_argument("--project", type=Path, default=None, help="project root (default: nearest pyproject.toml)")
    parser.add_argument("--no-goldens", action="store_true", help="do not write missing goldens")
    args = parser.parse_args(argv)
    root = args.project.resolve() if args.project else load_config().root
    try:
        paths = write_fixtures(root, args.routines or None, goldens=not args.no_goldens)
    except DiagnosticError as exc:
        print(render(exc.diagnostics), file=sys.stderr)
        return 2
    for path in paths:
        print(path.relative_to(root).as_posix())
    return 0


if __name__ == "__main__":
    sys.exit(main())
