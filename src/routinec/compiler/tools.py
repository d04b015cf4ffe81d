"""Compiler layer, tools: a routine's `tool` / `server_tool` blocks, loop limits and
trajectory expectations checked, entry points resolved statically, and lowered to a `ToolSet`.

In: a checked `RoutineDef`, its model, the project (types) and the import roots. Out:
diagnostics and the lock's `ToolSet`. Entry points are found without importing user code:
the module file is located the way Python's path finder would, one package level at a time
(a package's `__init__` is never run), and Python's `ast` reads the module's source for the attribute
and its signature. Importing would run arbitrary code at `check` time (network calls, writes,
slow imports) and make a lock depend on import side effects; reading the source is enough to
tell a missing module or attribute, and to derive the input schema from the annotations.
"""

from __future__ import annotations

import ast as pyast
import contextlib
import itertools
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from routinec.canonical import digest, json_number, plain_json, source_digest
from routinec.codes import Code
from routinec.compiler import ast
from routinec.compiler.lower import object_schema, with_defs
from routinec.compiler.symbols import Project
from routinec.diagnostics import Diagnostic, Severity, Span
from routinec.lockfile.entry import ToolPin, ToolSet, Trigger
from routinec.modeltable import SERVER_TOOL_TYPES, ModelInfo

__all__ = [
    "EFFECTS",
    "LIMIT_KEYWORDS",
    "ToolMaterials",
    "check_tools",
    "import_roots",
    "resolve_tools",
    "server_tool_name",
]

EFFECTS = ("read", "write")
TOOL_CHOICES = ("auto", "any", "none")
LIMIT_KEYWORDS = ("max_turns", "max_tool_calls", "parallel_tools", "tool_choice")
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_ENTRY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*")
_PY_OPTIONS = frozenset({"effect", "dry_run", "description", "strict", "volatile"})
_RESERVED = frozenset({"emit_output"})  # the forced output tool of models without structured outputs
_MAX_TURNS, _MAX_CALLS = 100, 1000
# Keywords strict tool schemas do not accept (the API's structured-output subset).
_NOT_STRICT = frozenset({"minLength", "maxLength", "minimum", "maximum", "pattern", "maxItems"})
PR_TYPES = frozenset({
    "assigned", "unassigned", "labeled", "unlabeled", "opened", "edited", "closed", "reopened",
    "synchronize", "converted_to_draft", "ready_for_review", "locked", "unlocked",
    "review_requested", "review_request_removed", "auto_merge_enabled", "auto_merge_disabled",
    "milestoned", "demilestoned", "enqueued", "dequeued",
})
MIN_CRON_MINUTES = 5  # GitHub Actions runs schedules at most every five minutes


def _err(code: Code, message: str, span: Span | None, help_: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, help_)


def server_tool_name(tool_type: str) -> str:
    """The name the API fixes for a server tool type: `web_search_20250305` → `web_search`."""
    return re.sub(r"_\d{8}$", "", tool_type)


# ---- checks that need no files ------------------------------------------------------------


