"""Compiler layer, file-backed checks: templates, test inputs and consumer schema files.

In: a checked routine, its input/output schemas and `ProjectFiles`. Out: the lock's
`prompt`, `tests` and `consumers` sections plus the files they came from, or diagnostics
(template syntax, undefined variables, unused inputs, invalid test inputs, bad schemas).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.meta
from jinja2.sandbox import SandboxedEnvironment

from routinec.canonical import digest, plain_text
from routinec.codes import Code
from routinec.compiler import ast, spec_secrets
from routinec.compiler.check import compare_rules
from routinec.compiler.files import FileError, ProjectFiles
from routinec.compiler.template_safety import all_nodes, unsafe_expressions
from routinec.compiler.values import Validated, json_value
from routinec.diagnostics import Diagnostic, Severity, Span
from routinec.schema_keys import misspelt_keys

if TYPE_CHECKING:
    import jsonschema

# jsonschema is imported only when a validation is not known to pass (`values.Validated`).

__all__ = ["Materials", "gather"]

_ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)


@dataclass
class Materials:
    prompt: dict[str, Any] = field(default_factory=dict)
    tests: dict[str, Any] = field(default_factory=dict)
    consumers: list[dict[str, Any]] = field(default_factory=list)
    used_files: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)


_SPECIAL = frozenset({"loop", "self", "super", "caller", "varargs", "kwargs"})
# What jinja2.meta.find_referenced_templates looks at: skip its walk when none is there.
_REFERENCES = (jinja2.nodes.Extends, jinja2.nodes.FromImport, jinja2.nodes.Import, jinja2.nodes.Include)


def _undeclared(walked: list[jinja2.nodes.Node]) -> set[str]:
    """Names a template reads but never binds, from its nodes (`all_nodes`; jinja2.meta's
    version compiles the template to Python first, which costs ~10x more on large projects)."""
    from jinja2 import nodes

    loaded: set[str] = set()
    bound: set[str] = set(_ENV.globals) | _SPECIAL
    for node in walked:
        if isinstance(node, nodes.Name):
            (loaded if node.ctx == "load" else bound).add(node.name)
        elif isinstance(node, nodes.Import):
            bound.add(node.target)
        elif isinstance(node, nodes.FromImport):
            bound.update(n if isinstance(n, str) else n[1] for n in node.names)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            bound.update(arg.name for arg in node.args)
            if isinstance(node, nodes.Macro):
                bound.add(node.name)
    return loaded - bound


def _template_span(tpl: ast.Template, rel: str | None, lineno: int | None) -> Span:
    line = max(lineno or 1, 1)
    if rel is not None:
        return Span(rel, line, 1, line, 2)
    start = tpl.text_line + line - 1
    if line == 1:
        return tpl.span
    return Span(tpl.span.path, start, 1, start, 2)


_PARSED: dict[str, jinja2.nodes.Template] = {}


def _plain(source: str) -> jinja2.nodes.Template:
    """What `_ENV.parse` makes of a text with no `{` (so no tag, variable or comment can
    start: line statements are off): the text as one piece of template data, newlines
    normalised as Jinja's lexer does. Most system prompts are such texts; the parse of each
    cost ~20 µs (tests/compiler/test_materials_plain.py holds the two equal)."""
    from jinja2 import nodes

    text = source.replace("\r\n", "\n").replace("\r", "\n")
    body = [nodes.Output([nodes.TemplateData(text, lineno=1)], lineno=1)] if text else []
    tree = nodes.Template(body, lineno=1)
    tree.set_environment(_ENV)
    return tree


def _parse_template(source: str, span: Span) -> tuple[jinja2.nodes.Template | None, Diagnostic | None]:
    cached = _PARSED.get(source)
    if cached is not None:
        return cached, None
    if "{" not in source:
        return _plain(source), None
    try:
        tree = _ENV.parse(source)
        if len(_PARSED) < 4096:
            _PARSED[source] = tree
        return tree, None
    except jinja2.TemplateSyntaxError as exc:
        return None, Diagnostic(
            Code.TEMPLATE_SYNTAX,
            Severity.ERROR,
            f"template does not parse: {exc.message}",
            span,
            "templates are Jinja2: {{ variable }}, {% if … %}…{% endif %}",
        )


def _load_template(
    tpl: ast.Template, files: ProjectFiles, mats: Materials, variables: set[str], includes: dict[str, str],
    label: str = "the prompt",
) -> dict[str, Any] | None:
    rel: str | None = None
    if tpl.path is not None:
        try:
            rel, text = files.read_text(tpl.path, tpl.span, "prompt")
        except FileError as exc:
            mats.diagnostics.append(exc.diagnostic)
            return None
        mats.used_files.add(rel)
    else:
        text = tpl.text or ""
    mats.diagnostics.extend(spec_secrets.in_template(text, tpl, rel, label))
    tree, problem = _parse_template(text, _template_span(tpl, rel, None))
    if problem is not None or tree is None:
        if problem is not None:
            mats.diagnostics.append(
                Diagnostic(problem.code, problem.severity, problem.message, _syntax_span(text, tpl, rel), problem.help)
            )
        return None
    _collect(tree, text, tpl, rel, files, mats, variables, includes, set())
    return {"path": rel, "template": text}


def _syntax_span(text: str, tpl: ast.Template, rel: str | None) -> Span:
    """Where the template's syntax error is: the token Jinja stopped at, in the .j2 file or
    (inline) in the spec, or Jinja's line when the token cannot be placed."""
    from routinec.compiler.template_syntax import locate

    try:
        _ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        found = locate(_ENV, text, exc)
        if found is None:
            return _template_span(tpl, rel, exc.lineno)
        return _in_template(tpl, rel, *found)
    return _template_span(tpl, rel, None)


