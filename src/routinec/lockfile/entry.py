"""Lockfile layer: one routine's lock entry as a typed model, read and written side by side.

In: an entry object from `routines.lock` (numbers as int/Decimal), or the parts the compiler
lowered. Out: a frozen `LockEntry` (`from_json` checks every field's JSON type and names the
entry and field of the first bad one, as a `lock-corrupt` diagnostic) and its JSON form
(`to_json`), which the lock's bytes and `entry_hash` are made of. Format: docs/lockfile.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any, NoReturn

from routinec.canonical import digest
from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.params import BY_LOCK_KEY, PARAMS, ParamValue
from routinec.pickling import by_constructor

__all__ = [
    "ENTRY_KEYS",
    "ConsumerPin",
    "LockEntry",
    "ModelPin",
    "Params",
    "Prompt",
    "PromptPart",
    "TestCase",
    "ToolPin",
    "ToolSet",
    "Trigger",
    "entry_hash",
]

JsonObject = dict[str, Any]
RESTORE = "restore it from git, or run 'routinec lock'"
STATES = ("reset", "session")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """Digest of an entry's JSON without its own `entry_hash` key."""
    return digest({k: v for k, v in entry.items() if k != "entry_hash"})


class _Corrupt(Exception):
    """What is wrong, starting with the field's dotted path inside the entry."""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _fail(where: str, expected: str, value: Any) -> NoReturn:
    raise _Corrupt(f"{where} must be {expected}, found {_kind(value)}")


def _obj(value: Any, where: str) -> JsonObject:
    if not isinstance(value, dict):
        _fail(where, "an object", value)
    return value


_ABSENT: Any = object()


def _field(data: JsonObject, key: str, where: str) -> Any:
    value = data.get(key, _ABSENT)
    if value is _ABSENT:
        raise _Corrupt(f"{where} has no {key!r}")
    return value


# Readers run for every entry on every `verify`: the common case is one dict lookup and
# one type test; the wording of a failure is worked out only when there is one.
def _str(data: JsonObject, key: str, where: str, *, null: bool = False) -> Any:
    value = data.get(key, _ABSENT)
    if value.__class__ is str or (null and value is None):
        return value
    _field(data, key, where)
    _fail(f"{where}.{key}", "a string" + (" or null" if null else ""), value)


def _int(data: JsonObject, key: str, where: str) -> int:
    value = data.get(key, _ABSENT)
    if value.__class__ is int:
        return value
    _field(data, key, where)
    _fail(f"{where}.{key}", "an integer", value)


def _bool(data: JsonObject, key: str, where: str) -> bool:
    value = data.get(key, _ABSENT)
    if value.__class__ is bool:
        return value
    _field(data, key, where)
    _fail(f"{where}.{key}", "true or false", value)


def _str_map(value: Any, where: str) -> dict[str, str]:
    for key, item in _obj(value, where).items():
        if not isinstance(item, str):
            _fail(f"{where}.{key}", "a string", item)
    return dict(value)