def check_tools(routine: ast.RoutineDef, model: ModelInfo | None) -> list[Diagnostic]:
    """Names, effects, options, limits, the model's capabilities, expectations and triggers."""
    out: list[Diagnostic] = []
    seen: dict[str, ast.ToolDef] = {}
    for tool in routine.tools:
        if not _NAME.fullmatch(tool.name) or tool.name in _RESERVED:
            out.append(_err(Code.TOOL_INVALID, f"tool name {tool.name!r} is not valid", tool.name_span,
                            "use 1-64 letters, digits, '_' or '-' (emit_output is reserved)"))
        if tool.name in seen:
            first = seen[tool.name].name_span
            out.append(_err(Code.DUPLICATE_NAME, f"tool {tool.name!r} is declared twice", tool.name_span,
                            f"first declared at {first.path}:{first.line}:{first.column}"))
        seen.setdefault(tool.name, tool)
        names = [o.name for o in tool.options]
        for option in tool.options:
            if names.count(option.name) > 1 and names.index(option.name) != tool.options.index(option):
                out.append(_err(Code.DUPLICATE_STATEMENT, f"option {option.name!r} is given twice in tool {tool.name!r}", option.span))
        if tool.kind == "python":
            _check_python_tool(tool, out)
        else:
            _check_server_tool(tool, model, out)
    _check_limits(routine, out)
    state = routine.settings.get("state")
    if routine.tools and state is not None and routine.settings.state == "session":
        # The tool loop starts every run from the rendered prompt; carrying a conversation
        # (and its tool_use/tool_result turns) across runs is not replayable yet, so say so
        # rather than silently drop the history.
        out.append(_err(Code.TOOL_STATE, f"routine {routine.name!r} has tools, so it cannot keep `state session`",
                        state.value_span, "write `state reset` (each run is its own conversation of turns)"))
    if routine.tools and model is not None and not model.tool_use:
        out.append(_err(Code.TOOLS_UNSUPPORTED, f"{model.id} does not support tool use", routine.tools[0].span,
                        "choose a model that supports tools"))
    for test in routine.tests:
        for expect in test.trajectory:
            _check_expect(expect, seen, out)
    for trigger in routine.triggers:
        _check_trigger(trigger, out)
    return out


def _check_python_tool(tool: ast.ToolDef, out: list[Diagnostic]) -> None:
    if not _ENTRY.fullmatch(tool.target):
        out.append(_err(Code.TOOL_INVALID, f"entry point {tool.target!r} is not `module:attribute`", tool.target_span,
                        'write it like "triage.tools:search_code"'))
    for option in tool.options:
        if option.name not in _PY_OPTIONS:
            out.append(_err(Code.TOOL_INVALID, f"unknown tool option {option.name!r}", option.span,
                            f"tool options: {', '.join(sorted(_PY_OPTIONS))}"))
    if tool.input_count > 1:
        out.append(_err(Code.DUPLICATE_STATEMENT, f"tool {tool.name!r} has more than one `input` block", tool.span))
    effect = tool.option("effect")
    if effect is None:
        out.append(_err(Code.TOOL_INVALID, f"tool {tool.name!r} has no `effect`", tool.name_span,
                        "add `effect read` (looks only) or `effect write` (changes something)"))
    elif effect.value not in EFFECTS:
        out.append(_err(Code.TOOL_INVALID, f"unknown effect {effect.value!r}", effect.span, "use `effect read` or `effect write`"))
    dry = tool.option("dry_run")
    if effect is not None and effect.value == "write" and dry is None:
        out.append(_err(Code.TOOL_INVALID, f"write tool {tool.name!r} has no `dry_run`", tool.name_span,
                        'add `dry_run "module:preview"`: it runs, instead of the tool, whenever writes are not allowed'))
    if dry is not None:
        if effect is not None and effect.value == "read":
            out.append(_err(Code.TOOL_INVALID, f"read tool {tool.name!r} has a `dry_run`", dry.span,
                            "only write tools have a dry run; remove it"))
        if not isinstance(dry.value, str) or not _ENTRY.fullmatch(dry.value):
            out.append(_err(Code.TOOL_INVALID, "dry_run is not a `module:attribute` string", dry.span,
                            'write it like "triage.tools:preview_label"'))
    for key in ("description",):
        opt = tool.option(key)
        if opt is not None and not isinstance(opt.value, str):
            out.append(_err(Code.TOOL_INVALID, f"{key} takes a string", opt.span))
    strict = tool.option("strict")
    if strict is not None and not isinstance(strict.value, bool):
        out.append(_err(Code.TOOL_INVALID, "strict takes true or false", strict.span))
    volatile = tool.option("volatile")
    if volatile is not None and (
        not isinstance(volatile.value, list) or not all(isinstance(v, str) for v in volatile.value)
    ):
        out.append(_err(Code.TOOL_INVALID, "volatile takes a list of result keys", volatile.span,
                        'e.g. volatile ["fetched_at", "request_id"]'))


