"""Compiler layer: the typed AST of a .routine file. Plain frozen nodes, each with a span.

In: built only by `compiler.parse`'s transformer. Out: read by check, lower and fmt.
Numbers are Decimal; nothing here validates (that is `compiler.check`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields, is_dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar, Union, dataclass_transform

from routinec.diagnostics import Span
from routinec.pickling import by_constructor

__all__ = [
    "Comment",
    "CompareItem",
    "Constraint",
    "ConsumerDef",
    "ConsumerRef",
    "Field",
    "File",
    "FileHead",
    "ListType",
    "LiteralUnion",
    "NamedType",
    "RoutineDef",
    "RoutineHead",
    "Setting",
    "Settings",
    "Template",
    "TestDef",
    "ToolDef",
    "ToolExpect",
    "ToolOption",
    "Trigger",
    "TypeDef",
    "TypeExpr",
    "Value",
    "join_file",
    "split_file",
    "to_plain",
]

# JSON-like literal values: str, Decimal, bool, None, list, dict (keys in source order).
Value = Any

_N = TypeVar("_N")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def _node(cls: type[_N]) -> type[_N]:
    """`@dataclass(frozen=True, slots=True)` for the many small nodes of a parse: the same
    fields, constructor, equality, hash, repr and immutability (FrozenInstanceError), with two
    costs taken out. The methods a frozen dataclass compiles per class (six; importing this
    module spent ~12 ms compiling them) are shared functions here, bar `__init__`; and
    `__init__` sets each slot through its descriptor, not through `object.__setattr__` as a
    frozen dataclass does (a third of the time to build a node)."""
    documented = bool(cls.__doc__)
    cls.__doc__ = cls.__doc__ or "-"  # dataclass would read a signature to write one: see below
    cls = dataclass(slots=True, init=False, repr=False, eq=False)(cls)
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    values: Callable[[Any], tuple[Any, ...]]
    if len(names) == 1:
        (only,) = names
        values = lambda node: (getattr(node, only),)  # noqa: E731 (attrgetter of one name gives no tuple)
    else:
        values = attrgetter(*names)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(values(self))

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(names, values(self), strict=True))
        return f"{self.__class__.__qualname__}({shown})"

    def __setattr__(self: Any, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self: Any, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    namespace: dict[str, Any] = {}
    params, body = [], []
    for i, f in enumerate(fields(cls)):  # type: ignore[arg-type]
        if f.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: a node field takes a default, not a factory")
        namespace[f"_set{i}"] = cls.__dict__[f.name].__set__
        if f.default is MISSING:
            params.append(f.name)
        else:
            namespace[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
        body.append(f"    _set{i}(self, {f.name})\n")
    exec(f"def __init__(self, {', '.join(params)}):\n{''.join(body)}", namespace)  # source made of our own field names
    init = namespace["__init__"]
    init.__annotations__ = {**{f.name: f.type for f in fields(cls)}, "return": None}  # type: ignore[arg-type]
    if not documented:  # what dataclass writes, e.g. "NamedType(name: 'str', span: 'Span')"
        shown = ", ".join(f"{f.name}: {f.type!r}" + ("" if f.default is MISSING else f" = {f.default!r}") for f in fields(cls))  # type: ignore[arg-type]
        cls.__doc__ = f"{cls.__name__}({shown})"
    for method in (init, __eq__, __hash__, __repr__, __setattr__, __delattr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
    return cls


@by_constructor
@_node
class NamedType:
    name: str
    span: Span


@by_constructor
@_node
class ListType:
    item: TypeExpr
    span: Span


@by_constructor
@_node
class LiteralUnion:
    values: tuple[str, ...]
    span: Span


TypeExpr = Union[NamedType, ListType, LiteralUnion]  # noqa: UP007 (runtime alias)


@by_constructor
@_node
class Constraint:
    name: str
    value: Value
    span: Span


@by_constructor
@_node
class Field:
    name: str
    optional: bool
    type: TypeExpr
    constraints: tuple[Constraint, ...]
    default: Value
    has_default: bool
    span: Span
    default_span: Span | None = None


@by_constructor
@_node
class TypeDef:
    name: str
    fields: tuple[Field, ...]
    span: Span


@by_constructor
@_node
class Template:
    """An inline template (`text`) or a file one (`path`, relative to the project root)."""

    text: str | None
    path: str | None
    span: Span
    # Where the inline text starts in the spec (for mapping template errors to spec lines).
    text_line: int = 0
    triple: bool = False


@by_constructor
@_node
class Setting:
    """One `keyword value` statement in a routine: model, temperature, effort, stop, …"""

    key: str
    value: Value
    span: Span
    value_span: Span


@by_constructor
@_node
class Settings:
    """A routine's setting statements (`model`, `state` and the parameters of
    `routinec.params.PARAMS`), each kept once, in source order, with their spans."""

    statements: tuple[Setting, ...] = ()

    def get(self, key: str) -> Setting | None:
        for setting in self.statements:
            if setting.key == key:
                return setting
        return None

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __iter__(self) -> Iterator[Setting]:
        return iter(self.statements)

    @property
    def model(self) -> str | None:
        """The model id or alias as written."""
        setting = self.get("model")
        return None if setting is None else str(setting.value)

    @property
    def state(self) -> str:
        setting = self.get("state")
        return "reset" if setting is None else str(setting.value)

    def number(self, key: str) -> Decimal | None:
        setting = self.get(key)
        return setting.value if setting is not None and isinstance(setting.value, Decimal) else None


@by_constructor
@_node
class ConsumerRef:
    name: str
    is_file: bool
    span: Span


@by_constructor
@_node
class CompareItem:
    field: str
    rule: str
    arg_name: str | None
    arg: Decimal | None
    span: Span


@by_constructor
@_node
class ToolExpect:
    """A test's expectation on the trajectory: `expect tools [a, b]` (kind "tools", the
    sequence of calls), `expect tool a { … }` ("tool": (name, arguments)), `expect turns <= N`."""

    kind: str
    value: Value
    span: Span


@by_constructor
@_node
class TestDef:
    name: str
    input_file: str | None
    input_value: dict[str, Value] | None
    compare: tuple[CompareItem, ...]
    span: Span
    input_span: Span | None = None
    # How many `input` / `compare` statements the block had (checked: at most one each).
    input_count: int = 0
    compare_count: int = 0
    trajectory: tuple[ToolExpect, ...] = ()


@by_constructor
@_node
class ToolOption:
    """`name value` inside a tool block; a bare word value (`effect read`) is kept as a str."""

    name: str
    value: Value
    span: Span


@by_constructor
@_node
class ToolDef:
    """`tool NAME "module:attr" { … }` (kind "python") or `server_tool NAME "type_20250305" { … }`
    (kind "server": `target` is the API's versioned tool type)."""

    name: str
    kind: str
    target: str
    options: tuple[ToolOption, ...]
    inputs: tuple[Field, ...] | None
    span: Span
    name_span: Span
    target_span: Span
    input_count: int = 0

    def option(self, name: str) -> ToolOption | None:
        return next((o for o in self.options if o.name == name), None)


@by_constructor
@_node
class Trigger:
    """`on schedule "cron"`, `on pull_request [opened, …]`, `on dispatch`."""

    event: str
    arg: Value  # a string, a tuple of names, or None
    span: Span


@by_constructor
@_node
class RoutineDef:
    name: str
    version: int
    settings: Settings
    system: Template | None
    prompt: Template | None
    inputs: tuple[Field, ...] | None
    outputs: tuple[Field, ...] | None
    consumers: tuple[ConsumerRef, ...]
    tests: tuple[TestDef, ...]
    span: Span
    name_span: Span
    # Statements given more than once, for the checker: (keyword, span of the repeat).
    repeats: tuple[tuple[str, Span], ...] = ()
    description: str | None = None
    tools: tuple[ToolDef, ...] = ()
    triggers: tuple[Trigger, ...] = ()


@by_constructor
@_node
class ConsumerDef:
    name: str
    description: str | None
    expects: tuple[Field, ...]
    span: Span
    name_span: Span
    expects_count: int = 1


@by_constructor
@_node
class Comment:
    text: str
    line: int
    column: int
    # True when code precedes the comment on its line.
    trailing: bool


@by_constructor
@_node
class File:
    path: str
    items: tuple[TypeDef | RoutineDef | ConsumerDef, ...]
    comments: tuple[Comment, ...] = field(default=())


@by_constructor
@_node
class RoutineHead:
    """What a build reads of a routine in a spec file that came from the build cache until it
    needs the whole routine (`compiler.cache.SpecRecord`): its name and spans, its `model`
    statement, and its place among the file's routines (`index`)."""

    name: str
    span: Span
    name_span: Span
    model: Setting | None
    index: int


@by_constructor
@_node
class FileHead:
    """A spec file from the build cache: its types and consumers whole, its routines as heads."""

    path: str
    items: tuple[TypeDef | RoutineHead | ConsumerDef, ...]


def split_file(file: File) -> tuple[FileHead, tuple[tuple[RoutineDef, ...], tuple[Comment, ...]]]:
    """`file` as its head and the rest (its routines in order, its comments)."""
    routines: list[RoutineDef] = []
    items: list[TypeDef | RoutineHead | ConsumerDef] = []
    for item in file.items:
        if isinstance(item, RoutineDef):
            items.append(RoutineHead(item.name, item.span, item.name_span, item.settings.get("model"), len(routines)))
            routines.append(item)
        else:
            items.append(item)
    return FileHead(file.path, tuple(items)), (tuple(routines), file.comments)


def join_file(head: FileHead, rest: tuple[tuple[RoutineDef, ...], tuple[Comment, ...]]) -> File:
    """The `File` that `split_file` split."""
    routines, comments = rest
    items = tuple(routines[item.index] if isinstance(item, RoutineHead) else item for item in head.items)
    return File(head.path, items, comments)


_NOT_CONTENT = frozenset(
    {
        "span",
        "name_span",
        "value_span",
        "default_span",
        "input_span",
        "text_line",
        "triple",
        "comments",
        "path",
        "repeats",
        "input_count",
        "compare_count",
        "expects_count",
        "target_span",
    }
)
# Content added after locks existed: left out of the plain form while empty, so the spec hash
# of a routine without tools, triggers or trajectory expectations stays what it was.
_OMIT_EMPTY = frozenset({"tools", "triggers", "trajectory"})


_CONTENT_FIELDS: dict[type, tuple[str, ...]] = {}


def _content_fields(cls: type) -> tuple[str, ...]:
    names = _CONTENT_FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name for f in fields(cls)
            if f.name not in _NOT_CONTENT or (cls is Template and f.name == "path")
        )
        _CONTENT_FIELDS[cls] = names
    return names


_LEAVES = frozenset({str, int, bool, Decimal, float, type(None)})


def to_plain(node: Any) -> Any:
    """A node as plain JSON-like data without spans or comments (for hashing and equality)."""
    cls = type(node)
    if cls in _LEAVES:
        return node
    if cls is tuple or cls is list:  # the common containers first; leaves need no call
        return [item if type(item) in _LEAVES else to_plain(item) for item in node]
    if cls is Settings:
        # The statement list, as before Settings existed: spec hashes in locks stay the same.
        return [to_plain(s) for s in node.statements]
    names = _CONTENT_FIELDS.get(cls)
    if names is None and is_dataclass(node) and not isinstance(node, type):
        names = _content_fields(cls)
    if names is not None:
        out: dict[str, Any] = {"node": cls.__name__}
        for name in names:
            value = getattr(node, name)
            if name in _OMIT_EMPTY and not value:
                continue
            out[name] = value if type(value) in _LEAVES else to_plain(value)
        return out
    if isinstance(node, tuple | list):
        return [to_plain(item) for item in node]
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    return node
