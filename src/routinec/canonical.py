"""Bottom layer: canonical JSON text and sha256 digests over it.

In: plain JSON-like values (dict, list, str, int, Decimal, bool, None). Out: bytes and
"sha256:<hex>" strings that do not depend on dict order, float formatting or PYTHONHASHSEED.
Numbers are `Decimal`, never `float`: a float printed back can come out as `1e+16`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import json.encoder
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_write",
    "canonical_bytes",
    "decimal_text",
    "digest",
    "digest_bytes",
    "dumps_pretty",
    "integer_literal",
    "json_number",
    "loads",
    "plain_json",
    "plain_text",
    "pretty_member",
    "source_digest",
    "sweep_stale_temps",
    "to_decimal",
]


def decimal_text(value: Decimal) -> str:
    """Print a Decimal as a plain JSON number: no exponent, no trailing zeros (`0.50` → `0.5`)."""
    if not value.is_finite():
        raise ValueError(f"non-finite number {value} has no JSON form")
    if value == value.to_integral_value():
        return str(int(value))
    text = format(value.normalize(), "f")
    return text


def json_number(value: Decimal) -> int | Decimal:
    """The one rule from a number (a DSL literal, or a lock value) to its JSON value.

    Integral values are integers (`5.0` locks and is sent as `5`, as JSON Schema 2020-12 reads
    it); others stay exact Decimals. The lock's bytes already print numbers this way
    (`decimal_text`), so validating, hashing, writing and sending all see the same value.
    Where the DSL wants an integer, the checker also asks for one written as such
    (`integer_literal`): `n: int = 2.0` is an error with a hint, not a silent 2.
    """
    if value == value.to_integral_value():
        return int(value)
    return value


def plain_json(value: Any) -> Any:
    """`json_number` applied to every number inside a JSON-like value (lists and dicts copied)."""
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    return value


def integer_literal(value: Decimal) -> bool:
    """True for a number written without a decimal point (`2`, `1e3`); `2.0` is not one."""
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= 0


def plain_text(message: str) -> str:
    """A message for users with Python's `Decimal('2.5')` reprs shown as the number `2.5`
    (jsonschema formats the instance with repr)."""
    return _DECIMAL_REPR.sub(r"\1", message)


_DECIMAL_REPR = re.compile(r"Decimal\('(-?[0-9.Ee+-]+)'\)")


def to_decimal(value: float | int | str | Decimal) -> Decimal:
    """Turn a number into a Decimal via its shortest repr (never through binary float digits)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


# The C string encoder (non-ASCII kept as UTF-8); json.dumps per string built an encoder each time.
_quote: Any = json.encoder.encode_basestring
# json's C encoder, called directly: json.dumps built a JSONEncoder and its C encoder per call,
# which cost more than the encoding for the many small values a lock digests.
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)


_LITERAL = {None: "null", True: "true", False: "false"}