def _check_server_tool(tool: ast.ToolDef, model: ModelInfo | None, out: list[Diagnostic]) -> None:
    accepted = SERVER_TOOL_TYPES.get(tool.target)
    if accepted is None:
        out.append(_err(Code.TOOL_INVALID, f"unknown server tool type {tool.target!r}", tool.target_span,
                        f"known types: {', '.join(sorted(SERVER_TOOL_TYPES))}"))
        return
    expected = server_tool_name(tool.target)
    if tool.name != expected:
        out.append(_err(Code.TOOL_INVALID, f"server tool {tool.target} is named {expected!r} by the API", tool.name_span,
                        f"write `server_tool {expected} \"{tool.target}\"`"))
    if tool.inputs is not None:
        out.append(_err(Code.TOOL_INVALID, "a server tool takes no `input` block: the API defines its input", tool.span))
    for option in tool.options:
        if option.name not in accepted:
            out.append(_err(Code.TOOL_INVALID, f"{tool.target} has no option {option.name!r}", option.span,
                            f"its options: {', '.join(sorted(accepted)) or 'none'}"))
        elif option.name == "max_uses" and not (
            isinstance(option.value, Decimal) and option.value == option.value.to_integral_value() and option.value >= 1
        ):
            out.append(_err(Code.TOOL_INVALID, "max_uses takes a whole number ≥ 1", option.span))
        elif option.name.endswith("_domains") and (
            not isinstance(option.value, list) or not all(isinstance(d, str) for d in option.value)
        ):
            out.append(_err(Code.TOOL_INVALID, f"{option.name} takes a list of domain strings", option.span))
    if model is not None and tool.target not in model.server_tools:
        out.append(_err(Code.TOOLS_UNSUPPORTED, f"{model.id} cannot run the server tool {tool.target}", tool.target_span,
                        "choose a model that supports it, or remove the tool"))


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, Decimal) and value == value.to_integral_value() and low <= value <= high


def _check_limits(routine: ast.RoutineDef, out: list[Diagnostic]) -> None:
    settings = routine.settings
    if not routine.tools:
        for key in LIMIT_KEYWORDS:
            setting = settings.get(key)
            if setting is not None:
                out.append(_err(Code.TOOL_LIMITS, f"`{key}` is set but routine {routine.name!r} declares no tools",
                                setting.span, "remove it, or declare a `tool`"))
        return
    for key, high in (("max_turns", _MAX_TURNS), ("max_tool_calls", _MAX_CALLS)):
        setting = settings.get(key)
        if setting is None:
            out.append(_err(Code.TOOL_LIMITS, f"routine {routine.name!r} has tools but no `{key}`", routine.name_span,
                            f"bound the tool loop: `{key} N` (1..{high})"))
        elif not _whole(setting.value, 1, high):
            out.append(_err(Code.TOOL_LIMITS, f"{key} must be a whole number from 1 to {high}", setting.value_span))
    choice = settings.get("tool_choice")
    names = {t.name for t in routine.tools if t.kind == "python"} | {t.name for t in routine.tools}
    if choice is not None and choice.value not in TOOL_CHOICES and choice.value not in names:
        out.append(_err(Code.TOOL_LIMITS, f"tool_choice {choice.value!r} is neither auto, any, none nor a declared tool",
                        choice.value_span, f"tools: {', '.join(sorted(names))}"))


def _check_expect(expect: ast.ToolExpect, tools: dict[str, ast.ToolDef], out: list[Diagnostic]) -> None:
    if expect.kind == "turns":
        if not _whole(expect.value, 1, _MAX_TURNS):
            out.append(_err(Code.TOOL_LIMITS, f"expect turns takes a whole number from 1 to {_MAX_TURNS}", expect.span))
        return
    wanted = list(expect.value) if expect.kind == "tools" else [expect.value[0]]
    for name in wanted:
        if name not in tools:
            out.append(_err(Code.TOOL_INVALID, f"expect names tool {name!r}, which the routine does not declare", expect.span,
                            f"tools: {', '.join(sorted(tools)) or 'none'}"))