def _in_template(tpl: ast.Template, rel: str | None, line: int, column: int, width: int) -> Span:
    """A template's own line and column, as a span in its .j2 file or in the spec around it."""
    if rel is not None:
        return Span(rel, line, column, line, column + width)
    at = tpl.text_line + line - 1 if tpl.text_line else tpl.span.line
    col = column if line > 1 else tpl.span.column + (3 if tpl.triple else 1) + column - 1
    return Span(tpl.span.path, at, col, at, col + width)


def _unsafe(
    tree: jinja2.nodes.Template, walked: list[jinja2.nodes.Node], source: str, tpl: ast.Template, rel: str | None,
    mats: Materials,
) -> None:
    """`template-unsafe` errors, located in the .j2 file or (inline) in the spec itself."""
    for f in unsafe_expressions(tree, source, walked):
        span = _in_template(tpl, rel, f.line, f.column, f.width)
        mats.diagnostics.append(
            Diagnostic(
                Code.TEMPLATE_UNSAFE,
                Severity.ERROR,
                f.message,
                span,
                "templates may only read and format their inputs: no private attributes, "
                "computed format strings, or unbounded powers, repeats and ranges",
            )
        )


def _collect(
    tree: jinja2.nodes.Template,
    source: str,
    tpl: ast.Template,
    rel: str | None,
    files: ProjectFiles,
    mats: Materials,
    variables: set[str],
    includes: dict[str, str],
    stack: set[str],
) -> None:
    """Variables a template (and everything it includes) reads; includes by literal path."""
    walked = all_nodes(tree)
    variables.update(_undeclared(walked))
    _unsafe(tree, walked, source, tpl, rel, mats)
    if not any(isinstance(node, _REFERENCES) for node in walked):
        return
    for target in jinja2.meta.find_referenced_templates(tree):
        where = _template_span(tpl, rel, None)
        if target is None:
            mats.diagnostics.append(
                Diagnostic(Code.TEMPLATE_SYNTAX, Severity.ERROR, "a template includes a computed name", where,
                           "include templates by a literal path so the lock can pin them")
            )
            continue
        try:
            inc_rel, text = files.read_text(target, where, "included template")
        except FileError as exc:
            mats.diagnostics.append(exc.diagnostic)
            continue
        mats.used_files.add(inc_rel)
        if inc_rel in stack or inc_rel in includes:
            continue
        includes[inc_rel] = text
        mats.diagnostics.extend(spec_secrets.in_template(text, ast.Template(None, inc_rel, Span(inc_rel)), inc_rel, "an included template"))
        sub, problem = _parse_template(text, Span(inc_rel, 1, 1, 1, 2))
        if problem is not None or sub is None:
            if problem is not None:
                mats.diagnostics.append(problem)
            continue
        _collect(sub, text, ast.Template(None, inc_rel, Span(inc_rel)), inc_rel, files, mats, variables, includes, stack | {inc_rel})


def _templates(routine: ast.RoutineDef, files: ProjectFiles, mats: Materials) -> None:
    variables: set[str] = set()
    includes: dict[str, str] = {}
    system = _load_template(routine.system, files, mats, variables, includes, "the system prompt") if routine.system else None
    user = _load_template(routine.prompt, files, mats, variables, includes) if routine.prompt else None
    inputs = {f.name: f for f in routine.inputs or ()}
    anchor = routine.prompt.span if routine.prompt else routine.name_span
    for name in sorted(variables - set(inputs)):
        mats.diagnostics.append(
            Diagnostic(
                Code.UNDEFINED_VARIABLE,
                Severity.ERROR,
                f"template variable {name!r} is not an input of {routine.name!r}",
                anchor,
                f"declare it in `input {{ {name}: string }}`, or fix the name"
                + (f" (inputs: {', '.join(sorted(inputs))})" if inputs else ""),
            )
        )
    if user is not None and (routine.system is None or system is not None):
        for name in sorted(set(inputs) - variables):
            mats.diagnostics.append(
                Diagnostic(
                    Code.UNUSED_INPUT,
                    Severity.WARNING,
                    f"input {name!r} is never used by the prompt or system templates",
                    inputs[name].span,
                    f"use {{{{ {name} }}}} in the prompt, or remove the input",
                )
            )
    mats.prompt = {
        "system": system,
        "user": user,
        "includes": dict(sorted(includes.items())),
    }
    mats.prompt["hash"] = digest(mats.prompt)


