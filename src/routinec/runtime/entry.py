"""Runtime layer: one lock entry made ready to run (stale check, validators, templates).

In: a typed `LockEntry` and the project root. Out: a `LockedRoutine` that validates inputs and
outputs against the locked schemas, renders the locked templates in a Jinja2 sandbox and
loads its test cases. Never reads a `.routine` spec: the lock is enough.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jsonschema import Draft202012Validator

from routinec.canonical import json_number, loads, source_digest
from routinec.codes import Code
from routinec.lockfile.entry import LockEntry, PromptPart
from routinec.runtime.errors import RoutineError, unknown_name
from routinec.runtime.sandbox import BoundedSandbox
from routinec.schema_keys import misspelt_keys

__all__ = ["LockedRoutine", "to_wire"]


def to_wire(value: Any) -> Any:
    """Lock values to plain JSON for the API and validators: numbers by `canonical.json_number`
    (integral → int), and the remaining Decimals as (correctly rounded) floats."""
    if isinstance(value, Decimal):
        number = json_number(value)
        return float(number) if isinstance(number, Decimal) else number
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    return value


class _LockLoader(jinja2.DictLoader):
    """A DictLoader whose templates carry their lock name as filename (for error lines)."""

    def get_source(  # type: ignore[override]  # jinja2 types DictLoader's filename as None
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool]]:
        source, _, uptodate = super().get_source(environment, template)
        return source, template, uptodate


def _template_line(tb: TracebackType | None, names: set[str]) -> tuple[str, int] | None:
    found: tuple[str, int] | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in names:
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _first_error(validator: Draft202012Validator, instance: Any) -> str | None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(e.absolute_path), e.message))
    if not errors:
        return None
    slips = [slip for slip in misspelt_keys(errors) if slip.meant]
    if slips:  # one misspelt key, not "'category' is required" plus "'categroy' was unexpected"
        more = f" (and {len(slips) - 1} more)" if len(slips) > 1 else ""
        return f"{slips[0].text()}{more}"
    err = errors[0]
    where = "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where.lstrip('.') or '(root)'}: {err.message}{more}"


class LockedRoutine:
    """A lock entry, checked for staleness once and compiled once, shared by threads."""

    def __init__(self, name: str, entry: LockEntry, root: Path, lock_path: Path, *, frozen: bool = False) -> None:
        """`frozen`: a rollout's frozen entry (lock `rollout` section), which runs from the lock
        alone after its spec has moved on, so its sources are not compared with the disk."""
        self.name = name
        self.entry = entry
        # "vN" for a frozen entry that differs from the current one: its transcripts and
        # goldens live in golden/NAME/vN/ (set by Runtime.routine_at); None: the shared folder.
        self.version_dir: str | None = None
        self.root = root
        self.lock_path = lock_path
        self.entry_hash: str = entry.entry_hash
        self.snapshot: str = entry.model.snapshot
        self.structured: bool = entry.model.structured_outputs
        self.session_state: bool = entry.session_state
        self.output_schema: dict[str, Any] = to_wire(entry.output_schema)
        self.input_schema: dict[str, Any] = to_wire(entry.input_schema)
        self._defaults = {
            k: v["default"]
            for k, v in (self.input_schema.get("properties") or {}).items()
            if isinstance(v, dict) and "default" in v
        }
        self._api_schema: dict[str, Any] | None = None
        if not frozen:
            self._check_sources()
        self._input_validator = Draft202012Validator(self.input_schema)
        self._output_validator = Draft202012Validator(self.output_schema)
        self._lock = threading.Lock()
        self._templates: dict[str, jinja2.Template] = {}
        prompt = entry.prompt
        sources: dict[str, str] = dict(prompt.includes)
        self._system_name = self._name_for(prompt.system, "system", sources)
        self._user_name = self._name_for(prompt.user, "prompt", sources)
        self._env = BoundedSandbox(
            loader=_LockLoader(sources),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
        )
        self._names = set(sources)

    def _name_for(self, part: PromptPart | None, label: str, sources: dict[str, str]) -> str | None:
        if part is None:
            return None
        name = part.path or f"<{self.name}.{label}>"
        sources[name] = part.template
        return name

    # -- staleness -------------------------------------------------------------------------

    def _check_sources(self) -> None:
        for rel, recorded in sorted(self.entry.sources.items()):
            path = self.root / rel
            try:
                actual = source_digest(path.read_bytes())
            except OSError:
                actual = None
            if actual != recorded:
                what = "was removed" if actual is None else "changed"
                raise RoutineError(
                    Code.LOCK_STALE,
                    f"the lock entry is stale: {rel} {what} since the lock was written "
                    f"({recorded[:19]}… → {actual[:19] + '…' if actual else 'missing'})",
                    hint="run 'routinec lock'",
                    routine=self.name,
                    path=self.lock_path,
                )

    # -- inputs and outputs ----------------------------------------------------------------

    @property
    def api_schema(self) -> dict[str, Any]:
        if self._api_schema is None:
            from routinec.runtime.apischema import api_schema

            self._api_schema = api_schema(self.output_schema)
        return self._api_schema

    def validate_input(self, inputs: Any, case: str | None = None) -> dict[str, Any]:
        """Validate against the locked input schema; absent fields take their declared defaults."""
        plain = to_wire(inputs)
        if isinstance(plain, dict) and self._defaults:
            plain = {**copy.deepcopy(self._defaults), **plain}
        problem = _first_error(self._input_validator, plain)
        if problem is not None:
            raise RoutineError(
                Code.INVALID_INPUT,
                f"input does not match the locked input schema: {problem}",
                hint="fix the input, or change the spec's input block and run 'routinec lock'",
                routine=self.name,
                case=case,
            )
        assert isinstance(plain, dict)
        return plain

    def output_problem(self, output: Any) -> str | None:
        return _first_error(self._output_validator, output)

    def case_names(self) -> list[str]:
        return sorted(self.entry.tests)

    def case_input(self, case: str) -> dict[str, Any]:
        tests = self.entry.tests
        if case not in tests:
            raise unknown_name(Code.UNKNOWN_CASE, case, sorted(tests), routine=self.name)
        test = tests[case]
        if test.input is not None:
            value = test.input
        else:
            assert test.input_path is not None, "LockEntry.from_json requires one of them"
            path = self.root / test.input_path
            try:
                value = loads(path.read_bytes())
            except (OSError, ValueError) as exc:
                raise RoutineError(
                    Code.INVALID_INPUT,
                    f"cannot read the test input ({type(exc).__name__}: {str(exc)[:100]})",
                    hint="run 'routinec lock'",
                    routine=self.name,
                    case=case,
                    path=path,
                ) from None
        return self.validate_input(value, case)

    def compare_rules(self, case: str) -> dict[str, dict[str, Any]]:
        test = self.entry.tests.get(case)
        return dict(test.compare) if test is not None else {}

    # -- rendering -------------------------------------------------------------------------

    def _template(self, name: str, case: str | None) -> jinja2.Template:
        with self._lock:
            cached = self._templates.get(name)
            if cached is not None:
                return cached
            try:
                template = self._env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                raise RoutineError(
                    Code.TEMPLATE_ERROR,
                    f"template {name} line {exc.lineno} does not parse: {exc.message}",
                    hint="fix the template and run 'routinec lock'",
                    routine=self.name,
                    case=case,
                ) from None
            self._templates[name] = template
            return template

    def _render(self, name: str, inputs: dict[str, Any], case: str | None) -> str:
        template = self._template(name, case)
        try:
            return template.render(inputs)
        except SecurityError as exc:
            where = _template_line(exc.__traceback__, self._names)
            at = f" at {where[0]} line {where[1]}" if where else ""
            raise RoutineError(
                Code.TEMPLATE_UNSAFE,
                f"the template sandbox refused an unsafe operation{at}: {exc}",
                hint="templates may only read and format their inputs; fix the template and run 'routinec check'",
                routine=self.name,
                case=case,
            ) from None
        except jinja2.UndefinedError as exc:
            where = _template_line(exc.__traceback__, self._names)
            at = f"{where[0]} line {where[1]}" if where else name
            raise RoutineError(
                Code.TEMPLATE_ERROR,
                f"template {at}: {exc.message}",
                hint="pass the missing input, or declare it in the spec and run 'routinec lock'",
                routine=self.name,
                case=case,
            ) from None
        except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError) as exc:
            where = _template_line(exc.__traceback__, self._names)
            at = f"{where[0]} line {where[1]}" if where else name
            raise RoutineError(
                Code.TEMPLATE_ERROR,
                f"template {at} failed: {type(exc).__name__}: {exc}",
                hint="fix the template and run 'routinec lock'",
                routine=self.name,
                case=case,
            ) from None

    def render(self, inputs: dict[str, Any], case: str | None = None) -> tuple[str | None, str]:
        """Render (system, prompt) for validated inputs."""
        system = self._render(self._system_name, inputs, case) if self._system_name else None
        assert self._user_name is not None, "a lock entry always has a user prompt"
        return system, self._render(self._user_name, inputs, case)


def load_routine(
    routines: dict[str, LockEntry], name: str, root: Path, lock_path: Path
) -> LockedRoutine:
    if name not in routines:
        raise unknown_name(Code.UNKNOWN_ROUTINE, name, sorted(routines), path=lock_path)
    return LockedRoutine(name, routines[name], root, lock_path)