# ---- triggers -------------------------------------------------------------------------------

_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6))
_NAMES = {
    3: {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])},
    4: {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}


def cron_values(part: str, index: int) -> set[int]:
    """The values one cron field selects; ValueError (in words) when it is malformed."""
    what, low, high = _CRON_FIELDS[index]
    names = _NAMES.get(index, {})

    def number(text: str) -> int:
        key = text.lower()
        if key in names:
            return names[key]
        if not text.isdigit():
            raise ValueError(f"{what} {text!r} is not a number")
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"{what} {value} is outside {low}-{high}")
        return value

    values: set[int] = set()
    for item in part.split(","):
        body, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"{what} step {step_text!r} is not a positive number")
            step = int(step_text)
        if body == "*":
            start, stop = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            start, stop = number(a), number(b)
            if start > stop:
                raise ValueError(f"{what} range {body!r} runs backwards")
        else:
            start = number(body)
            stop = high if step_text else start
        values.update(range(start, stop + 1, step))
    return values


def cron_problem(cron: str) -> str | None:
    """Why a cron line is invalid or runs more often than every 5 minutes, or None."""
    parts = cron.split()
    if len(parts) != 5:
        return f"a cron line has 5 fields (minute hour day month weekday), this one has {len(parts)}"
    try:
        sets = [cron_values(p, i) for i, p in enumerate(parts)]
    except ValueError as exc:
        return str(exc)
    times = sorted(h * 60 + m for h in sets[1] for m in sets[0])
    if len(times) > 1:
        gaps = [b - a for a, b in itertools.pairwise(times)] + [times[0] + 1440 - times[-1]]
        if min(gaps) < MIN_CRON_MINUTES:
            return f"it runs every {min(gaps)} minute{'s' if min(gaps) != 1 else ''}; GitHub Actions runs schedules at most every {MIN_CRON_MINUTES}"
    return None


def _check_trigger(trigger: ast.Trigger, out: list[Diagnostic]) -> None:
    event, arg = trigger.event, trigger.arg
    if event == "schedule":
        if not isinstance(arg, str):
            out.append(_err(Code.INVALID_TRIGGER, "`on schedule` takes a cron string", trigger.span, 'e.g. on schedule "0 9 * * 1-5"'))
            return
        problem = cron_problem(arg)
        if problem is not None:
            out.append(_err(Code.INVALID_TRIGGER, f"invalid schedule {arg!r}: {problem}", trigger.span,
                            'e.g. "*/15 * * * *" (every 15 minutes) or "0 9 * * 1-5" (9:00 UTC on weekdays)'))
    elif event == "pull_request":
        if isinstance(arg, str):
            out.append(_err(Code.INVALID_TRIGGER, "`on pull_request` takes a list of activity types", trigger.span,
                            "e.g. on pull_request [opened, synchronize]"))
            return
        for kind in arg or ():
            if kind not in PR_TYPES:
                out.append(_err(Code.INVALID_TRIGGER, f"unknown pull_request activity type {kind!r}", trigger.span,
                                f"known: {', '.join(sorted(PR_TYPES))}"))
    elif event == "dispatch":
        if arg is not None:
            out.append(_err(Code.INVALID_TRIGGER, "`on dispatch` takes no argument", trigger.span))
    else:
        out.append(_err(Code.INVALID_TRIGGER, f"unknown trigger {event!r}", trigger.span, "use schedule, pull_request or dispatch"))


def lower_triggers(routine: ast.RoutineDef) -> tuple[Trigger, ...]:
    out: list[Trigger] = []
    for trigger in routine.triggers:
        if trigger.event == "schedule":
            out.append(Trigger(trigger.event, cron=str(trigger.arg)))
        elif trigger.event == "pull_request":
            names = trigger.arg if isinstance(trigger.arg, tuple) else ()
            out.append(Trigger(trigger.event, types=tuple(str(n) for n in names)))
        else:
            out.append(Trigger(trigger.event))
    return tuple(out)


# ---- entry points, statically ------------------------------------------------------------------