def _encode(value: Any, out: list[str], pad: str, step: str, colon: str) -> None:
    """Append `value`'s canonical JSON to `out`. `pad` is the newline and indentation of the
    line `value` is on (`""` for compact text), `step` one level of indentation, `colon` the
    key separator. Strings, ints and literals inside a container are written inline, and
    exact types are tested before isinstance: a call and a chain of tests per value were most
    of the time of `dumps_pretty` on a lock."""
    kind = value.__class__
    if kind is dict:
        _encode_object(value, out, pad, step, colon)
    elif kind is list:
        _encode_array(value, out, pad, step, colon)
    elif kind is str:
        out.append(_quote(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    elif isinstance(value, float):
        out.append(decimal_text(to_decimal(value)))
    elif isinstance(value, dict):
        _encode_object(value, out, pad, step, colon)
    elif isinstance(value, list | tuple):
        _encode_array(value, out, pad, step, colon)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _encode_object(value: dict[Any, Any], out: list[str], pad: str, step: str, colon: str) -> None:
    if not value:
        out.append("{}")
        return
    keys = sorted(value)
    try:
        "".join(keys)  # every key a string (one C loop, not an isinstance per key)
    except TypeError:
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {type(key).__name__}") from None
        raise
    inner = pad + step
    sep = "{" + inner
    between = "," + inner
    for key in keys:
        item = value[key]
        kind = item.__class__
        if kind is str:
            out.append(sep + _quote(key) + colon + _quote(item))
        elif kind is int:
            out.append(sep + _quote(key) + colon + str(item))
        elif kind is dict:
            out.append(sep + _quote(key) + colon)
            _encode_object(item, out, inner, step, colon)
        elif kind is bool or item is None:
            out.append(sep + _quote(key) + colon + _LITERAL[item])
        else:
            out.append(sep + _quote(key) + colon)
            _encode(item, out, inner, step, colon)
        sep = between
    out.append(pad + "}")


def _encode_array(value: list[Any] | tuple[Any, ...], out: list[str], pad: str, step: str, colon: str) -> None:
    if not value:
        out.append("[]")
        return
    inner = pad + step
    sep = "[" + inner
    between = "," + inner
    for item in value:
        kind = item.__class__
        if kind is str:
            out.append(sep + _quote(item))
        elif kind is dict:
            out.append(sep)
            _encode_object(item, out, inner, step, colon)
        else:
            out.append(sep)
            _encode(item, out, inner, step, colon)
        sep = between
    out.append(pad + "]")


_MARK = "\x00routinec-decimal:"
_MARKED = re.compile(r'"\\u0000routinec-decimal:(-?[0-9.]+)"')
_MARK_JSON = '"\\u0000routinec-decimal:'  # how the C encoder writes a marked string's start


def _c_dumps(value: Any) -> str | None:
    """Compact JSON through the C encoder with sorted keys; Decimals pass through `default`
    as marked strings and are spliced back as plain numbers (`0.50` → `0.5`), so no float
    ever formats a number. None when the data itself contains the marker (the count differs)
    or is not JSON: the pure encoder then decides."""
    marked = 0

    def mark(item: Any) -> str:
        nonlocal marked
        if isinstance(item, Decimal):
            marked += 1
            return _MARK + decimal_text(item)
        raise TypeError(f"cannot encode {type(item).__name__} as JSON")

    try:
        if _c_make_encoder is None:  # an interpreter without json's C accelerator
            text = json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=mark,
            )
        else:
            # No markers dict: a cycle is a RecursionError here, as in `_encode`.
            encoder = _c_make_encoder(None, mark, _quote, None, ":", ",", True, False, False)
            text = "".join(encoder(value, 0))
    except (TypeError, ValueError):
        return None
    if marked:
        parts = text.split(_MARK_JSON)
        if len(parts) == marked + 1:
            # Every occurrence is a mark: its number, then the closing quote to drop.
            return parts[0] + "".join([part.replace('"', "", 1) for part in parts[1:]])
        text, replaced = _MARKED.subn(r"\1", text)
        if replaced != marked:
            return None
    elif "routinec-decimal:" in text:
        return None
    return text


def canonical_bytes(value: Any) -> bytes:
    """Compact canonical JSON (sorted keys, no spaces, UTF-8): the input of every hash."""
    text = _c_dumps(value)
    if text is None:
        out: list[str] = []
        _encode(value, out, "", "", ":")
        text = "".join(out)
    return text.encode("utf-8")


def dumps_pretty(value: Any) -> str:
    """Readable canonical JSON: sorted keys, 2-space indent, trailing newline.

    Not json.dumps(indent=2): before Python 3.13 an indent selects json's pure-Python
    encoder, which measured 3x slower than `_encode` on a 1,000-routine lock."""
    out: list[str] = []
    _encode(value, out, "\n", "  ", ": ")
    out.append("\n")
    return "".join(out)


def pretty_member(key: str, value: Any, level: int) -> str:
    """`"key": value` as `dumps_pretty` writes it inside an object at depth `level` (the text
    between that object's padding and its comma), so a caller can splice members it kept."""
    out = [_quote(key), ": "]
    _encode(value, out, "\n" + "  " * level, "  ", ": ")
    return "".join(out)


def digest_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def source_digest(data: bytes) -> str:
    """Digest of a source file's text with CRLF read as LF, so a Windows checkout
    (git autocrlf) of the same commit is the same source everywhere."""
    return digest_bytes(data.replace(b"\r\n", b"\n"))


def digest(value: Any) -> str:
    """sha256 over the canonical JSON form of `value`."""
    return digest_bytes(canonical_bytes(value))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant)


def loads(text: str | bytes) -> Any:
    """Parse JSON with every non-integer number as Decimal (ints stay int)."""
    if isinstance(text, str) and not text.startswith("\ufeff"):
        # One decoder for every call (json.loads with options builds one per call).
        return _DECODER.decode(text)
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)


# Temp files of atomic writes: `.<name>.rc<pid>-<random>.tmp` beside their target. A SIGKILL
# runs no cleanup, so a killed writer can leave one; the next write into the same directory
# removes those whose writer (the pid in the name) is gone. A live writer's file is never
# touched, so concurrent runs do not delete each other's. (Known limit: a leftover whose pid
# was reused by a live process stays until that process ends; pids are per host.)
_TEMP_NAME = re.compile(r"^\..+\.rc([0-9]+)-[^.]*\.tmp$")
_swept: set[str] = set()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, owned by someone else
        return True
    return True


def sweep_stale_temps(directory: Path) -> list[Path]:
    """Remove temp files that killed writers left in `directory`; return what was removed."""
    removed: list[Path] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = _TEMP_NAME.match(name)
        if match is None or _pid_alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(directory / name)
            removed.append(directory / name)
    return removed


def atomic_write(path: Path, data: bytes) -> bool:
    """Write `data` to `path` via a temp file and os.replace; skip when the bytes are equal.

    Returns True when the file changed. A crash or error leaves the old file as it was; a
    temp file left by a SIGKILL is removed by the next write into the same directory.
    """
    key = str(path.parent)
    if key not in _swept:  # once per directory and process: a lock run writes many files
        _swept.add(key)
        sweep_stale_temps(path.parent)
    try:
        if path.read_bytes() == data:
            return False
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.rc{os.getpid()}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True
