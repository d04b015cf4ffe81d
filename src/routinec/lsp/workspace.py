"""LSP layer: a project as the editor sees it (unsaved buffers over the files on disk), and
what the language server answers about it. No LSP types here: plain values in, plain out.

In: the project root, open documents' text. Out: diagnostics (the compiler's own checks, so
the same codes, spans and hints as `routinec check`), hover text, definitions, completions,
document symbols and formatted text. Positions are 1-based lines and columns in code points.

Incremental: the spec being edited is parsed block by block (`lsp.chunks`); names resolve
against every spec of the project; the checks run for the declarations of that spec; the
file-backed checks (templates, test inputs, consumer edges) run per routine and are kept until
the routine, a named type or a file on disk changes.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routinec.canonical import digest, source_digest
from routinec.compiler import ast
from routinec.compiler.check import (
    check_consumer,
    check_python_names,
    check_routine,
    check_type,
    check_type_cycles,
)
from routinec.compiler.files import ProjectFiles
from routinec.compiler.fmt import format_text
from routinec.compiler.lower import consumer_schema, lower_routine, routine_schema
from routinec.compiler.materials import gather
from routinec.compiler.spec_secrets import refused
from routinec.compiler.symbols import PRIMITIVES, Project, resolve
from routinec.config import Config, discover_specs, env, load_config
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.lockfile import Lock, read_lock
from routinec.lsp.chunks import ChunkParser, _shift_span, open_blocks, split
from routinec.modeltable import ModelInfo, known_names, lifecycle_diagnostic, lookup
from routinec.params import PARAMS

__all__ = ["Completion", "Location", "Symbol", "Workspace"]

TOP_KEYWORDS = ("type", "routine", "consumer")
ROUTINE_KEYWORDS = (
    "description", "model", *sorted(p.keyword for p in PARAMS), "state", "system", "prompt",
    "input", "output", "consumers", "test",
)
TEST_KEYWORDS = ("input", "compare")
COMPARE_RULES = ("exact", "text", "number", "ignore", "schema")
CONSTRAINTS = ("min_length", "max_length", "pattern", "minimum", "maximum", "min_items", "max_items")


@dataclass(frozen=True)
class Location:
    path: str  # project-relative
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # keyword | type | model | variable | value
    detail: str | None = None


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str  # type | routine | consumer | field | test
    detail: str
    range: tuple[int, int, int, int]  # line, column, end line, end column
    selection: tuple[int, int, int, int]
    children: tuple[Symbol, ...] = ()


def _contains(span: Span | None, line: int, column: int) -> bool:
    if span is None or not span.line:
        return False
    end_line = span.end_line or span.line
    end_column = span.end_column or span.column + 1
    if line < span.line or line > end_line:
        return False
    if line == span.line and column < span.column:
        return False
    return not (line == end_line and column > end_column)


def type_text(expr: ast.TypeExpr) -> str:
    if isinstance(expr, ast.LiteralUnion):
        return " | ".join(f'"{v}"' for v in expr.values)
    if isinstance(expr, ast.ListType):
        return f"list[{type_text(expr.item)}]"
    return expr.name


def field_text(f: ast.Field) -> str:
    out = f"{f.name}{'?' if f.optional else ''}: {type_text(f.type)}"
    if f.constraints:
        out += " (" + ", ".join(f"{c.name} {_value_text(c.value)}" for c in f.constraints) + ")"
    if f.has_default:
        out += f" = {_value_text(ast.to_plain(f.default))}"
    return out


def _value_text(value: Any) -> str:
    import json

    from routinec.canonical import plain_json

    return json.dumps(plain_json(value), ensure_ascii=False, default=str)


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.config_error: list[Diagnostic] = []
        try:
            self.config: Config = load_config(self.root)
        except DiagnosticError as exc:
            self.config = Config(root=self.root)
            self.config_error = list(exc.diagnostics)
        self.parser = ChunkParser()
        self.documents: dict[str, str] = {}  # project-relative path → unsaved text
        self._disk: dict[str, tuple[int, str]] = {}  # path → (mtime_ns, text)
        self._specs: list[str] | None = None
        self._files = ProjectFiles(self.root)
        self._epoch = 0  # bumped whenever a file on disk may have changed
        # content key of a declaration → (context, line it was at, diagnostics[, model])
        self._materials: dict[Any, tuple[Any, ...]] = {}
        self._checked: dict[Any, tuple[Any, ...]] = {}
        self._origin: dict[str, dict[int, tuple[Any, ...]]] = {}  # path → id(declaration) → key, line
        self._parsed: dict[str, tuple[Any, ...]] = {}  # path → (text, file, syntax diagnostics)
        self._project: tuple[Any, ...] | None = None
        self._names: tuple[Any, list[Diagnostic]] | None = None
        self._good: dict[str, ast.File] = {}  # path → its last text that parsed (completion while typing)
        self._lock: tuple[int, Lock | None] | None = None

    # -- documents -------------------------------------------------------------------------

    def relative(self, path: str | Path) -> str | None:
        resolved = Path(os.path.abspath(path))
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            return None

    def set_text(self, rel: str, text: str) -> None:
        self.documents[rel] = text
        if rel.endswith(".routine") and self._specs is not None and rel not in self._specs:
            self._specs = None

    def close(self, rel: str) -> None:
        self.documents.pop(rel, None)
        self._specs = None

    def disk_changed(self) -> None:
        """A file was saved, created or deleted: reread templates, inputs, schemas and the lock."""
        self._epoch += 1
        self._files = ProjectFiles(self.root)
        self._specs = None
        self._disk.clear()
        self._materials.clear()
        self._checked.clear()
        self._lock = None

    def text(self, rel: str) -> str | None:
        if rel in self.documents:
            return self.documents[rel]
        path = self.root / rel
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        cached = self._disk.get(rel)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            text = path.read_bytes().decode("utf-8-sig", errors="replace")
        except OSError:
            return None
        self._disk[rel] = (mtime, text)
        return text

    def spec_paths(self) -> list[str]:
        if self._specs is None:
            found = set(discover_specs(self.config))
            found.update(p for p in self.documents if p.endswith(".routine"))
            self._specs = sorted(found)
        return self._specs

    # -- parsing and checking ---------------------------------------------------------------

    def parse(self, rel: str) -> tuple[ast.File | None, list[Diagnostic]]:
        text = self.text(rel)
        if text is None:
            return None, []
        kept = self._parsed.get(rel)
        if kept is not None and (kept[0] is text or kept[0] == text):
            return kept[1], kept[2]
        try:
            result: tuple[ast.File | None, list[Diagnostic]] = (self.parser.parse(text, rel), [])
            # Each declaration's content key: its block's text and place in it (a block that
            # only moved keeps its key, so its checks are not run again).
            self._origin[rel] = {
                id(item): (rel, block, index, line)
                for block, line, items in self.parser.blocks.get(rel, [])
                for index, item in enumerate(items)
            }
        except DiagnosticError as exc:
            result = (None, list(exc.diagnostics))
        if result[0] is not None:
            self._good[rel] = result[0]
        self._parsed[rel] = (text, *result)
        return result

    def project(self) -> tuple[Project, list[Diagnostic]]:
        """Every spec's declarations (the open ones' unsaved text), resolved; kept while no
        file's parse changed."""
        files = [f for f in (self.parse(rel)[0] for rel in self.spec_paths()) if f is not None]
        key = tuple(id(f) for f in files)
        if self._project is None or self._project[0] != key:
            self._project = (key, *resolve(files), files)
        return self._project[1], self._project[2]

    def _key(self, node: Any, path: str) -> tuple[Any, ...]:
        found = self._origin.get(path, {}).get(id(node))
        return (path, id(node), 0) if found is None else found[:3]

    def _context(self, project: Project) -> tuple[Any, ...]:
        """What a declaration's checks read besides the declaration: the named types and
        consumers (by content), the files on disk."""
        return (
            self._epoch,
            tuple((n, self._key(d.node, d.path)) for n, d in project.types.items()),
            tuple((n, self._key(d.node, d.path)) for n, d in project.consumers.items()),
        )

    def _moved(self, diags: tuple[Diagnostic, ...], rel: str, delta: int) -> list[Diagnostic]:
        if not delta:
            return list(diags)
        return [
            dataclasses.replace(d, span=_shift_span(d.span, delta)) if d.span is not None and d.span.path == rel else d
            for d in diags
        ]

    def diagnostics(self, rel: str) -> list[Diagnostic]:
        """What `routinec check` says about this spec (with its unsaved text)."""
        if self.config_error:
            return self.config_error
        file, problems = self.parse(rel)
        if file is None:
            return problems
        project, resolved = self.project()
        context = self._context(project)
        origin = self._origin.get(rel, {})
        out = [d for d in resolved if d.span is not None and d.span.path == rel]
        models: dict[str, ModelInfo] = {}
        lines: dict[str, tuple[Any, int]] = {}
        for item in file.items:
            table: dict[str, Any] = (
                project.types if isinstance(item, ast.TypeDef)
                else project.consumers if isinstance(item, ast.ConsumerDef) else project.routines
            )
            decl = table.get(item.name)
            if decl is None or decl.node is not item:
                continue  # a duplicate: resolve said so
            where = origin.get(id(item))
            key, line = (where[:3], where[3]) if where is not None else ((rel, id(item), 0), 0)
            lines[item.name] = (key, line)
            kept = self._checked.get(key)
            if kept is None or kept[0] != context:
                kept = (context, line, *self._check(item, project))
                self._checked[key] = kept
            out.extend(self._moved(kept[2], rel, line - kept[1]))
            if kept[3] is not None:
                models[item.name] = kept[3]
        if len(self._checked) > 8192:
            self._checked.clear()
        out.extend(d for d in check_type_cycles(project) if d.span is not None and d.span.path == rel)
        out.extend(self._python_names(project, file, rel, origin))
        if not any(d.severity is Severity.ERROR for d in out):
            for item in file.items:
                if isinstance(item, ast.RoutineDef) and item.name in models:
                    key, line = lines[item.name]
                    out.extend(self._routine_materials(item, project, models[item.name], key, line, context, rel))
        return sorted(out, key=_order)

    def _python_names(self, project: Project, file: ast.File, rel: str, origin: dict[int, tuple[Any, ...]]) -> list[Diagnostic]:
        """`check_python_names` for this spec, kept while every name it reads (routine and
        type names project-wide; this spec's declarations, their lines, fields and field
        types) and the files on disk stay the same."""
        shape = []
        for item in file.items:
            fields: tuple[ast.Field, ...] = (
                item.fields if isinstance(item, ast.TypeDef)
                else item.expects if isinstance(item, ast.ConsumerDef)
                else (*(item.inputs or ()), *(item.outputs or ()))
            )
            where = origin.get(id(item))
            shape.append((item.name, where[3] if where else id(item), tuple((f.name, f.span.line, f.span.column, _named(f.type)) for f in fields)))
        key = (self._epoch, rel, tuple(project.routines), tuple(project.types), tuple(shape))
        if self._names is None or self._names[0] != key:
            found = [d for d in check_python_names(project, only=rel) if d.span is not None and d.span.path == rel]
            self._names = (key, found)
        return list(self._names[1])

    def _check(self, item: Any, project: Project) -> tuple[tuple[Diagnostic, ...], ModelInfo | None]:
        if isinstance(item, ast.TypeDef):
            return tuple(check_type(item, project)), None
        if isinstance(item, ast.ConsumerDef):
            return tuple(check_consumer(item, project)), None
        model, found = check_routine(item, project, lookup)
        setting = item.settings.get("model")
        if model is not None and setting is not None:
            said = lifecycle_diagnostic(item.name, model.id, model.lifecycle, model.retires_at, _today(), setting.value_span)
            if said is not None:
                found.append(said)
        return tuple(found), model

    def _routine_materials(
        self, routine: ast.RoutineDef, project: Project, model: ModelInfo, key: Any, line: int, context: Any, rel: str
    ) -> list[Diagnostic]:
        """Templates, test inputs, consumer files and consumer edges of one routine (cached)."""
        locked = self._lock_entries()
        before = locked.routines.get(routine.name) if locked is not None else None
        wanted = (context, model, before.entry_hash if before is not None else None)
        cached = self._materials.get(key)
        if cached is not None and cached[0] == wanted:
            return self._moved(cached[2], rel, line - cached[1])
        input_schema = routine_schema(routine.inputs, project)
        consumer_schemas = {
            ref.name: consumer_schema(project.consumers[ref.name].node, project)
            for ref in routine.consumers if not ref.is_file and ref.name in project.consumers
        }
        mats = gather(routine, input_schema, consumer_schemas, self._files)
        said = [refused(d) for d in mats.diagnostics]  # a secret is an error, as at check
        if not any(d.severity is Severity.ERROR for d in said) and (routine.consumers or before) and routine.prompt is not None:
            # The gates `check` and `lock` run: consumer edges, and a breaking change against
            # the locked entry without a version bump.
            from routinec.commands.gates import breaking_changes, edge_diagnostics

            entry = lower_routine(routine, project, model, mats.prompt, mats.tests, mats.consumers, {})
            for diag in edge_diagnostics(Lock(routines={routine.name: entry}), self.config):
                said.append(dataclasses.replace(diag, span=routine.name_span))
            if before is not None:
                now = Lock(routines={routine.name: entry})
                for diag in breaking_changes(Lock(routines={routine.name: before}), now, self.config, for_lock=True):
                    said.append(dataclasses.replace(diag, span=self._version_span(rel, routine)))
        if len(self._materials) > 4096:
            self._materials.clear()
        self._materials[key] = (wanted, line, tuple(said))
        return said

    def format(self, rel: str) -> str | None:
        """The spec formatted as `routinec fmt` would write it; None when it does not parse."""
        text = self.text(rel)
        if text is None:
            return None
        try:
            return format_text(text, rel)
        except DiagnosticError:
            return None

    # -- what is under the cursor ------------------------------------------------------------

    def _line(self, rel: str, line: int) -> str:
        text = self.text(rel) or ""
        lines = text.split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def _word(self, rel: str, line: int, column: int) -> str | None:
        text = self._line(rel, line)
        for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", text):
            if m.start() < column <= m.end() + 1 and m.start() + 1 <= column:
                return m.group(0)
        return None

    def _string(self, rel: str, line: int, column: int) -> str | None:
        """The quoted text around the cursor (a spec string, or a quoted name in a template)."""
        text = self._line(rel, line)
        at = column - 1
        for quote in ('"', "'"):
            left = text.rfind(quote, 0, at)
            right = text.find(quote, at)
            if left >= 0 and right > left and text[left + 1:right].strip():
                inner = text[left + 1:right]
                if quote not in inner:
                    return inner
        return None

    def _version_span(self, rel: str, routine: ast.RoutineDef) -> Span:
        """The `vN` after `routine NAME` in the unsaved text (where `check` points a version gate)."""
        name = routine.name_span
        text = self._line(rel, name.line)
        tag = f"v{routine.version}"
        column = text.find(tag, max(name.end_column - 1, 0))
        if column < 0:
            return name
        return Span(name.path, name.line, column + 1, name.line, column + 1 + len(tag))

    def _lock_entries(self) -> Lock | None:
        path = self.config.lock_path
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        if self._lock is None or self._lock[0] != mtime:
            try:
                self._lock = (mtime, read_lock(path, check_hashes=False))
            except DiagnosticError:
                self._lock = (mtime, None)
        return self._lock[1]

    def _fields_at(self, file: ast.File, line: int, column: int) -> tuple[ast.Field, str] | None:
        for item in file.items:
            groups: list[tuple[str, tuple[ast.Field, ...]]] = []
            if isinstance(item, ast.TypeDef):
                groups.append((f"type {item.name}", item.fields))
            elif isinstance(item, ast.ConsumerDef):
                groups.append((f"consumer {item.name} expects", item.expects))
            else:
                groups.append((f"input of {item.name}", item.inputs or ()))
                groups.append((f"output of {item.name}", item.outputs or ()))
            for owner, fields in groups:
                for f in fields:
                    if _contains(f.span, line, column):
                        return f, owner
        return None

    def hover(self, rel: str, line: int, column: int) -> str | None:
        file, _ = self.parse(rel)
        if file is None:
            return None
        project, _ = self.project()
        for item in file.items:
            if isinstance(item, ast.RoutineDef):
                setting = item.settings.get("model")
                if setting is not None and _contains(setting.value_span, line, column):
                    return _model_hover(str(setting.value))
                if _contains(item.name_span, line, column):
                    return self._routine_hover(item)
        found = self._fields_at(file, line, column)
        if found is not None:
            f, owner = found
            return f"```routine\n{field_text(f)}\n```\n{_field_facts(f)}field of {owner}"
        word = self._word(rel, line, column)
        if word is None:
            return None
        if word in project.types:
            typedef = project.types[word].node
            body = "\n".join(f"  {field_text(f)}" for f in typedef.fields)
            return f"```routine\ntype {word} {{\n{body}\n}}\n```\ndeclared in {project.types[word].path}"
        if word in project.consumers:
            consumer = project.consumers[word].node
            body = "\n".join(f"  {field_text(f)}" for f in consumer.expects)
            return f"```routine\nconsumer {word} expects {{\n{body}\n}}\n```\ndeclared in {project.consumers[word].path}"
        if word in project.routines:
            return self._routine_hover(project.routines[word].node)
        if word in PRIMITIVES:
            return f"built-in type `{word}` (JSON Schema `{PRIMITIVES[word]}`)"
        return None

    def _routine_hover(self, routine: ast.RoutineDef) -> str:
        head = f"**routine {routine.name}** v{routine.version}"
        if routine.description:
            head += f"\n\n{routine.description}"
        lock = self._lock_entries()
        entry = lock.routines.get(routine.name) if lock is not None else None
        if entry is None:
            status = f"not in {self.config.lockfile}: run `routinec lock`"
        elif entry.spec_hash != digest(ast.to_plain(routine)):
            status = f"changed since {self.config.lockfile} (locked v{entry.version}): run `routinec lock`"
        elif any(self._source_changed(p, d) for p, d in entry.sources.items()):
            status = f"a file it uses changed since {self.config.lockfile}: run `routinec lock`"
        else:
            status = f"locked in {self.config.lockfile}: v{entry.version}, model `{entry.model.snapshot}`"
        return f"{head}\n\nlock: {status}"

    def _source_changed(self, rel: str, expected: str) -> bool:
        if rel in self.documents:
            return source_digest(self.documents[rel].encode("utf-8")) != expected
        try:
            return source_digest((self.root / rel).read_bytes()) != expected
        except OSError:
            return True

    def definition(self, rel: str, line: int, column: int) -> list[Location]:
        quoted = self._string(rel, line, column)
        if quoted is not None:
            target = self.root / quoted
            if target.is_file() and self.relative(target) is not None:
                return [Location(quoted, 1, 1, 1, 1)]
        word = self._word(rel, line, column)
        if word is None:
            return []
        project, _ = self.project()
        for table in (project.types, project.consumers, project.routines):
            decl = table.get(word)
            if decl is not None:
                node = decl.node
                span = getattr(node, "name_span", None) or node.span
                return [Location(decl.path, span.line, span.column, span.end_line or span.line, span.end_column or span.column)]
        return []

    def completion(self, rel: str, line: int, column: int) -> list[Completion]:
        text = self.text(rel) or ""
        lines = text.split("\n")
        current = lines[line - 1] if 0 < line <= len(lines) else ""
        before = current[: column - 1]
        head = "\n".join([*lines[: line - 1], before])
        blocks = open_blocks(head)
        inner = blocks[-1] if blocks else None
        if re.search(r'^\s*model\s+"[^"]*$', before):
            return [Completion(name, "model", _model_detail(name)) for name in known_names()]
        segment = head[head.rfind('"""') + 3:] if head.count('"""') % 2 == 1 else before
        if blocks and blocks[0] == "routine" and _in_template(segment):
            file = self.parse(rel)[0] or self._good.get(rel)
            routine = _routine_at(file, line) or _routine_named(self.project()[0], head)
            inputs = (routine.inputs or ()) if routine is not None else ()
            return [Completion(f.name, "variable", field_text(f)) for f in inputs]
        if inner == "compare":
            if re.search(r":\s*[a-z]*$", before):
                return [Completion(r, "value", "compare rule") for r in COMPARE_RULES]
            return []
        if inner in ("input", "output", "expects", "type") and "test" not in blocks:
            if re.search(r"\([^)]*$", before):
                return [Completion(c, "keyword", "constraint") for c in CONSTRAINTS if not re.search(rf"\b{c}\b", before)]
            if re.search(r"[A-Za-z_][A-Za-z0-9_]*\??\s*:\s*(list\[\s*)*[A-Za-z_]*$", before):
                project, _ = self.project()
                declared = {name: decl.path for name, decl in project.types.items()}
                good = self._good.get(rel)  # while this file does not parse: its last good types
                for item in good.items if good is not None else ():
                    if isinstance(item, ast.TypeDef):
                        declared.setdefault(item.name, rel)
                return [Completion(name, "type", "built-in") for name in (*PRIMITIVES, "list")] + [
                    Completion(name, "type", declared[name]) for name in sorted(declared)
                ]
            return []
        if inner == "routine":
            return [Completion(k, "keyword") for k in ROUTINE_KEYWORDS]
        if inner == "test":
            return [Completion(k, "keyword") for k in TEST_KEYWORDS]
        if inner is None:
            return [Completion(k, "keyword") for k in TOP_KEYWORDS]
        return []

    def symbols(self, rel: str) -> list[Symbol]:
        file, _ = self.parse(rel)
        text = self.text(rel)
        if file is None or text is None:
            return []
        ends = _block_ends(text)
        out: list[Symbol] = []
        for item in file.items:
            if isinstance(item, ast.TypeDef):
                start = item.span.line
                children = tuple(_field_symbol(f) for f in item.fields)
                out.append(Symbol(item.name, "type", "type", (start, 1, ends.get(start, start), 1_000), _sel(item.span), children))
            elif isinstance(item, ast.ConsumerDef):
                children = tuple(_field_symbol(f) for f in item.expects)
                out.append(Symbol(item.name, "consumer", "consumer", _rng(item.span), _sel(item.name_span), children))
            else:
                fields = tuple(_field_symbol(f, "input") for f in item.inputs or ()) + tuple(
                    _field_symbol(f, "output") for f in item.outputs or ())
                tests = tuple(Symbol(t.name, "test", "test", _rng(t.span), _sel(t.span)) for t in item.tests)
                out.append(Symbol(item.name, "routine", f"v{item.version}", _rng(item.span), _sel(item.name_span), fields + tests))
        return out