def import_roots(project_root: Path) -> list[str]:
    """Where tool modules are looked up, in order: the project root, its `src/`, then sys.path.
    The runtime imports from the same list."""
    roots = [str(project_root)]
    if (project_root / "src").is_dir():
        roots.append(str(project_root / "src"))
    roots.extend(p for p in sys.path if p and p not in roots)
    return roots


@dataclass
class _Found:
    path: Path  # the module's source file
    rel: str  # its path relative to the import root it was found under
    tree: pyast.Module | None
    node: pyast.AST | None  # the attribute's definition (None when only imported/assigned)
    aliases: dict[str, pyast.expr] = field(default_factory=dict)  # module-level type aliases


@dataclass
class ToolMaterials:
    tools: ToolSet | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    used_files: set[str] = field(default_factory=set)  # project-relative tool sources


def _find(part: str, search: list[str]) -> tuple[str, Any]:
    """One import step, as Python's path finder takes it, without importing: per path entry
    a package (`part/__init__.py`) or a module (`part.py`) wins, in path order; directories
    without `__init__.py` are portions of a namespace package, used when nothing else is found.
    Returns ("package", dir) | ("module", file) | ("namespace", [dirs]) | ("missing", None)."""
    portions: list[str] = []
    for entry in search:
        base = Path(entry) / part
        if (base / "__init__.py").is_file():
            return "package", base
        if (Path(entry) / f"{part}.py").is_file():
            return "module", Path(entry) / f"{part}.py"
        if base.is_dir():
            portions.append(str(base))
    return ("namespace", portions) if portions else ("missing", None)


def _locate(module: str, roots: list[str]) -> tuple[Path, str] | str:
    """The module's source file and its root-relative path, without importing anything; or,
    when it cannot be found, the dotted name that is missing."""
    parts = module.split(".")
    search: list[str] = roots
    source: Path | None = None
    for i, part in enumerate(parts):
        name = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        kind, where = _find(part, search)
        if kind == "missing":
            return name
        if kind == "module":
            if not last:
                return ".".join(parts[: i + 2])
            source = where
        elif kind == "package":
            if last:
                source = where / "__init__.py"
            search = [str(where)]
        else:
            if last:
                return name  # a namespace package has no source to define a tool in
            search = where
    assert source is not None
    for root in roots:
        try:
            rel = source.resolve().relative_to(Path(root).resolve())
        except ValueError:
            continue
        return source, rel.as_posix()
    return source, source.name


def _definitions(tree: pyast.Module) -> dict[str, pyast.AST]:
    """Top-level names (inside top-level if/try blocks too) → the node that binds them."""
    out: dict[str, pyast.AST] = {}
    stack: list[pyast.stmt] = list(reversed(tree.body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, pyast.FunctionDef | pyast.AsyncFunctionDef | pyast.ClassDef):
            out[stmt.name] = stmt
        elif isinstance(stmt, pyast.Assign):
            for target in stmt.targets:
                if isinstance(target, pyast.Name):
                    out[target.id] = stmt
        elif isinstance(stmt, pyast.AnnAssign) and isinstance(stmt.target, pyast.Name):
            out[stmt.target.id] = stmt
        elif isinstance(stmt, pyast.Import | pyast.ImportFrom):
            for alias in stmt.names:
                out[(alias.asname or alias.name).split(".")[0]] = stmt
        elif isinstance(stmt, pyast.If | pyast.Try):
            blocks = [stmt.body, stmt.orelse] + ([stmt.finalbody] if isinstance(stmt, pyast.Try) else [])
            if isinstance(stmt, pyast.Try):
                blocks.extend(h.body for h in stmt.handlers)
            for block in blocks:
                stack.extend(reversed(block))
    return out


def _resolve(entry: str, roots: list[str], span: Span, what: str) -> _Found | Diagnostic:
    module, _, attr = entry.partition(":")
    located = _locate(module, roots)
    if isinstance(located, str):
        hint = "check the spelling; tool modules are found from the project root, its src/ and the installed packages"
        return _err(Code.TOOL_ENTRY_POINT, f"{what} {entry!r}: no module named {located!r}", span, hint)
    path, rel = located
    try:
        tree = pyast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError) as exc:
        return _err(Code.TOOL_ENTRY_POINT, f"{what} {entry!r}: cannot read {rel}: {exc}", span)
    node = _definitions(tree).get(attr)
    if node is None:
        return _err(Code.TOOL_ENTRY_POINT, f"{what} {entry!r}: {rel} defines no {attr!r}", span,
                    "define it at the top level of the module")
    if isinstance(node, pyast.AsyncFunctionDef):
        return _err(Code.TOOL_ENTRY_POINT, f"{what} {entry!r} is an async function", span, "tools are called synchronously; use a plain def")
    if isinstance(node, pyast.Assign | pyast.AnnAssign) and isinstance(getattr(node, "value", None), pyast.Constant):
        return _err(Code.TOOL_ENTRY_POINT, f"{what} {entry!r} is a constant, not callable", span)
    aliases: dict[str, pyast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, pyast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], pyast.Name):
            if isinstance(stmt.value, pyast.Subscript | pyast.BinOp | pyast.Name | pyast.Attribute):
                aliases[stmt.targets[0].id] = stmt.value
        elif isinstance(stmt, pyast.AnnAssign) and isinstance(stmt.target, pyast.Name) and stmt.value is not None:
            aliases[stmt.target.id] = stmt.value
    return _Found(path, rel, tree, node if isinstance(node, pyast.FunctionDef) else None, aliases)