@by_constructor
@dataclass(frozen=True, slots=True)
class ModelPin:
    alias: str  # as written in the spec
    snapshot: str  # what requests use
    resolved_by: str  # table | models-api
    lifecycle: str  # active | deprecated | retired
    retires_at: str | None
    max_tokens_limit: int
    structured_outputs: bool  # false: the output schema goes as a forced tool

    @classmethod
    def from_json(cls, value: Any, where: str = "model") -> ModelPin:
        data = _obj(value, where)
        return cls(
            alias=_str(data, "alias", where),
            snapshot=_str(data, "snapshot", where),
            resolved_by=_str(data, "resolved_by", where),
            lifecycle=_str(data, "lifecycle", where),
            retires_at=_str(data, "retires_at", where, null=True),
            max_tokens_limit=_int(data, "max_tokens_limit", where),
            structured_outputs=_bool(data, "structured_outputs", where),
        )

    def to_json(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@by_constructor
@dataclass(frozen=True, slots=True)
class Params:
    """Locked parameters by lock key (`routinec.params.PARAMS`); max_tokens always, the rest when set."""

    values: dict[str, ParamValue]

    @classmethod
    def from_json(cls, value: Any, where: str = "params") -> Params:
        data = _obj(value, where)
        for key, item in data.items():
            param = BY_LOCK_KEY.get(key)
            if param is None:
                _fail(f"{where}.{key}", f"one of the known parameters ({', '.join(sorted(BY_LOCK_KEY))})", item)
            problem = param.lock_value_problem(item)
            if problem is not None:
                _fail(f"{where}.{key}", problem, item)
        for param in PARAMS:
            if param.required and param.lock_key not in data:
                _field(data, param.lock_key, where)
        return cls(dict(data))

    def to_json(self) -> JsonObject:
        return {k: list(v) if isinstance(v, list) else v for k, v in self.values.items()}

    def get(self, lock_key: str) -> ParamValue | None:
        return self.values.get(lock_key)

    @property
    def max_tokens(self) -> int:
        value = self.values["max_tokens"]
        assert isinstance(value, int)
        return value


@by_constructor
@dataclass(frozen=True, slots=True)
class PromptPart:
    path: str | None  # project-relative file, or None for inline text
    template: str

    @classmethod
    def from_json(cls, value: Any, where: str) -> PromptPart:
        data = _obj(value, where)
        return cls(_str(data, "path", where, null=True), _str(data, "template", where))

    def to_json(self) -> JsonObject:
        return {"path": self.path, "template": self.template}


@by_constructor
@dataclass(frozen=True, slots=True)
class Prompt:
    system: PromptPart | None
    user: PromptPart
    includes: dict[str, str]  # {% include %}/{% import %} targets: path → text
    hash: str

    @classmethod
    def from_json(cls, value: Any, where: str = "prompt") -> Prompt:
        data = _obj(value, where)
        system = _field(data, "system", where)
        return cls(
            system=None if system is None else PromptPart.from_json(system, f"{where}.system"),
            user=PromptPart.from_json(_field(data, "user", where), f"{where}.user"),
            includes=_str_map(_field(data, "includes", where), f"{where}.includes"),
            hash=_str(data, "hash", where),
        )

    def to_json(self) -> JsonObject:
        return {
            "system": None if self.system is None else self.system.to_json(),
            "user": self.user.to_json(),
            "includes": dict(self.includes),
            "hash": self.hash,
        }


@by_constructor
@dataclass(frozen=True, slots=True)
class TestCase:
    input: Any  # inline input value (JSON), or None when it lives in input_path
    input_path: str | None
    input_hash: str  # digest of the input value
    compare: dict[str, JsonObject]  # field → {"rule": …, "tolerance"?: …}
    # Trajectory expectations of a tool-using routine ({"tools": [...], "tool_args": [...],
    # "max_turns": N}); empty, and then not written, for every other test.
    expect: JsonObject = dataclasses.field(default_factory=dict)

    __test__ = False  # not a pytest class

    @classmethod
    def from_json(cls, value: Any, where: str) -> TestCase:
        data = _obj(value, where)
        input_value = _field(data, "input", where)
        input_path = _str(data, "input_path", where, null=True)
        if input_value is None and input_path is None:
            _fail(f"{where}.input_path", "a string when input is null", None)
        compare = _obj(_field(data, "compare", where), f"{where}.compare")
        for name, rule in compare.items():
            at = f"{where}.compare.{name}"
            _str(_obj(rule, at), "rule", at)
            tolerance = rule.get("tolerance", 0)
            if isinstance(tolerance, bool) or not isinstance(tolerance, int | Decimal):
                _fail(f"{at}.tolerance", "a number", tolerance)
        expect = _obj(data.get("expect", {}), f"{where}.expect")
        return cls(input_value, input_path, _str(data, "input_hash", where), dict(compare), dict(expect))

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "input": self.input,
            "input_path": self.input_path,
            "input_hash": self.input_hash,
            "compare": dict(self.compare),
        }
        if self.expect:
            out["expect"] = dict(self.expect)
        return out


