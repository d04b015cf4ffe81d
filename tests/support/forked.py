"""Run `python -m routinec ARGS` as a real process, started by fork from a warm interpreter.

The suite starts the CLI ~1,500 times. A fresh interpreter spends most of a short command
importing (click, jsonschema, Jinja; the anthropic SDK, ~1-2 s, for every `record`; SQLAlchemy
for every ledger command) before the command does anything, and on a 2-core machine that was
most of the suite's time. So each pytest worker starts one *zygote* (as Android starts apps,
and as Instagram's uWSGI workers are forked from a warm master): a `python` started with the
same interpreter and the same start-up variables as `run_cli` gives the CLI, which imports
routinec's command modules and the libraries they load, then forks one child per run.

Each child is an ordinary process of its own: its own pid, cwd, environment, argv, stdin,
stdout and stderr (files the caller passed over a Unix socket), its own exit (the
interpreter's normal shutdown: atexit handlers, buffered output flushed, a traceback and
exit code 1 for an uncaught exception) and its own exit status, a signal number included.
It runs `routinec.__main__` through `runpy` exactly as `python -m routinec` does, so
`sys.argv[0]`, the program name in usage lines and `sys.path[0]` (the cwd) are the same.
What it shares with its siblings is what the interpreter decided at start-up; so a zygote is
started per set of start-up variables (the locale, PYTHONUTF8 …; `TZ` is reset on the fly),
and a run that sets any other `PYTHON*` variable (PYTHONHASHSEED, PYTHONPATH, import-time
profiling) is started the ordinary way instead, as is every run when
`ROUTINEC_TEST_EXEC=1` (the whole suite then runs exactly as before, just slower), and on a
platform without `os.pidfd_open` (Linux only). Hash randomisation is per zygote, not per run: the determinism tests
set `PYTHONHASHSEED` and so always get fresh processes. `tests/cli/test_forked_runs.py`
compares forked and ordinary runs byte for byte.

Protocol, one connection per run: the caller sends one JSON line (argv, cwd, env) with three
file descriptors (stdin, stdout, stderr) attached; the zygote forks the CLI process and
writes its pid as one line, then, when the process's pidfd turns readable, reaps it and
writes its exit status. One thread, no signal handlers; it exits when the worker that
started it closes its stdin.
"""

from __future__ import annotations

import contextlib
import json
import locale
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Completed", "Process", "run", "run_text", "start"]

# Read once when an interpreter starts. Runs are forked only where the start-up variables are
# these (any values: a zygote is started per set of values) and no others: PYTHONHASHSEED,
# PYTHONPATH, PYTHONPROFILEIMPORTTIME and the rest get a fresh interpreter, as a test that
# sets one wants.
_AT_START = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE")
_FORKABLE_START = frozenset({
    *_AT_START, "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "PYTHONUNBUFFERED", "PYTHONUTF8",
})
# What a zygote imports before it forks: the CLI and its command modules, and the libraries
# they load on the way. Not the language server, not opentelemetry (routinec looks for an
# application's own tracer in sys.modules) and nothing only a test uses.
_PRELOAD = (
    "routinec.cli",
    *(f"routinec.cli.{name}" for name in (
        "attest", "compat", "compile", "gen", "ledger", "report", "rollout", "run", "runtime", "show")),
    *(f"routinec.commands.{name}" for name in (
        "attest", "compat", "gates", "init", "ledger", "project", "report", "rollout", "run", "runs",
        "show")),
    "routinec.compiler.build",
    "routinec.runtime.core",
    "routinec.runtime.golden",
    "routinec.runtime.record",
    "routinec.runtime.report",
    "routinec.runtime.suite",
    "routinec.ledger.api",
    "routinec.ledger.invoker",
    "routinec.ledger.spool",
    "routinec.ledger.store",
    "routinec.runtime.audit",
    "routinec.runtime.provider",
    "routinec.health.figures",
    "routinec.provenance.build",
    "routinec.provenance.verify",
    "routinec.client.python",
    "routinec.client.workflows",
    # libraries imported on the way by ledger, record and migration runs
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "psycopg",
    "alembic.command",
    "alembic.config",
    "alembic.migration",
    "encodings.idna",
    "encodings.unicode_escape",
    "jsonschema",
    "jinja2.sandbox",
    "anthropic",
    "httpcore2",
    "h11",
    "anyio",
    "xml.etree.ElementTree",
)
_MAX_ZYGOTES = 2  # per pytest worker: one per distinct start-up environment


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: bytes
    stderr: bytes
    forked: bool  # False: started the ordinary way