_SIMPLE = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "dict": "object", "list": "array"}


def _annotation_schema(
    node: pyast.expr | None, aliases: dict[str, pyast.expr] | None = None, depth: int = 0
) -> dict[str, Any] | None:
    """The JSON Schema an annotation means (the subset pydantic would derive), or None.
    `aliases` are the module's top-level `Name = <annotation>` assignments (type aliases)."""
    if node is None or depth > 20:
        return None
    aliases = aliases or {}
    if isinstance(node, pyast.Name) and node.id not in _SIMPLE and node.id in aliases:
        return _annotation_schema(aliases[node.id], aliases, depth + 1)
    if isinstance(node, pyast.Constant) and isinstance(node.value, str):
        try:
            return _annotation_schema(pyast.parse(node.value, mode="eval").body, aliases, depth + 1)
        except SyntaxError:
            return None
    if isinstance(node, pyast.Name) and node.id in _SIMPLE:
        return {"type": _SIMPLE[node.id]}
    if isinstance(node, pyast.Attribute):
        return _annotation_schema(pyast.Name(node.attr), aliases, depth + 1)
    if isinstance(node, pyast.BinOp) and isinstance(node.op, pyast.BitOr):
        sides = [node.left, node.right]
        rest = [s for s in sides if not (isinstance(s, pyast.Constant) and s.value is None)]
        return _annotation_schema(rest[0], aliases, depth + 1) if len(rest) == 1 else None
    if isinstance(node, pyast.Subscript):
        head = node.value.attr if isinstance(node.value, pyast.Attribute) else getattr(node.value, "id", "")
        args = node.slice.elts if isinstance(node.slice, pyast.Tuple) else [node.slice]
        if head in ("list", "List", "Sequence", "tuple") and head != "tuple" and len(args) == 1:
            items = _annotation_schema(args[0], aliases, depth + 1)
            return None if items is None else {"type": "array", "items": items}
        if head in ("dict", "Dict", "Mapping"):
            return {"type": "object"}
        if head == "Optional" and len(args) == 1:
            return _annotation_schema(args[0], aliases, depth + 1)
        if head == "Annotated" and args:
            return _annotation_schema(args[0], aliases, depth + 1)
        if head == "Literal" and args and all(isinstance(a, pyast.Constant) and isinstance(a.value, str) for a in args):
            values = [a.value for a in args if isinstance(a, pyast.Constant)]
            return {"type": "string", "const": values[0]} if len(values) == 1 else {"type": "string", "enum": values}
    return None