def _named(expr: ast.TypeExpr) -> str | None:
    """The named type a field's type reaches (through lists), if any."""
    while isinstance(expr, ast.ListType):
        expr = expr.item
    return expr.name if isinstance(expr, ast.NamedType) else None


def _today() -> _dt.date:
    try:
        return env().today
    except DiagnosticError:
        return _dt.date.today()


def _order(d: Diagnostic) -> tuple[int, int, str]:
    span = d.span
    return (span.line if span else 0, span.column if span else 0, d.code.value)


def _rng(span: Span) -> tuple[int, int, int, int]:
    return (span.line, span.column, span.end_line or span.line, span.end_column or span.column)


def _sel(span: Span) -> tuple[int, int, int, int]:
    return _rng(span)


def _field_symbol(f: ast.Field, role: str = "field") -> Symbol:
    return Symbol(f.name, "field", f"{role}: {type_text(f.type)}", _rng(f.span), _sel(f.span))


def _field_facts(f: ast.Field) -> str:
    facts = []
    if f.optional:
        facts.append("optional (may be absent)")
    elif f.has_default:
        facts.append("filled in with its default when absent")
    else:
        facts.append("required")
    return "; ".join(facts) + "\n\n"


def _model_detail(name: str) -> str:
    info = lookup(name)
    if info is None:
        return ""
    detail = f"{info.id} ({info.lifecycle}"
    if info.retires_at:
        detail += f", retires {info.retires_at}"
    return detail + ")"