def _startup_env(env: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith("PYTHON") or k in _AT_START))


# --- the caller's side ---------------------------------------------------------------

_lock = threading.Lock()
_zygotes: dict[tuple[tuple[str, str], ...], tuple[subprocess.Popen[bytes], str]] = {}


def _zygote(env: dict[str, str]) -> str | None:
    """The socket of a running zygote for runs with this environment, started if need be;
    None where runs with it must start the ordinary way."""
    key = _startup_env(env)
    if (not hasattr(os, "pidfd_open") or os.environ.get("ROUTINEC_TEST_EXEC") == "1"
            or any(name not in _FORKABLE_START for name, _ in key)):
        return None
    with _lock:
        known = _zygotes.get(key)
        if known is not None and known[0].poll() is None:
            return known[1]
        if known is None and len(_zygotes) >= _MAX_ZYGOTES:
            return None
        path = os.path.join(tempfile.mkdtemp(prefix="routinec-zygote-"), "socket")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.forked", path],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None
        ready = proc.stdout.readline()  # the zygote says so once it listens
        if ready != b"ready\n":
            raise RuntimeError(f"the test zygote did not start: {ready!r}")
        _zygotes[key] = (proc, path)
        return path


class Process:
    """A forked CLI process, with the part of `subprocess.Popen`'s interface the tests use:
    `pid`, `returncode`, `poll()`, `wait(timeout)`, `send_signal()`, `kill()`."""

    def __init__(self, path: str, args: list[str], cwd: Path, env: dict[str, str], fds: list[int]) -> None:
        self.args = [sys.executable, "-m", "routinec", *args]
        self.returncode: int | None = None
        self._buffer = b""
        self._conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._conn.connect(path)
        request = json.dumps({"args": args, "cwd": str(cwd), "env": env}).encode() + b"\n"
        socket.send_fds(self._conn, [request], fds)
        self.pid = int(self._line(None))

    def _line(self, timeout: float | None) -> bytes:
        self._conn.settimeout(timeout)
        while b"\n" not in self._buffer:
            got = self._conn.recv(64)  # a timeout raises before anything is taken
            if not got:
                raise RuntimeError(f"the test zygote hung up: {self._buffer!r}")
            self._buffer += got
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            try:
                self.returncode = int(self._line(timeout))
            except (TimeoutError, BlockingIOError):  # BlockingIOError: timeout 0, nothing there
                raise subprocess.TimeoutExpired(self.args, timeout or 0) from None
            self._conn.close()
        return self.returncode

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def start(
    args: list[str], *, cwd: Path, env: dict[str, str], stdin: int | None = None,
    stdout: int | None = None, stderr: int | None = None,
) -> Process | subprocess.Popen[bytes]:
    """Start `python -m routinec ARGS`, forked where it can be (else a `subprocess.Popen`).
    stdin/stdout/stderr: file descriptors, or None for this process's own (as Popen)."""
    path = _zygote(env)
    if path is None:
        return subprocess.Popen([sys.executable, "-m", "routinec", *args], cwd=cwd, env=env,
                                stdin=stdin, stdout=stdout, stderr=stderr)
    fds = [n if fd is None else fd for n, fd in enumerate((stdin, stdout, stderr))]
    return Process(path, args, cwd, env, fds)


def run(
    args: list[str], *, cwd: Path, env: dict[str, str], timeout: float, module: str = "routinec",
    stdin: int = 0, fork: bool = True,
) -> Completed:
    """`python -m MODULE ARGS` in `cwd` with exactly `env`, reading file descriptor `stdin`
    (this process's own by default, as subprocess.run passes it on); output captured as bytes.
    Raises `subprocess.TimeoutExpired` as `subprocess.run` does. `fork=False`: always the
    ordinary way."""
    path = _zygote(env) if module == "routinec" and fork else None
    if path is None:
        done = subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=env, stdin=stdin,
                              capture_output=True, timeout=timeout, check=False)
        return Completed(done.returncode, done.stdout, done.stderr, forked=False)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = Process(path, args, cwd, env, [stdin, out.fileno(), err.fileno()])
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            out.seek(0)
            err.seek(0)
            raise subprocess.TimeoutExpired(proc.args, timeout, out.read(), err.read()) from None
        out.seek(0)
        err.seek(0)
        assert proc.returncode is not None
        return Completed(proc.returncode, out.read(), err.read(), forked=True)


