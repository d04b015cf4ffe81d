"""Bottom layer: the project root and its `[tool.routinec]` settings; the environment.

In: a directory, and the process environment. Out: a frozen `Config` (paths resolved
against the project root, the directory holding `pyproject.toml`) and a frozen `Env` (CI,
the `ROUTINEC_*` variables, the API key and base URL), the only readers of either. Every
setting is optional; a bad one is a diagnostic.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span

__all__ = ["Config", "Env", "check_ledger_url", "discover_specs", "display_url", "env", "find_root", "ledger_url_from_env",
           "load_config", "root_note"]

_KNOWN = {"specs", "golden", "lockfile", "redact", "ledger", "client", "ignore", "install"}
_LEDGER_KNOWN = {"content", "path", "url"}
LEDGER_CONTENT = ("redacted", "digests")


@dataclass(frozen=True)
class Config:
    root: Path
    specs_dir: str = "specs"
    golden_dir: str = "golden"
    lockfile: str = "routines.lock"
    redact: tuple[str, ...] = field(default=())
    ignore: tuple[str, ...] = field(default=())  # warning codes never shown ([tool.routinec] ignore)
    configured: bool = False  # pyproject.toml has a [tool.routinec] table
    # [tool.routinec.ledger]: what run records keep of inputs and outputs, and where.
    ledger_content: str = "redacted"  # redacted | digests
    ledger_file: str = ".routinec/ledger.db"
    ledger_url: str | None = None  # sqlite:///PATH or postgresql://… (ROUTINEC_LEDGER_URL wins)
    client: str = "routinec_client.py"  # where `routinec gen python` writes the typed client
    # Where generated CI workflows install routinec from (a git URL or a wheel); None: the
    # repository variable ROUTINEC_SOURCE (routinec.client.install).
    install: str | None = None

    @property
    def ledger_path(self) -> Path:
        return self.root / self.ledger_file

    @property
    def lock_path(self) -> Path:
        return self.root / self.lockfile

    @property
    def specs_path(self) -> Path:
        return self.root / self.specs_dir

    @property
    def golden_path(self) -> Path:
        return self.root / self.golden_dir


_TRUE = ("1", "true", "yes", "on")
# CI systems' standard variables and the OS user: who ran a routine (the run ledger).
INVOKER_VARS = frozenset({
    "CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "JENKINS_URL", "BUILD_ID",
    "BUILD_NUMBER", "JOB_NAME", "BUILD_URL", "USER", "LOGNAME", "USERNAME",
})
_INVOKER_PREFIXES = ("GITHUB_RUN", "GITHUB_JOB", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_WORKFLOW",
                     "CI_JOB", "CI_PIPELINE", "CI_PROJECT_PATH", "CI_COMMIT_SHA", "BUILDKITE_",
                     "CIRCLE_")


@dataclass(frozen=True)
class Env:
    """What the environment says (README: environment variables), read in one place."""

    ci: bool = False  # CI=true: replay by default, --update-golden refused
    mode: str | None = None  # ROUTINEC_MODE
    today_text: str | None = None  # ROUTINEC_TODAY, checked when `today` is asked for
    debug: bool = False  # ROUTINEC_DEBUG: tracebacks of internal errors
    single_process: bool = False  # ROUTINEC_JOBS=1
    no_cache: bool = False  # ROUTINEC_NO_CACHE
    cache_home: Path = field(default_factory=lambda: Path.home() / ".cache")  # XDG_CACHE_HOME
    api_key: str | None = None  # ANTHROPIC_API_KEY
    base_url: str | None = None  # ANTHROPIC_BASE_URL
    under_pytest: bool = False  # PYTEST_CURRENT_TEST: the runtime replays under a test run
    ledger_url: str | None = None  # ROUTINEC_LEDGER_URL: the ledger's database (over [tool.routinec.ledger] url)
    step_summary: Path | None = None  # GITHUB_STEP_SUMMARY: `--format github` appends a markdown table there
    # The CI and user variables that name who ran a routine (routinec.ledger.invoker reads them).
    invoker_vars: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> Env:
        e = os.environ if environ is None else environ
        cache_home = e.get("XDG_CACHE_HOME")
        return cls(
            ci=e.get("CI", "").strip().lower() in _TRUE,
            mode=e.get("ROUTINEC_MODE") or None,
            today_text=e.get("ROUTINEC_TODAY") or None,
            debug=bool(e.get("ROUTINEC_DEBUG")),
            single_process=e.get("ROUTINEC_JOBS", "").strip() == "1",
            no_cache=bool(e.get("ROUTINEC_NO_CACHE")),
            # A relative XDG_CACHE_HOME is invalid (XDG spec) and would put caches in the project.
            cache_home=Path(cache_home) if cache_home and Path(cache_home).is_absolute() else Path.home() / ".cache",
            api_key=e.get("ANTHROPIC_API_KEY") or None,
            base_url=e.get("ANTHROPIC_BASE_URL") or None,
            under_pytest="PYTEST_CURRENT_TEST" in e,
            ledger_url=(e.get("ROUTINEC_LEDGER_URL") or "").strip() or None,
            step_summary=Path(e["GITHUB_STEP_SUMMARY"]) if e.get("GITHUB_STEP_SUMMARY") else None,
            invoker_vars=tuple(sorted((k, v) for k, v in e.items() if k in INVOKER_VARS or k.startswith(_INVOKER_PREFIXES))),
        )

    @property
    def today(self) -> _dt.date:
        """Today's date; ROUTINEC_TODAY=YYYY-MM-DD pins it (model retirement checks)."""
        if self.today_text is None:
            return _dt.date.today()
        try:
            return _dt.date.fromisoformat(self.today_text)
        except ValueError:
            # A typo must not quietly switch the retirement checks back to the real date.
            raise DiagnosticError([Diagnostic(
                Code.CONFIG, Severity.ERROR, f"ROUTINEC_TODAY={self.today_text!r} is not a date",
                None, "use YYYY-MM-DD, e.g. ROUTINEC_TODAY=2026-11-30, or unset it",
            )]) from None