@by_constructor
@dataclass(frozen=True, slots=True)
class ConsumerPin:
    name: str  # a consumer block's name, or a schema file's path
    kind: str  # consumer | file
    schema: JsonObject | bool
    schema_hash: str

    @classmethod
    def from_json(cls, value: Any, where: str) -> ConsumerPin:
        data = _obj(value, where)
        schema = _field(data, "schema", where)
        if not isinstance(schema, dict | bool):
            _fail(f"{where}.schema", "an object or a boolean", schema)
        return cls(_str(data, "name", where), _str(data, "kind", where), schema, _str(data, "schema_hash", where))

    def to_json(self) -> JsonObject:
        return {"name": self.name, "kind": self.kind, "schema": self.schema, "schema_hash": self.schema_hash}


@by_constructor
@dataclass(frozen=True, slots=True)
class ToolPin:
    """One tool a routine may call: a Python entry point (kind "python") or a server tool the
    API runs (kind "server", `entry_point` is its versioned type). `source_digests` are the raw
    bytes digests of the files the entry point and dry run live in (path relative to the
    import root they were found under), so editing a tool's code is drift `verify` names."""

    name: str
    kind: str  # python | server
    effect: str | None  # read | write (python tools)
    entry_point: str
    dry_run: str | None
    description: str | None
    input_schema: JsonObject | None
    schema_hash: str | None
    source_digests: dict[str, str]
    options: JsonObject  # server tool options; `volatile` keys; `strict`

    @classmethod
    def from_json(cls, value: Any, where: str) -> ToolPin:
        data = _obj(value, where)
        schema = _field(data, "input_schema", where)
        if schema is not None and not isinstance(schema, dict):
            _fail(f"{where}.input_schema", "an object or null", schema)
        return cls(
            name=_str(data, "name", where),
            kind=_str(data, "kind", where),
            effect=_str(data, "effect", where, null=True),
            entry_point=_str(data, "entry_point", where),
            dry_run=_str(data, "dry_run", where, null=True),
            description=_str(data, "description", where, null=True),
            input_schema=schema,
            schema_hash=_str(data, "schema_hash", where, null=True),
            source_digests=_str_map(_field(data, "source_digests", where), f"{where}.source_digests"),
            options=dict(_obj(_field(data, "options", where), f"{where}.options")),
        )

    def to_json(self) -> JsonObject:
        return {
            "name": self.name,
            "kind": self.kind,
            "effect": self.effect,
            "entry_point": self.entry_point,
            "dry_run": self.dry_run,
            "description": self.description,
            "input_schema": self.input_schema,
            "schema_hash": self.schema_hash,
            "source_digests": dict(sorted(self.source_digests.items())),
            "options": dict(sorted(self.options.items())),
        }


@by_constructor
@dataclass(frozen=True, slots=True)
class ToolSet:
    """A tool-using routine's tools and the limits of its tool loop."""

    tools: tuple[ToolPin, ...]  # in declaration order (the order the request lists them)
    max_turns: int
    max_tool_calls: int
    parallel: bool
    tool_choice: str  # auto | any | none | a tool's name

    @classmethod
    def from_json(cls, value: Any, where: str = "tools") -> ToolSet:
        data = _obj(value, where)
        items = _field(data, "tools", where)
        if not isinstance(items, list):
            _fail(f"{where}.tools", "a list", items)
        return cls(
            tools=tuple(ToolPin.from_json(t, f"{where}.tools[{i}]") for i, t in enumerate(items)),
            max_turns=_int(data, "max_turns", where),
            max_tool_calls=_int(data, "max_tool_calls", where),
            parallel=_bool(data, "parallel", where),
            tool_choice=_str(data, "tool_choice", where),
        )

    def to_json(self) -> JsonObject:
        return {
            "tools": [t.to_json() for t in self.tools],
            "max_turns": self.max_turns,
            "max_tool_calls": self.max_tool_calls,
            "parallel": self.parallel,
            "tool_choice": self.tool_choice,
        }

    def get(self, name: str) -> ToolPin | None:
        return next((t for t in self.tools if t.name == name), None)