def run_text(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """`run`, reported as `subprocess.run(..., capture_output=True, text=True)` reports it:
    output decoded with the locale's encoding, newlines universal."""
    done = run(args, cwd=cwd, env=env, timeout=timeout)
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "routinec", *args], done.returncode, _text(done.stdout), _text(done.stderr)
    )


def _text(data: bytes) -> str:
    return data.decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")


# --- the zygote ------------------------------------------------------------------------

Request = tuple[dict[str, object], list[int]]


def _serve(path: str) -> Request | None:
    """Preload, listen, and fork a CLI process per connection; report each one's pid at once
    and its exit status (negative for a signal, as subprocess reports it) when a pidfd says it
    ended. Returns only in a forked CLI process (its request), or None once the worker that
    started the zygote is gone."""
    import atexit
    import gc
    import importlib

    atexit.register(_leave)  # first registered, so it runs after every other exit handler
    for name in _PRELOAD:
        with contextlib.suppress(ImportError):  # an optional extra not installed: loaded per run
            importlib.import_module(name)
    assert threading.active_count() == 1, "a preloaded module started a thread"
    gc.collect()
    gc.freeze()  # the children share these pages instead of copying them on their first GC
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    watch = selectors.DefaultSelector()
    watch.register(listener, selectors.EVENT_READ)
    watch.register(sys.stdin.fileno(), selectors.EVENT_READ)
    running: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, its caller)
    while True:
        for key, _ in watch.select():
            if key.fileobj is listener:
                conn, _ = listener.accept()
                message, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
                while not message.endswith(b"\n"):
                    message += conn.recv(1 << 20)
                pid = os.fork()
                if pid == 0:
                    watch.close()
                    listener.close()
                    conn.close()
                    for pidfd, (_pid, caller) in running.items():
                        os.close(pidfd)
                        caller.close()
                    return json.loads(message), fds
                for fd in fds:
                    os.close(fd)
                conn.sendall(f"{pid}\n".encode())
                pidfd = os.pidfd_open(pid)
                running[pidfd] = (pid, conn)
                watch.register(pidfd, selectors.EVENT_READ)
            elif key.fd in running:  # a CLI process ended
                pid, conn = running.pop(key.fd)
                watch.unregister(key.fd)
                os.close(key.fd)
                _, status = os.waitpid(pid, 0)
                with conn, contextlib.suppress(OSError):  # OSError: the caller is gone
                    conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
            else:  # the worker closed our stdin: it is gone
                return None


def _become(request: dict[str, object], fds: list[int]) -> None:
    """In the forked CLI process: become `python -m routinec ARGS` and run it. Whatever it
    raises (SystemExit included) reaches the interpreter's own top level, as in `python -m`."""
    import runpy
    import time

    for target, fd in enumerate(fds):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    env = request["env"]
    assert isinstance(env, dict)
    tz_before = os.environ.get("TZ")
    os.environ.clear()
    os.environ.update(env)
    if os.environ.get("TZ") != tz_before:
        time.tzset()
    os.chdir(str(request["cwd"]))
    sys.path[0] = os.getcwd()  # as `python -m` puts it there
    args = request["args"]
    assert isinstance(args, list)
    sys.argv = ["-m", *args]  # runpy puts the module's file in argv[0], as `-m` does
    global _exit_code
    try:
        runpy.run_module("routinec", run_name="__main__", alter_sys=True)
        _exit_code = 0
    except SystemExit as exc:
        code = exc.code
        _exit_code = code if isinstance(code, int) else 0 if code is None else 1
        raise
    except KeyboardInterrupt:
        raise  # the interpreter's own shutdown re-raises it as a SIGINT exit status
    except BaseException:
        _exit_code = 1  # the traceback is printed at the top level, before exit handlers
        raise


# The exit status of the CLI process, known once the command has finished; None elsewhere.
_exit_code: int | None = None


def _leave() -> None:
    """The CLI process's last exit handler: flush stdout and stderr, and leave without
    tearing down every module the zygote preloaded (~150 ms a run, and the command's own
    objects are done by now: its exit handlers, weakref finalizers and thread joins have
    run, as in any interpreter's shutdown). What this skips is only the deallocation of
    objects still alive at exit."""
    if _exit_code is None:
        return
    code = _exit_code
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = 120  # what the interpreter exits with when it cannot flush
    os._exit(code & 0xFF)


if __name__ == "__main__":
    served = _serve(sys.argv[1])
    if served is not None:
        _become(*served)
    else:  # the zygote itself, leaving: its socket's folder goes with it
        os.unlink(sys.argv[1])
        os.rmdir(os.path.dirname(sys.argv[1]))