def _explained(error: jsonschema.ValidationError, explained: set[tuple[tuple[str | int, ...], str | None]]) -> bool:
    """Said already by a misspelt key: its `additionalProperties` error, or the `required`
    error for the key it meant."""
    if error.validator == "additionalProperties":
        return any(path == tuple(error.absolute_path) for path, _ in explained)
    if error.validator == "required":  # one error per missing key, its message led by the key
        path = tuple(error.absolute_path)
        return any(where == path and meant is not None and error.message.startswith(repr(meant)) for where, meant in explained)
    return False


def _validation_message(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{'at ' + where + ': ' if where else ''}{plain_text(error.message)[:200]}"


def _tests(
    routine: ast.RoutineDef, input_schema: dict[str, Any], files: ProjectFiles, mats: Materials, validated: Validated
) -> None:
    validator: Any = None
    for test in routine.tests:
        value: Any = None
        input_path: str | None = None
        span = test.input_span or test.span
        if test.input_file is not None:
            try:
                input_path, value = files.read_json(test.input_file, span, "test input")
                value = json_value(value)
            except FileError as exc:
                mats.diagnostics.append(exc.diagnostic)
                continue
            mats.used_files.add(input_path)
        elif test.input_value is not None:
            value = json_value(test.input_value)
            mats.diagnostics.extend(spec_secrets.in_value(value, span, f"the inline input of test {test.name!r}"))
        else:
            continue
        errors: list[jsonschema.ValidationError] = []
        if not validated.passed("test input", input_schema, value):
            if validator is None:
                import jsonschema

                validator = jsonschema.Draft202012Validator(input_schema)
            errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
            if not errors:
                validated.add("test input", input_schema, value)
        fix = f"fix {input_path}" if input_path else "fix the inline input"
        # A misspelt key is one mistake, not "X is required" plus "Y was unexpected": name it.
        misspelt = misspelt_keys(errors)
        for slip in misspelt[:3]:
            mats.diagnostics.append(Diagnostic(
                Code.INVALID_TEST_INPUT, Severity.ERROR, f"test {test.name!r}: input {slip.text()}", span,
                f"{fix}: rename {slip.key!r} to {slip.meant!r}" if slip.meant else fix,
            ))
        explained: set[tuple[tuple[str | int, ...], str | None]] = {(m.path, m.meant) for m in misspelt if m.meant}
        for error in [e for e in errors if not _explained(e, explained)][: max(0, 3 - len(misspelt))]:
            mats.diagnostics.append(
                Diagnostic(
                    Code.INVALID_TEST_INPUT,
                    Severity.ERROR,
                    f"test {test.name!r}: input does not match the input schema: {_validation_message(error)}",
                    span,
                    fix,
                )
            )
        if errors:
            continue
        mats.tests[test.name] = {
            "input": None if input_path else value,
            "input_path": input_path,
            "input_hash": digest(value),
            "compare": compare_rules(test),
        }


def _consumers(
    refs: Iterable[ast.ConsumerRef], named: dict[str, dict[str, Any]], files: ProjectFiles, mats: Materials,
    validated: Validated,
) -> None:
    for ref in refs:
        if not ref.is_file:
            schema = named.get(ref.name)
            if schema is not None:
                mats.consumers.append({"name": ref.name, "kind": "consumer", "schema": schema, "schema_hash": digest(schema)})
            continue
        try:
            rel, schema = files.read_json(ref.name, ref.span, "consumer schema")
        except FileError as exc:
            mats.diagnostics.append(exc.diagnostic)
            continue
        mats.used_files.add(rel)
        if not validated.passed("schema", schema):
            import jsonschema

            try:
                if not isinstance(schema, dict | bool):
                    raise jsonschema.SchemaError("a schema must be an object or a boolean")
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as exc:
                mats.diagnostics.append(
                    Diagnostic(Code.INVALID_SCHEMA, Severity.ERROR, f"{rel} is not a valid JSON Schema: {exc.message[:200]}", ref.span)
                )
                continue
            except RecursionError:
                mats.diagnostics.append(Diagnostic(Code.INVALID_SCHEMA, Severity.ERROR, f"{rel} nests too deeply", ref.span))
                continue
            validated.add("schema", schema)
        mats.diagnostics.extend(spec_secrets.in_value(schema, ref.span, f"the consumer schema {rel}"))
        mats.consumers.append({"name": rel, "kind": "file", "schema": schema, "schema_hash": digest(schema)})


def gather(
    routine: ast.RoutineDef,
    input_schema: dict[str, Any],
    consumer_schemas: dict[str, dict[str, Any]],
    files: ProjectFiles,
    validated: Validated | None = None,
) -> Materials:
    """`validated`: validations known to pass, and where new passes are noted."""
    validated = validated if validated is not None else Validated()
    mats = Materials()
    if routine.description:
        mats.diagnostics.extend(spec_secrets.in_value(routine.description, routine.name_span, "the description"))
    _templates(routine, files, mats)
    _tests(routine, input_schema, files, mats, validated)
    _consumers(routine.consumers, consumer_schemas, files, mats, validated)
    return mats
