"""Runtime layer: executing a routine's Python tools (or their dry runs) for the tool loop.

In: a locked `ToolPin`, the input the model asked for, and the run's permissions. Out: a
`ToolOutcome` (the result text the model is shown, whether it is an error, and how it was
obtained: `live` or `dry-run`). Entry points are imported here, at run time, from the same
roots `check` resolved them in (the project root, its src/, then sys.path). A tool that
raises becomes an `is_error` result, never a crash; volatile result keys (`volatile [...]`
in the spec) are normalised before the model or a transcript sees them.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from routinec.codes import Code
from routinec.lockfile.entry import ToolPin
from routinec.redact import Redactor
from routinec.runtime.errors import RoutineError

__all__ = ["VOLATILE", "ToolExecutor", "ToolOutcome", "normalise", "result_text"]

VOLATILE = "<volatile>"
_IMPORT_GUARD = threading.Lock()


@dataclass(frozen=True)
class ToolOutcome:
    content: str
    is_error: bool
    obtained: str  # live | dry-run | recorded


def normalise(value: Any, keys: frozenset[str]) -> Any:
    """`value` with every object member named in `keys` (at any depth) replaced by VOLATILE."""
    if not keys:
        return value
    if isinstance(value, dict):
        return {k: (VOLATILE if k in keys else normalise(v, keys)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v, keys) for v in value]
    return value


def result_text(value: Any) -> str:
    """What the model is shown: a string as it is, anything else as sorted-key JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=_plain)
    except (TypeError, ValueError):
        return str(value)


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)  # pydantic models
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


class ToolExecutor:
    """Calls tools for one Runtime: imports each entry point once, validates inputs against
    the locked schema, runs write tools only when writes are allowed (their dry run otherwise)."""

    def __init__(self, root: Path, *, allow_writes: bool) -> None:
        self.root = root
        self.allow_writes = allow_writes
        self._functions: dict[str, Callable[..., Any]] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        self._guard = threading.Lock()

    def _roots(self) -> list[str]:
        roots = [str(self.root)]
        if (self.root / "src").is_dir():
            roots.append(str(self.root / "src"))
        return roots

    def function(self, entry_point: str, routine: str) -> Callable[..., Any]:
        with self._guard:
            found = self._functions.get(entry_point)
        if found is not None:
            return found
        module_name, _, attr = entry_point.partition(":")
        with _IMPORT_GUARD:
            added = [r for r in self._roots() if r not in sys.path]
            sys.path[:0] = added
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:  # any import-time failure of user code
                raise RoutineError(
                    Code.TOOL_UNAVAILABLE,
                    f"cannot import tool module {module_name!r}: {type(exc).__name__}: {str(exc)[:200]}",
                    hint="fix the module, then run 'routinec lock'",
                    routine=routine,
                ) from None
            finally:
                for root in added:
                    if root in sys.path:
                        sys.path.remove(root)
        function: Callable[..., Any] | None = getattr(module, attr, None)
        if function is None or not callable(function):
            raise RoutineError(
                Code.TOOL_UNAVAILABLE,
                f"tool entry point {entry_point!r} is not a callable in {module_name}",
                hint="fix the entry point in the spec and run 'routinec lock'",
                routine=routine,
            )
        with self._guard:
            self._functions[entry_point] = function
        return function

    def _validator(self, tool: ToolPin) -> Draft202012Validator:
        with self._guard:
            found = self._validators.get(tool.name)
            if found is None:
                found = self._validators[tool.name] = Draft202012Validator(tool.input_schema or {"type": "object"})
            return found

    def execute(self, tool: ToolPin, arguments: Any, routine: str) -> ToolOutcome:
        """Run the tool (or its dry run) on the model's arguments; failures are error results."""
        write = tool.effect == "write"
        obtained = "dry-run" if write and not self.allow_writes else "live"
        entry = tool.dry_run if obtained == "dry-run" and tool.dry_run else tool.entry_point
        if not isinstance(arguments, dict):
            return ToolOutcome("invalid input: the arguments are not an object", True, obtained)
        error = next(iter(self._validator(tool).iter_errors(arguments)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "input"
            return ToolOutcome(f"invalid input at {where}: {error.message[:200]}", True, obtained)
        function = self.function(entry, routine)
        try:
            value = function(**arguments)
        except Exception as exc:  # the tool failed: the model sees it as an error result
            message = str(exc).splitlines()[0][:300] if str(exc) else ""
            return ToolOutcome(Redactor().text(f"{type(exc).__name__}: {message}"), True, obtained)
        volatile = frozenset(tool.options.get("volatile") or ())
        return ToolOutcome(result_text(normalise(value, volatile)), False, obtained)