def signature_schema(
    node: pyast.FunctionDef, aliases: dict[str, pyast.expr] | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """The input schema a function's signature gives (keyword arguments as properties), or
    None and the reason it cannot be derived."""
    args = node.args
    if args.vararg is not None or args.kwarg is not None:
        return None, "it takes *args or **kwargs"
    positional = [*args.posonlyargs, *args.args]
    if args.posonlyargs:
        return None, "it has positional-only parameters"
    defaults: dict[str, bool] = {a.arg: False for a in [*positional, *args.kwonlyargs]}
    for a in positional[len(positional) - len(args.defaults):]:
        defaults[a.arg] = True
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        defaults[a.arg] = d is not None
    properties: dict[str, Any] = {}
    for a in [*positional, *args.kwonlyargs]:
        schema = _annotation_schema(a.annotation, aliases)
        if schema is None:
            if a.annotation is None:
                return None, f"parameter {a.arg!r} has no annotation"
            return None, f"parameter {a.arg!r} is annotated {pyast.unparse(a.annotation)!r}, which routinec does not map to a schema"
        properties[a.arg] = schema
    required = [name for name in properties if not defaults[name]]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}, None


def _resolve_ref(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return dict(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}))
    return schema


def _shape(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """What a signature can say about a schema: its type, enum values and item shape."""
    schema = _resolve_ref(schema, defs)
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        return ("enum", tuple(sorted(schema.get("enum", [schema.get("const")]))))
    if kind == "array":
        return ("array", _shape(schema.get("items", {}), defs))
    return kind


def schema_disagreement(
    declared: dict[str, Any], derived: dict[str, Any], *, first: str = "the input block", second: str = "the signature"
) -> list[str]:
    """Where two input schemas (a declared block and a signature, or a tool and its dry run)
    differ, in words."""
    defs = declared.get("$defs", {})
    a, b = declared.get("properties", {}), derived.get("properties", {})
    out: list[str] = []
    for name in sorted(set(a) | set(b)):
        if name not in b:
            out.append(f"{name!r} is in {first} but not in {second}")
        elif name not in a:
            out.append(f"{name!r} is in {second} but not in {first}")
        else:
            shape_a, shape_b = _shape(a[name], defs), _shape(b[name], {})
            if shape_a != shape_b:
                out.append(f"{name!r} is {_words(shape_a)} in {first} but {_words(shape_b)} in {second}")
    req_a, req_b = set(declared.get("required", [])), set(derived.get("required", []))
    for name in sorted((req_a ^ req_b) & set(a) & set(b)):
        out.append(f"{name!r} is required only in {first if name in req_a else second}")
    return out


def _words(shape: Any) -> str:
    if isinstance(shape, tuple) and shape[0] == "enum":
        return "one of " + "/".join(shape[1])
    if isinstance(shape, tuple):
        return f"a list of {_words(shape[1])}"
    return str(shape)


def _strict_problems(schema: Any, where: str = "the input") -> list[str]:
    out: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in _NOT_STRICT or (key == "minItems" and value not in (0, 1)):
                out.append(f"{where} uses {key}")
            elif key in ("properties", "$defs") and isinstance(value, dict):
                for name, inner in value.items():
                    out.extend(_strict_problems(inner, repr(name)))
            elif key == "items":
                out.extend(_strict_problems(value, where))
    return out


def _option_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return json_number(value)
    return plain_json(value)


def resolve_tools(
    routine: ast.RoutineDef, project: Project, roots: list[str], project_root: Path
) -> ToolMaterials:
    """Resolve every python tool's entry point (and dry run) statically, derive or check its
    input schema, and build the lock's `ToolSet`. Call only after `check_tools` passed."""
    mats = ToolMaterials()
    if not routine.tools:
        return mats
    pins: list[ToolPin] = []
    root = project_root.resolve()
    for tool in routine.tools:
        if tool.kind == "server":
            options = {o.name: _option_json(o.value) for o in tool.options}
            pins.append(ToolPin(tool.name, "server", None, tool.target, None, None, None, None, {}, options))
            continue
        digests: dict[str, str] = {}
        found = _resolve(tool.target, roots, tool.target_span, f"tool {tool.name}:")
        if isinstance(found, Diagnostic):
            mats.diagnostics.append(found)
            continue
        digests[found.rel] = _digest_file(found.path, root, mats)
        derived: dict[str, Any] | None = None
        why: str | None = "it is not a plain function"
        if found.node is not None:
            assert isinstance(found.node, pyast.FunctionDef)
            derived, why = signature_schema(found.node, found.aliases)
        dry_option = tool.option("dry_run")
        dry = str(dry_option.value) if dry_option is not None else None
        if dry is not None and dry_option is not None:
            dry_found = _resolve(dry, roots, dry_option.span, f"dry run of {tool.name}:")
            if isinstance(dry_found, Diagnostic):
                mats.diagnostics.append(dry_found)
                continue
            digests[dry_found.rel] = _digest_file(dry_found.path, root, mats)
            if dry_found.node is not None and derived is not None:
                assert isinstance(dry_found.node, pyast.FunctionDef)
                dry_schema, _ = signature_schema(dry_found.node, dry_found.aliases)
                if dry_schema is not None:
                    differ = schema_disagreement(derived, dry_schema, first="the tool", second="the dry run")
                    if differ:
                        mats.diagnostics.append(_err(
                            Code.TOOL_SCHEMA, f"the dry run of {tool.name!r} takes other arguments than the tool: {'; '.join(differ[:3])}",
                            dry_option.span, "give the dry run the same parameters as the tool",
                        ))
        if tool.inputs is not None:
            refs: set[str] = set()
            schema = with_defs(object_schema(tool.inputs, refs, closed=True), refs, project, closed=True)
            schema.pop("$schema", None)
            if derived is not None:
                differ = schema_disagreement(schema, derived)
                if differ:
                    mats.diagnostics.append(_err(
                        Code.TOOL_SCHEMA, f"tool {tool.name!r}: the input block and {tool.target} disagree: {'; '.join(differ[:3])}",
                        tool.span, "make the input block match the function's parameters (or drop the block)",
                    ))
        elif derived is not None:
            schema = derived
        else:
            mats.diagnostics.append(_err(
                Code.TOOL_SCHEMA, f"tool {tool.name!r}: cannot derive the input schema from {tool.target}: {why}",
                tool.span, "declare it with an `input { … }` block in the tool",
            ))
            continue
        strict = tool.option("strict")
        if strict is not None and strict.value is True:
            problems = _strict_problems(schema)
            if problems:
                mats.diagnostics.append(_err(
                    Code.TOOL_SCHEMA, f"tool {tool.name!r} is strict, but {problems[0]}, outside the API's strict subset",
                    tool.span, "drop the constraint or `strict true`",
                ))
        description = tool.option("description")
        options = {o.name: _option_json(o.value) for o in tool.options if o.name in ("strict", "volatile")}
        effect = tool.option("effect")
        pins.append(ToolPin(
            name=tool.name,
            kind="python",
            effect=str(effect.value) if effect is not None else "read",
            entry_point=tool.target,
            dry_run=dry,
            description=str(description.value) if description is not None else None,
            input_schema=schema,
            schema_hash=digest(schema),
            source_digests=digests,
            options=options,
        ))
    settings = routine.settings
    turns, calls = settings.number("max_turns"), settings.number("max_tool_calls")
    parallel = settings.get("parallel_tools")
    choice = settings.get("tool_choice")
    mats.tools = ToolSet(
        tools=tuple(pins),
        max_turns=int(turns or 1),
        max_tool_calls=int(calls or 1),
        parallel=True if parallel is None else bool(parallel.value),
        tool_choice="auto" if choice is None else str(choice.value),
    )
    return mats


def _digest_file(path: Path, root: Path, mats: ToolMaterials) -> str:
    data = path.read_bytes()
    with contextlib.suppress(ValueError):
        mats.used_files.add(path.resolve().relative_to(root).as_posix())
    return source_digest(data)
