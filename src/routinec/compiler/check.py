"""Compiler layer, check pass: names, types, parameters and models of a resolved project.

In: a `Project` and a model resolver. Out: diagnostics (each with a stable code and a span).
File-backed checks (templates, test inputs, consumer schemas) live in `compiler.materials`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from keyword import iskeyword
from typing import Any

from routinec import pynames
from routinec.canonical import integer_literal, json_number, plain_text
from routinec.codes import Code
from routinec.compiler import ast
from routinec.compiler.lower import CONSTRAINT_KEYWORDS
from routinec.compiler.symbols import PRIMITIVES, Project
from routinec.compiler.tools import LIMIT_KEYWORDS, check_tools
from routinec.compiler.values import Validated, json_value
from routinec.diagnostics import Diagnostic, Severity, Span
from routinec.lockfile.entry import STATES
from routinec.modeltable import ModelInfo, known_names
from routinec.params import BY_KEYWORD, PARAMS, Param

__all__ = ["Resolver", "check_consumer", "check_python_names", "check_routine", "check_type", "check_type_cycles", "file_interface", "project_interface"]

Resolver = Callable[[str], ModelInfo | None]

_STATES = STATES  # the lock model's list: what check accepts is what the runtime reads


def _err(code: Code, message: str, span: Span | None, help_: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, help_)


def _expr_kind(expr: ast.TypeExpr, project: Project) -> str | None:
    """The JSON Schema type a constraint would apply to (None for named object types)."""
    if isinstance(expr, ast.LiteralUnion):
        return "enum"
    if isinstance(expr, ast.ListType):
        return "array"
    return PRIMITIVES.get(expr.name)


def _check_type_expr(expr: ast.TypeExpr, project: Project, out: list[Diagnostic]) -> None:
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ListType):
            stack.append(node.item)
        elif isinstance(node, ast.LiteralUnion):
            seen: set[str] = set()
            for value in node.values:
                if value in seen:
                    out.append(_err(Code.DUPLICATE_NAME, f"literal {value!r} appears twice in the union", node.span))
                seen.add(value)
        elif node.name not in PRIMITIVES and node.name not in project.types:
            meant = _OTHER_SPELLINGS.get(node.name.lower()) if node.name not in project.types else None
            close = meant or _closest(node.name, [*PRIMITIVES, *project.types])
            if meant:
                hint = f"did you mean `{meant}`? the built-in types are string, int, number, bool and list[T]"
            elif close:
                hint = f"did you mean {close!r}?"
            else:
                hint = "declare it with `type NAME { … }`"
            out.append(_err(Code.UNKNOWN_TYPE, f"unknown type {node.name!r}", node.span, hint))


# Other languages' names for the built-in types (`integer` is JSON Schema's, `str` Python's).
_OTHER_SPELLINGS = {
    "integer": "int", "str": "string", "text": "string", "float": "number", "double": "number",
    "decimal": "number", "long": "int", "boolean": "bool", "int64": "int", "int32": "int",
}


def _unknown_names(expr: ast.TypeExpr, project: Project) -> bool:
    """True when the type names a type that does not exist (reported once, by _check_type_expr)."""
    while isinstance(expr, ast.ListType):
        expr = expr.item
    return isinstance(expr, ast.NamedType) and expr.name not in PRIMITIVES and expr.name not in project.types


def _nearest_models(name: str) -> list[str]:
    """The three known model names most like `name` (aliases; dated snapshots only when
    `name` itself carries a date)."""
    import difflib

    dated = re.compile(r"-\d{8}$")
    names = [n for n in known_names() if bool(dated.search(n)) == bool(dated.search(name))] or known_names()
    return difflib.get_close_matches(name, names, n=3, cutoff=0)


def _closest(name: str, candidates: list[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.75)
    return matches[0] if matches else None


def _check_constraints(field: ast.Field, project: Project, out: list[Diagnostic]) -> None:
    kind = _expr_kind(field.type, project)
    seen: dict[str, ast.Constraint] = {}
    for c in field.constraints:
        if c.name not in CONSTRAINT_KEYWORDS:
            out.append(
                _err(
                    Code.INVALID_CONSTRAINT,
                    f"unknown constraint {c.name!r}",
                    c.span,
                    f"known constraints: {', '.join(sorted(CONSTRAINT_KEYWORDS))}",
                )
            )
            continue
        if c.name in seen:
            out.append(_err(Code.DUPLICATE_NAME, f"constraint {c.name!r} is given twice", c.span))
            continue
        seen[c.name] = c
        applies = CONSTRAINT_KEYWORDS[c.name][1]
        if kind not in applies:
            what = "a string-literal union" if kind == "enum" else (kind or "a named object type")
            out.append(
                _err(
                    Code.INVALID_CONSTRAINT,
                    f"{c.name} does not apply to {what}",
                    c.span,
                    f"{c.name} applies to {' and '.join(sorted(applies))} fields",
                )
            )
            continue
        if c.name == "pattern":
            if not isinstance(c.value, str):
                out.append(_err(Code.INVALID_CONSTRAINT, "pattern takes a string", c.span))
            else:
                try:
                    re.compile(c.value)
                except re.error as exc:
                    out.append(_err(Code.INVALID_CONSTRAINT, f"pattern is not a valid regular expression: {exc}", c.span))
        elif not isinstance(c.value, Decimal):
            out.append(_err(Code.INVALID_CONSTRAINT, f"{c.name} takes a number", c.span))
        elif c.name not in ("minimum", "maximum") and (
            c.value < 0 or c.value != c.value.to_integral_value()
        ):
            out.append(_err(Code.INVALID_CONSTRAINT, f"{c.name} must be a whole number ≥ 0", c.span))
    for low, high in (("min_length", "max_length"), ("minimum", "maximum"), ("min_items", "max_items")):
        lo, hi = seen.get(low), seen.get(high)
        if (
            lo is not None and hi is not None
            and isinstance(lo.value, Decimal) and isinstance(hi.value, Decimal)
            and lo.value > hi.value
        ):
            out.append(_err(Code.INVALID_CONSTRAINT, f"{low} {lo.value} is greater than {high} {hi.value}", hi.span))


def check_fields(
    fields: tuple[ast.Field, ...], project: Project, what: str, out: list[Diagnostic],
    validated: Validated | None = None,
) -> None:
    names: dict[str, ast.Field] = {}
    for field in fields:
        if field.name in names:
            first = names[field.name].span
            out.append(
                Diagnostic(
                    Code.DUPLICATE_NAME,
                    Severity.ERROR,
                    f"field {field.name!r} is declared twice in {what}",
                    field.span,
                    None,
                    (f"first declared at {first.path}:{first.line}:{first.column}",),
                )
            )
        names.setdefault(field.name, field)
        _check_type_expr(field.type, project, out)
        if _unknown_names(field.type, project):
            continue  # its constraints and default cannot be judged against a type that is not there
        before = len(out)
        _check_constraints(field, project, out)
        # A default is validated against the field's constraints, so only once they are valid:
        # `pattern 1023` or an unknown keyword would otherwise reach jsonschema as a bad schema.
        if field.has_default and not field.optional and len(out) == before:
            _check_default(field, project, out, validated if validated is not None else Validated())
        if field.has_default and field.optional:
            out.append(
                _err(
                    Code.INVALID_DEFAULT,
                    f"field {field.name!r} is optional and has a default",
                    field.default_span or field.span,
                    "use one: `name?: T` (may be absent) or `name: T = value` (filled in when absent)",
                )
            )


def _check_default(field: ast.Field, project: Project, out: list[Diagnostic], validated: Validated) -> None:
    """The default must validate against its own field's schema (type and constraints).
    jsonschema is imported only when that is not known to pass (`validated`)."""
    from routinec.compiler.lower import field_schema, with_defs

    written = _whole_with_point(field.type, field.default)
    if written is not None:
        out.append(
            _err(
                Code.INVALID_DEFAULT,
                f"default of {field.name!r} is {written}: an int takes a whole number written without a decimal point",
                field.default_span or field.span,
                f"write {int(written)}",
            )
        )
        return
    refs: set[str] = set()
    try:
        schema = field_schema(field, refs)
    except KeyError:  # an unknown constraint, reported on its own
        return
    if any(name not in project.types for name in refs):
        return
    schema.pop("default", None)
    # A referenced type's own invalid constraint (unknown keyword, `pattern 1023`, a number
    # past what Decimal can divide) is reported at that type; the default is not judged by it.
    try:
        full = with_defs(schema, refs, project, closed=True)
        value = json_value(field.default)
    except (KeyError, TypeError, ArithmeticError):
        return
    if validated.passed("default", full, value):
        return
    import jsonschema

    try:
        errors = list(jsonschema.Draft202012Validator(full).iter_errors(value))
    except (KeyError, TypeError, ArithmeticError, jsonschema.SchemaError, re.error):
        return
    if not errors:
        validated.add("default", full, value)
    if errors:
        out.append(
            _err(
                Code.INVALID_DEFAULT,
                f"default of {field.name!r} does not fit its type: {plain_text(errors[0].message)[:160]}",
                field.default_span or field.span,
                "change the default, or the field's type",
            )
        )


def _whole_with_point(expr: ast.TypeExpr, value: Any) -> Decimal | None:
    """A whole number written with a decimal point (`2.0`) where an `int` (or `list[int]`)
    default wants an integer literal: refused with a hint rather than locked as 2. (`2.5`
    is left to the schema check: it is not an integer at all.)"""
    if isinstance(expr, ast.NamedType) and expr.name == "int":
        if isinstance(value, Decimal) and value == value.to_integral_value() and not integer_literal(value):
            return value
    elif isinstance(expr, ast.ListType) and isinstance(value, list):
        for item in value:
            found = _whole_with_point(expr.item, item)
            if found is not None:
                return found
    return None


def check_type(typedef: ast.TypeDef, project: Project, validated: Validated | None = None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    check_fields(typedef.fields, project, f"type {typedef.name}", out, validated)
    return out


def check_type_cycles(project: Project) -> list[Diagnostic]:
    """A type that requires itself (directly or through other types) has no finite value:
    no model output could ever validate. Optional fields, defaults and lists break a cycle."""
    edges: dict[str, list[ast.Field]] = {}
    for name, decl in project.types.items():
        edges[name] = [
            f for f in decl.node.fields
            if isinstance(f.type, ast.NamedType) and f.type.name in project.types
            and not f.optional and not f.has_default
        ]
    out: list[Diagnostic] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(edges):
        if state.get(start):
            continue
        path: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while path:
            node, index = path[-1]
            if index < len(edges[node]):
                path[-1] = (node, index + 1)
                field = edges[node][index]
                target = field.type.name  # type: ignore[union-attr]
                if state.get(target) == 1:
                    names = [n for n, _ in path]
                    cycle = [*names[names.index(target):], target]
                    out.append(_err(
                        Code.INFINITE_TYPE,
                        f"type {target!r} requires itself ({' → '.join(cycle)}): no value can satisfy it",
                        field.span,
                        f"make {field.name!r} optional (`{field.name}?:`) or a list",
                    ))
                elif not state.get(target):
                    state[target] = 1
                    path.append((target, 0))
            else:
                state[node] = 2
                path.pop()
    return out


def check_consumer(consumer: ast.ConsumerDef, project: Project, validated: Validated | None = None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if consumer.expects_count == 0:
        out.append(_err(Code.MISSING_STATEMENT, f"consumer {consumer.name!r} has no `expects {{ … }}` block", consumer.name_span))
    elif consumer.expects_count > 1:
        out.append(_err(Code.DUPLICATE_STATEMENT, f"consumer {consumer.name!r} has more than one `expects` block", consumer.name_span))
    check_fields(consumer.expects, project, f"consumer {consumer.name}", out, validated)
    return out


def _effort_models(near: str) -> list[str]:
    """The three known aliases (no dated snapshots) most like `near` whose models take `effort`."""
    import difflib

    from routinec.modeltable import lookup

    takes = [
        n for n in known_names()
        if not re.search(r"-\d{8}$", n) and (info := lookup(n)) is not None and info.effort and info.lifecycle != "retired"
    ]
    return difflib.get_close_matches(re.sub(r"-\d{8}$", "", near), takes, n=3, cutoff=0)


def _unsupported(param: Param, model: ModelInfo, setting: ast.Setting) -> Diagnostic:
    """A parameter the model lacks the capability for (`Param.needs`), in words."""
    if param.needs == "sampling":
        return _err(
            Code.PARAM_UNSUPPORTED,
            f"{model.id} does not accept {param.keyword}",
            setting.span,
            f"remove {param.keyword}; from Claude Opus 4.7 on, models fix their own sampling",
        )
    if param.needs == "effort" and not model.effort:
        return _err(
            Code.PARAM_UNSUPPORTED,
            f"{model.id} has no effort setting",
            setting.span,
            f"remove `effort`, or choose a model that takes it, e.g. {', '.join(_effort_models(model.id))}",
        )
    if param.needs == "effort":
        accepted = ", ".join(model.effort)
        return _err(
            Code.PARAM_UNSUPPORTED,
            f"{model.id} does not accept effort {setting.value!r}",
            setting.value_span,
            f"accepted effort levels: {accepted}",
        )
    return _err(
        Code.PARAM_UNSUPPORTED,
        f"{model.id} does not accept a {param.name}",
        setting.span,
        "this model thinks adaptively; use `effort` to steer it",
    )


def _check_settings(
    routine: ast.RoutineDef, model: ModelInfo | None, out: list[Diagnostic]
) -> None:
    """Every parameter against its row in `routinec.params.PARAMS`, then the rules across them."""
    settings = routine.settings
    for param in PARAMS:
        setting = settings.get(param.keyword)
        if setting is None:
            continue
        problem = param.range_problem(setting.value)
        if problem is not None:
            out.append(_err(Code.PARAM_RANGE, problem, setting.value_span, param.hint(setting.value)))
        if model is not None and not (problem and param.kind == "enum") and not param.accepted_by(model, setting.value):
            out.append(_unsupported(param, model, setting))
    max_setting, max_tokens = settings.get("max_tokens"), settings.number("max_tokens")
    if (
        max_setting is not None and max_tokens is not None and model is not None
        and max_tokens > model.max_tokens and BY_KEYWORD["max_tokens"].range_problem(max_tokens) is None
    ):
        out.append(
            _err(
                Code.PARAM_RANGE,
                f"max_tokens {max_tokens} is over {model.id}'s limit of {model.max_tokens}",
                max_setting.value_span,
                f"use at most {model.max_tokens}",
            )
        )
    thinking = settings.get("thinking")
    if thinking is not None and isinstance(thinking.value, Decimal):
        if (
            BY_KEYWORD["thinking"].range_problem(thinking.value) is None
            and max_tokens is not None and thinking.value >= max_tokens
        ):
            out.append(
                _err(
                    Code.PARAM_RANGE,
                    f"thinking budget {thinking.value} must be less than max_tokens {max_tokens}",
                    thinking.value_span,
                    "thinking tokens count toward max_tokens",
                )
            )
        for key in ("temperature", "top_k"):
            other = settings.get(key)
            if other is not None:
                out.append(
                    _err(
                        Code.PARAM_UNSUPPORTED,
                        f"{key} cannot be set together with thinking",
                        other.span,
                        "extended thinking runs with the default sampling; remove one of them",
                    )
                )
    state = settings.get("state")
    if state is not None and state.value not in _STATES:
        out.append(_err(Code.PARAM_RANGE, f"unknown state {state.value!r}", state.value_span, "use `state reset` or `state session`"))
    top_p = settings.get("top_p")
    if model is not None and model.sampling and model.one_sampler and "temperature" in settings and top_p is not None:
        out.append(
            _err(
                Code.PARAM_UNSUPPORTED,
                f"{model.id} accepts temperature or top_p, not both",
                top_p.span,
                "keep one of them",
            )
        )


def check_routine(
    routine: ast.RoutineDef, project: Project, resolve: Resolver, validated: Validated | None = None
) -> tuple[ModelInfo | None, list[Diagnostic]]:
    """Checks that need no files; returns the resolved model (None when it cannot be).
    `validated`: defaults known to fit their schemas (and where new passes are noted)."""
    out: list[Diagnostic] = []
    for keyword, span in routine.repeats:
        out.append(_err(Code.DUPLICATE_STATEMENT, f"`{keyword}` is given more than once in routine {routine.name!r}", span, "keep one"))
    if routine.version < 1:
        out.append(_err(Code.PARAM_RANGE, "routine versions start at v1", routine.name_span))
    settings = routine.settings
    for keyword in ("model", *(p.keyword for p in PARAMS if p.required)):
        if keyword not in settings:
            out.append(_err(Code.MISSING_STATEMENT, f"routine {routine.name!r} has no `{keyword}`", routine.name_span, _MISSING_HINT[keyword]))
    if routine.prompt is None:
        out.append(_err(Code.MISSING_STATEMENT, f"routine {routine.name!r} has no `prompt`", routine.name_span, _MISSING_HINT["prompt"]))
    if routine.outputs is None:
        out.append(_err(Code.MISSING_STATEMENT, f"routine {routine.name!r} has no `output {{ … }}` block", routine.name_span, _MISSING_HINT["output"]))
    elif not routine.outputs:
        out.append(_err(Code.MISSING_STATEMENT, f"routine {routine.name!r} declares no output fields", routine.name_span))
    model: ModelInfo | None = None
    model_setting = settings.get("model")
    if model_setting is not None:
        model = resolve(str(model_setting.value))
        if model is None:
            close = _closest(str(model_setting.value), known_names())
            out.append(
                _err(
                    Code.UNKNOWN_MODEL,
                    f"unknown model {model_setting.value!r}",
                    model_setting.value_span,
                    (f"did you mean {close!r}? " if close else "")
                    + f"the known models closest to it: {', '.join(_nearest_models(str(model_setting.value)))} "
                    + "(or run 'routinec lock --resolve-online' with ANTHROPIC_API_KEY set to ask the Models API)",
                )
            )
    _check_settings(routine, model, out)
    if routine.tools or routine.triggers or any(t.trajectory for t in routine.tests) or any(
        k in settings for k in LIMIT_KEYWORDS
    ):
        out.extend(check_tools(routine, model))
        for tool in routine.tools:
            check_fields(tool.inputs or (), project, f"the input of tool {tool.name}", out, validated)
    check_fields(routine.inputs or (), project, f"the input of {routine.name}", out, validated)
    check_fields(routine.outputs or (), project, f"the output of {routine.name}", out, validated)
    _check_tests(routine, out)
    seen: set[str] = set()
    for ref in routine.consumers:
        if ref.name in seen:
            out.append(_err(Code.DUPLICATE_NAME, f"consumer {ref.name!r} is listed twice", ref.span))
        seen.add(ref.name)
        if not ref.is_file and ref.name not in project.consumers:
            close = _closest(ref.name, list(project.consumers))
            out.append(
                _err(
                    Code.UNKNOWN_CONSUMER,
                    f"no consumer named {ref.name!r}",
                    ref.span,
                    f"did you mean {close!r}?" if close else 'declare `consumer NAME { expects { … } }`, or give a schema file as "path.schema.json"',
                )
            )
    return model, out


_MISSING_HINT = {
    "model": 'add e.g. `model "claude-haiku-4-5"`',
    "max_tokens": "add e.g. `max_tokens 1024`: the lock pins it, so runs are reproducible",
    "prompt": 'add `prompt """…"""` or `prompt file "specs/prompts/NAME.j2"`',
    "output": "add `output { field: type }`: the model's answer is validated against it",
}

_COMPARE_RULES = {"exact": None, "text": None, "ignore": None, "schema": None, "number": "tolerance"}


def _check_tests(routine: ast.RoutineDef, out: list[Diagnostic]) -> None:
    names: set[str] = set()
    outputs = {f.name for f in routine.outputs or ()}
    for test in routine.tests:
        if test.name in names:
            out.append(_err(Code.DUPLICATE_NAME, f"test {test.name!r} is declared twice in routine {routine.name!r}", test.span))
        names.add(test.name)
        if test.input_count == 0:
            out.append(_err(Code.MISSING_STATEMENT, f"test {test.name!r} has no input", test.span, 'add `input file "golden/…json"` or `input { name: value }`'))
        elif test.input_count > 1:
            out.append(_err(Code.DUPLICATE_STATEMENT, f"test {test.name!r} has more than one input", test.input_span))
        if test.compare_count > 1:
            out.append(_err(Code.DUPLICATE_STATEMENT, f"test {test.name!r} has more than one compare block", test.span))
        seen: set[str] = set()
        for item in test.compare:
            if item.field in seen:
                out.append(_err(Code.DUPLICATE_NAME, f"field {item.field!r} is compared twice", item.span))
            seen.add(item.field)
            if routine.outputs is not None and item.field not in outputs:
                close = _closest(item.field, sorted(outputs))
                out.append(_err(
                    Code.UNKNOWN_FIELD, f"test {test.name!r} compares {item.field!r}, which is not an output field of {routine.name!r}",
                    item.span,
                    (f"did you mean {close!r}? " if close else "") + f"output fields: {', '.join(sorted(outputs)) or 'none'}",
                ))
            if item.rule not in _COMPARE_RULES:
                out.append(_err(Code.COMPARE_RULE, f"unknown compare rule {item.rule!r}", item.span, "use exact, text, number(tolerance X), ignore or schema"))
                continue
            wanted = _COMPARE_RULES[item.rule]
            if wanted is None and item.arg_name is not None:
                out.append(_err(Code.COMPARE_RULE, f"compare rule {item.rule!r} takes no argument", item.span, f"write `{item.field}: {item.rule}`"))
            elif wanted is not None and (item.arg_name != wanted or item.arg is None or item.arg < 0):
                out.append(_err(Code.COMPARE_RULE, "number comparison needs `number(tolerance X)` with X ≥ 0", item.span, f"e.g. `{item.field}: number(tolerance 0.01)`"))


def compare_rules(test: ast.TestDef) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for item in test.compare:
        rule: dict[str, Any] = {"rule": item.rule}
        if item.rule == "number" and item.arg is not None:
            rule["tolerance"] = json_number(item.arg)
        rules[item.field] = rule
    return rules


_PY_HINT = "rename it: the typed client (`routinec gen python`) makes it a Python name"


def check_python_names(project: Project, only: str | None = None) -> list[Diagnostic]:
    """Names the typed client could not use (`routinec.pynames`): Python keywords, fields
    pydantic or the generated functions own, and generated names that collide. `only`: judge
    the fields of that spec file's declarations alone (the language server's keystroke)."""
    out: list[Diagnostic] = []
    owners: dict[str, tuple[str, Span]] = {name: ("the typed client's helper", Span("")) for name in pynames.MODULE_NAMES}

    def claim(python: str, what: str, span: Span) -> None:
        taken = owners.get(python)
        if taken is not None and taken[0] != what:
            out.append(_err(
                Code.PYTHON_NAME_CLASH,
                f"{what} becomes the Python name {python!r}, which {taken[0]} already has in the typed client",
                span, _PY_HINT + (f" (the other is at {taken[1].path}:{taken[1].line}:{taken[1].column})" if taken[1].path else ""),
            ))
        else:
            owners[python] = (what, span)

    def spec_name(kind: str, name: str, span: Span) -> bool:
        if iskeyword(name):
            out.append(_err(Code.PYTHON_KEYWORD, f"{kind} name {name!r} is a Python keyword", span, _PY_HINT))
            return False
        if name.startswith("_"):
            out.append(_err(Code.PYTHON_NAME_CLASH, f"{kind} name {name!r} starts with '_' (private in Python)", span, _PY_HINT))
            return False
        return True

    def fields(fields_: tuple[ast.Field, ...] | None, is_input: bool) -> None:
        for f in fields_ or ():
            problem = pynames.field_problem(f.name, is_input=is_input)
            if problem is not None:
                code = Code.PYTHON_KEYWORD if iskeyword(f.name) else Code.PYTHON_NAME_CLASH
                out.append(_err(code, f"field {f.name!r} {problem}", f.span, _PY_HINT))

    # Every named type a routine reaches (one walk for the whole project).
    used: set[str] = set()
    stack: list[ast.TypeExpr] = [
        f.type for decl in project.routines.values() for f in (*(decl.node.inputs or ()), *(decl.node.outputs or ()))
    ]
    while stack:
        expr = stack.pop()
        if isinstance(expr, ast.ListType):
            stack.append(expr.item)
        elif isinstance(expr, ast.NamedType) and expr.name in project.types and expr.name not in used:
            used.add(expr.name)
            stack.extend(f.type for f in project.types[expr.name].node.fields)
    for name in sorted(used):
        typedef = project.types[name].node
        if spec_name("type", name, typedef.span):
            claim(name, f"type {name!r}", typedef.span)
        if only is None or project.types[name].path == only:
            fields(typedef.fields, False)
    for name in sorted(project.routines):
        routine = project.routines[name].node
        if not spec_name("routine", name, routine.name_span):
            continue
        what = f"routine {name!r}"
        for python in (pynames.input_class(name), pynames.output_class(name), *pynames.function_names(name)):
            claim(python, what, routine.name_span)
        if only is None or project.routines[name].path == only:
            fields(routine.inputs, True)
            fields(routine.outputs, False)
    return out


def file_interface(file: ast.File) -> str:
    """A digest of what the check pass reads of this file's declarations when it checks
    another file's: its types whole (names, fields, defaults, constraints: `check_routine`,
    `check_type`, `check_type_cycles`, `check_python_names`), its consumers, and each
    routine's name and the fields `check_python_names` walks, all with their spans and in
    file order (which of two declarations of a name wins). A routine's body (settings,
    prompt, tests, tools) is read only when that routine itself is checked; of its fields,
    `check_python_names` reads the name, span and type. Nodes as `repr` writes them (frozen
    dataclasses of plain values: equal reprs, equal nodes)."""
    parts: list[object] = [file.path]
    for item in file.items:
        if isinstance(item, ast.RoutineDef):
            parts.append((
                "routine", item.name, item.name_span, item.span.path,
                tuple((f.name, f.span, f.type) for f in item.inputs or ()),
                tuple((f.name, f.span, f.type) for f in item.outputs or ()),
            ))
        else:
            parts.append(item)
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def project_interface(interfaces: Iterable[tuple[str, str]]) -> str:
    """The digest of a whole project's (spec path, `file_interface`) pairs: while it is the
    same, a declaration checks the same as long as its own file's bytes (and, for a
    routine, the model its `model` resolves to) are."""
    h = hashlib.sha256()
    for rel, interface in sorted(interfaces):
        h.update(f"{len(rel)}:{rel}:{interface}\n".encode())
    return h.hexdigest()