TRIGGER_EVENTS = ("schedule", "pull_request", "dispatch")


@by_constructor
@dataclass(frozen=True, slots=True)
class Trigger:
    """When a routine runs (`on schedule "cron"`, `on pull_request [types]`, `on dispatch`)."""

    event: str  # schedule | pull_request | dispatch
    cron: str | None = None  # schedule only
    types: tuple[str, ...] = ()  # pull_request only; empty: GitHub's default activity types

    @classmethod
    def from_json(cls, value: Any, where: str) -> Trigger:
        data = _obj(value, where)
        event = _str(data, "event", where)
        if event == "schedule":
            return cls(event, cron=_str(data, "cron", where))
        if event == "pull_request":
            types = _field(data, "types", where)
            if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
                _fail(f"{where}.types", "a list of strings", types)
            return cls(event, types=tuple(types))
        if event == "dispatch":
            return cls(event)
        raise _Corrupt(f"{where}.event is {event!r}, not one of {', '.join(TRIGGER_EVENTS)}")

    def to_json(self) -> JsonObject:
        out: JsonObject = {"event": self.event}
        if self.event == "schedule":
            out["cron"] = self.cron
        elif self.event == "pull_request":
            out["types"] = list(self.types)
        return out


@by_constructor
@dataclass(frozen=True, slots=True)
class LockEntry:
    """One routine in `routines.lock`: everything that decides its behaviour, sealed."""

    name: str
    version: int
    description: str | None
    source: str  # the spec file
    spec_hash: str
    model: ModelPin
    params: Params
    state: str  # reset | session
    prompt: Prompt
    input_schema: JsonObject
    input_schema_hash: str
    output_schema: JsonObject
    output_schema_hash: str
    consumers: tuple[ConsumerPin, ...]  # sorted by name
    tests: dict[str, TestCase]
    sources: dict[str, str]  # raw-bytes digest of every file the entry came from
    entry_hash: str = ""  # digest of the rest of the JSON; "" until `sealed()`
    # Optional parts, written only when the routine has them (an entry without them keeps
    # the JSON, and the entry hash, it had before they existed).
    tools: ToolSet | None = None
    triggers: tuple[Trigger, ...] = ()

    @classmethod
    def from_json(cls, value: Any, name: str = "?", *, path: str = "routines.lock") -> LockEntry:
        """Check and read one entry; a bad one is a `lock-corrupt` DiagnosticError naming the field."""
        try:
            data = _obj(value, "the entry")
            missing = [k for k in ENTRY_KEYS if k not in data]
            if missing:
                raise DiagnosticError([_corrupt(path, f"lock entry {name!r} is incomplete (missing {', '.join(missing)})")])
            consumers = data["consumers"]
            if not isinstance(consumers, list):
                _fail("consumers", "a list", consumers)
            tests = _obj(data["tests"], "tests")
            if name != "?" and data["name"] != name:
                raise _Corrupt(f"name is {data['name']!r}, but the entry is listed as {name!r}")
            return cls(
                name=_str(data, "name", "entry"),
                version=_int(data, "version", "entry"),
                description=_str(data, "description", "entry", null=True),
                source=_str(data, "source", "entry"),
                spec_hash=_str(data, "spec_hash", "entry"),
                model=ModelPin.from_json(data["model"]),
                params=Params.from_json(data["params"]),
                state=_state(data),
                prompt=Prompt.from_json(data["prompt"]),
                input_schema=_obj(data["input_schema"], "input_schema"),
                input_schema_hash=_str(data, "input_schema_hash", "entry"),
                output_schema=_obj(data["output_schema"], "output_schema"),
                output_schema_hash=_str(data, "output_schema_hash", "entry"),
                consumers=tuple(ConsumerPin.from_json(c, f"consumers[{i}]") for i, c in enumerate(consumers)),
                tests={str(k): TestCase.from_json(v, f"tests.{k}") for k, v in tests.items()},
                sources=_str_map(data["sources"], "sources"),
                entry_hash=_str(data, "entry_hash", "entry"),
                tools=None if data.get("tools") is None else ToolSet.from_json(data["tools"]),
                triggers=_triggers(data.get("triggers", [])),
            )
        except _Corrupt as exc:
            where = str(exc).removeprefix("entry.")
            raise DiagnosticError([_corrupt(path, f"lock entry {name!r} is corrupt: {where}")]) from None

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "source": self.source,
            "spec_hash": self.spec_hash,
            "model": self.model.to_json(),
            "params": self.params.to_json(),
            "state": self.state,
            "prompt": self.prompt.to_json(),
            "input_schema": self.input_schema,
            "input_schema_hash": self.input_schema_hash,
            "output_schema": self.output_schema,
            "output_schema_hash": self.output_schema_hash,
            "consumers": [c.to_json() for c in self.consumers],
            "tests": {k: t.to_json() for k, t in self.tests.items()},
            "sources": dict(self.sources),
        }
        if self.tools is not None:
            out["tools"] = self.tools.to_json()
        if self.triggers:
            out["triggers"] = [t.to_json() for t in self.triggers]
        out["entry_hash"] = self.entry_hash
        return out

    def sealed(self) -> LockEntry:
        """This entry with `entry_hash` computed over the canonical JSON of the rest."""
        data = self.to_json()
        del data["entry_hash"]  # a fresh dict: no copy without the key (`entry_hash`)
        # The constructor with this entry's values, not dataclasses.replace (which looks up
        # the fields again on every call); runs once per routine on every lock.
        values = list(_ENTRY_VALUES(self))
        values[_ENTRY_HASH_AT] = digest(data)
        return LockEntry(*values)

    def mismatched_hashes(self) -> list[str]:
        """The parts whose content no longer matches the hash stored beside it. A lock edited
        by hand and resealed keeps a valid `entry_hash`; it rarely keeps these, and `verify`
        compares the hashes themselves with a fresh compile."""
        prompt = self.prompt.to_json()
        del prompt["hash"]
        checks = [
            ("prompt", self.prompt.hash, prompt),
            ("input_schema", self.input_schema_hash, self.input_schema),
            ("output_schema", self.output_schema_hash, self.output_schema),
            *((f"consumer {c.name}", c.schema_hash, c.schema) for c in self.consumers),
            *(
                (f"test {name} input", case.input_hash, case.input)
                for name, case in sorted(self.tests.items())
                if case.input is not None
            ),
            *(
                (f"tool {t.name} schema", t.schema_hash, t.input_schema)
                for t in (self.tools.tools if self.tools is not None else ())
                if t.schema_hash is not None
            ),
        ]
        return [what for what, stored, content in checks if digest(content) != stored]

    @property
    def session_state(self) -> bool:
        return self.state == "session"


def _state(data: JsonObject) -> str:
    state = data["state"]
    if state not in STATES:
        _fail("state", " or ".join(repr(s) for s in STATES), state)
    return str(state)


def _triggers(value: Any) -> tuple[Trigger, ...]:
    if not isinstance(value, list):
        _fail("triggers", "a list", value)
    return tuple(Trigger.from_json(item, f"triggers[{i}]") for i, item in enumerate(value))


_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(LockEntry))
_ENTRY_VALUES = attrgetter(*_ENTRY_FIELDS)
_ENTRY_HASH_AT = _ENTRY_FIELDS.index("entry_hash")

OPTIONAL_KEYS = ("tools", "triggers")
# What every entry holds, in the model's order (the reader's list of required keys).
ENTRY_KEYS: tuple[str, ...] = tuple(name for name in _ENTRY_FIELDS if name not in OPTIONAL_KEYS)


def _corrupt(path: str, message: str) -> Diagnostic:
    return Diagnostic(Code.LOCK_CORRUPT, Severity.ERROR, message, Span(path), RESTORE)