def env() -> Env:
    """The environment as it is now (read afresh: tests and callers may change it)."""
    return Env.read()


def root_note(config: Config, start: Path | None = None) -> str | None:
    """Why this directory is the project root, when that may surprise: no pyproject.toml was
    found (so the start directory is used), or a parent's pyproject.toml without
    [tool.routinec] was adopted. None when the root is unsurprising."""
    here = (start or Path.cwd()).resolve()
    if not (config.root / "pyproject.toml").is_file():
        return (f"no pyproject.toml in {here} or any parent directory, so {config.root} is the project root; "
                "add a pyproject.toml with [tool.routinec] there (or run 'routinec init'), or pass --project")
    if config.root != here and not config.configured:
        return (f"using {config.root} as the project root: its pyproject.toml is the nearest above {here} "
                "but has no [tool.routinec] table; add one to adopt it, or pass --project")
    return None


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above `start` holding pyproject.toml, else `start`."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return here


def _bad(root: Path, message: str, hint: str | None = None) -> DiagnosticError:
    return DiagnosticError(
        [Diagnostic(Code.CONFIG, Severity.ERROR, message, Span(str(root / "pyproject.toml")), hint)]
    )


def _relative_dir(root: Path, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(root, f"[tool.routinec] {key} must be a non-empty string")
    resolved = (root / value).resolve()
    if resolved != root and root not in resolved.parents:
        raise _bad(
            root,
            f"[tool.routinec] {key} = {value!r} leaves the project root",
            "use a path inside the directory that holds pyproject.toml",
        )
    return Path(value).as_posix()


def load_config(root: Path | None = None) -> Config:
    root = find_root(root) if root is None else root.resolve()
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Config(root=root)
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _bad(root, f"pyproject.toml does not parse: {exc}") from None
    section = data.get("tool", {}).get("routinec", {})
    if not isinstance(section, dict):
        raise _bad(root, "[tool.routinec] must be a table")
    unknown = sorted(set(section) - _KNOWN)
    if unknown:
        raise _bad(
            root,
            f"unknown [tool.routinec] setting {unknown[0]!r}",
            f"known settings: {', '.join(sorted(_KNOWN))}",
        )
    redact = section.get("redact", [])
    if not isinstance(redact, list) or not all(isinstance(p, str) and p for p in redact):
        raise _bad(root, "[tool.routinec] redact must be a list of regular expressions")
    for pattern in redact:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _bad(root, f"[tool.routinec] redact pattern {pattern!r}: {exc}") from None
    ignore = _ignore_setting(root, section.get("ignore", []))
    content, ledger_file, ledger_url = _ledger_settings(root, section.get("ledger", {}))
    return Config(
        root=root,
        specs_dir=_relative_dir(root, "specs", section.get("specs", "specs")),
        golden_dir=_relative_dir(root, "golden", section.get("golden", "golden")),
        lockfile=_relative_dir(root, "lockfile", section.get("lockfile", "routines.lock")),
        client=_client_path(root, section.get("client", "routinec_client.py")),
        install=_install_source(root, section.get("install")),
        redact=tuple(redact),
        ignore=ignore,
        configured="routinec" in data.get("tool", {}),
        ledger_content=content,
        ledger_file=ledger_file,
        ledger_url=ledger_url,
    )


def _client_path(root: Path, value: object) -> str:
    path = _relative_dir(root, "client", value)
    name = Path(path).name
    if not name.endswith(".py") or not name[:-3].isidentifier():
        raise _bad(
            root, f"[tool.routinec] client = {value!r} is not a Python module path",
            'use a path ending in an importable module name, e.g. "src/app/routines.py"',
        )
    return path


def _install_source(root: Path, value: object) -> str | None:
    if value is None:
        return None
    hint = 'e.g. install = "git+https://github.com/acme/routinec@v0.1.0" or "dist/routinec-0.1.0-py3-none-any.whl"'
    if not isinstance(value, str) or not value.strip():
        raise _bad(root, "[tool.routinec] install must be a non-empty string: a git URL or a wheel routinec installs from", hint)
    if any(ord(c) < 32 for c in value) or "${{" in value:
        raise _bad(root, f"[tool.routinec] install = {value!r} cannot go into a workflow (a control character or '${{{{')",
                   hint)
    return value.strip()


def _ignore_setting(root: Path, value: object) -> tuple[str, ...]:
    import difflib

    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise _bad(root, "[tool.routinec] ignore must be a list of diagnostic codes", 'e.g. ignore = ["unused-input"]')
    known = {c.value for c in Code}
    for code in value:
        if code not in known:
            close = difflib.get_close_matches(code, sorted(known), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "the codes are listed in docs/diagnostics.md"
            raise _bad(root, f"[tool.routinec] ignore: '{code}' is not a diagnostic code", hint)
    return tuple(sorted(set(value)))


def _ledger_settings(root: Path, section: object) -> tuple[str, str, str | None]:
    if not isinstance(section, dict):
        raise _bad(root, "[tool.routinec.ledger] must be a table")
    unknown = sorted(set(section) - _LEDGER_KNOWN)
    if unknown:
        raise _bad(
            root, f"unknown [tool.routinec.ledger] setting {unknown[0]!r}",
            f"known settings: {', '.join(sorted(_LEDGER_KNOWN))}",
        )
    content = section.get("content", "redacted")
    if content not in LEDGER_CONTENT:
        raise _bad(
            root, f"[tool.routinec.ledger] content = {content!r} is not allowed",
            "use \"redacted\" (inputs and outputs kept, secrets redacted) or \"digests\" (hashes only)",
        )
    url = section.get("url")
    if url is not None:
        if not isinstance(url, str) or not url.strip():
            raise _bad(root, "[tool.routinec.ledger] url must be a non-empty string")
        url = url.strip()
        problem = check_ledger_url(url)
        if problem is not None:
            raise _bad(root, f"[tool.routinec.ledger] url {problem}", _URL_HINT)
    return content, _relative_dir(root, "ledger.path", section.get("path", ".routinec/ledger.db")), url


# The ledger's database URL (routinec.ledger.store opens it): SQLite file or PostgreSQL server.
LEDGER_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
_URL_HINT = "use sqlite:///PATH (relative to the project) or postgresql://USER@HOST:PORT/DATABASE"


def display_url(url: str) -> str:
    """`url` fit to print: a password becomes `***` (user, host, port and database stay)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, tail = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    # libpq also takes password=… as a query parameter.
    tail = re.sub(r"(?i)(password=)[^&]*", r"\1***", tail)
    return f"{scheme}://{netloc}{slash}{tail}"


def check_ledger_url(url: str) -> str | None:
    """What is wrong with a ledger URL (a phrase after the URL), or None."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in LEDGER_SCHEMES:
        return f"{display_url(url)!r} is not a ledger URL"
    if scheme.lower() == "sqlite" and (not rest.startswith("/") or rest == "/"):
        return f"{display_url(url)!r} names no file"
    return None


def ledger_url_from_env(value: str) -> str:
    """ROUTINEC_LEDGER_URL, checked like the pyproject setting (a bad one is a config error)."""
    problem = check_ledger_url(value)
    if problem is not None:
        raise DiagnosticError([Diagnostic(Code.CONFIG, Severity.ERROR, f"ROUTINEC_LEDGER_URL {problem}", None, _URL_HINT)])
    return value


def discover_specs(config: Config, extra: Iterable[Path] = ()) -> list[str]:
    """Project-relative paths of every .routine file under the specs dir, plus `extra`."""
    found: set[str] = set()
    root = config.root
    if config.specs_path.is_dir():
        for path in config.specs_path.rglob("*.routine"):
            if path.is_file():
                found.add(path.resolve().relative_to(root).as_posix())
    for path in extra:
        resolved = path.resolve()
        if resolved.is_dir():
            found.update(p.resolve().relative_to(root).as_posix() for p in resolved.rglob("*.routine") if p.is_file() and root in p.resolve().parents)
        elif root in resolved.parents:
            found.add(resolved.relative_to(root).as_posix())
    return sorted(found)