def _model_hover(name: str) -> str:
    info = lookup(name)
    if info is None:
        return f"`{name}`: not a model routinec knows (`routinec lock --resolve-online` asks the Models API)"
    lines = [f"**{name}**", "", f"pinned snapshot: `{info.id}`", f"lifecycle: {info.lifecycle}"]
    if info.retires_at:
        lines.append(f"retires: {info.retires_at}")
    lines.append(f"max output tokens: {info.max_tokens}")
    return "\n".join(lines)


def _routine_at(file: ast.File | None, line: int) -> ast.RoutineDef | None:
    for item in file.items if file is not None else ():
        if isinstance(item, ast.RoutineDef) and item.span.line <= line <= (item.span.end_line or item.span.line):
            return item
    return None


def _routine_named(project: Project, head: str) -> ast.RoutineDef | None:
    """The routine whose block `head` (text up to the cursor) is inside, by its name."""
    found = re.findall(r"^routine\s+([A-Za-z_][A-Za-z0-9_]*)", head, re.MULTILINE)
    decl = project.routines.get(found[-1]) if found else None
    return decl.node if decl is not None else None


def _in_template(before: str) -> bool:
    opened = max(before.rfind("{{"), before.rfind("{%"))
    closed = max(before.rfind("}}"), before.rfind("%}"))
    return opened > closed


def _block_ends(text: str) -> dict[int, int]:
    ends = {}
    for chunk in split(text):
        body = chunk.text.rstrip()
        ends[chunk.line] = chunk.line + body.count("\n")
    return ends
