"""Spec strategies for the fuzz driver: the grammar's own (`SPECS`, `_mutated`) plus SEMANTIC,
routines that parse and reach the checker with random types, constraints, defaults and
numbers (huge, tiny, many zeros, wrong kinds), and mutations of those."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.compiler.test_grammar_properties import SPECS, _mutated

__all__ = ["ALL_SPECS", "SEMANTIC"]

_NUMBERS = st.sampled_from(
    ["0", "1", "-1", "1.5", "0.5", "2", "100", "1" + "0" * 100, "18446744073709551617", "1e400",
     "1e-400", "0." + "0" * 60 + "1", "9" * 40, "-0", "1e3", "2.0", "271", "1023", "-5.25", "65536"]
) | st.integers(-(10**6), 10**6).map(str)
_STRINGS = st.sampled_from(['"low"', '""', '"a+"', '"(a+)+b"', '"["', '"^[a-z]{1,3}$"', '"x{99999}"', '"\\\\d"'])
_CONSTRAINTS = ["min_length", "max_length", "pattern", "minimum", "maximum", "min_items", "max_items", "exclusive_minimum", "multiple_of"]
_FITTING = {
    "string": ["min_length", "max_length", "pattern"],
    "int": ["minimum", "maximum"],
    "number": ["minimum", "maximum"],
    "list": ["min_items", "max_items"],
}
_NAMES = st.sampled_from(["a", "b", "model12", "summary", "risk", "x_1", "items", "t"])


@st.composite
def _type(draw: st.DrawFn, types: list[str], depth: int = 0) -> str:
    choices = ["string", "int", "number", "bool", "enum", *types] + (["list"] if depth < 3 else [])
    kind = draw(st.sampled_from(choices))
    if kind == "enum":
        return " | ".join(draw(st.lists(st.sampled_from(['"low"', '"high"', '"a"', '""', '"é"']), min_size=1, max_size=4)))
    if kind == "list":
        return f"list[{draw(_type(types, depth + 1))}]"
    return kind


@st.composite
def _value(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["num", "str", "bool", "list", "obj"] if depth < 3 else ["num", "str", "bool"]))
    if kind == "num":
        return draw(_NUMBERS)
    if kind == "str":
        return draw(_STRINGS)
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "list":
        return "[" + ", ".join(draw(st.lists(_value(depth + 1), max_size=3))) + "]"
    pairs = draw(st.lists(st.tuples(_NAMES, _value(depth + 1)), max_size=3))
    return "{ " + ", ".join(f"{k}: {v}" for k, v in pairs) + " }"


@st.composite
def _field(draw: st.DrawFn, types: list[str]) -> str:
    name = draw(_NAMES)
    type_ = draw(_type(types))
    text = f"{name}{'?' if draw(st.booleans()) and draw(st.booleans()) else ''}: {type_}"
    # Mostly constraints that fit the type (so cases get past `check` into `lock`), sometimes any.
    fitting = _FITTING.get(type_.split("[")[0], [])
    pool = _CONSTRAINTS if not fitting or draw(st.integers(0, 4)) == 0 else fitting
    constraints = draw(st.lists(st.sampled_from(pool), max_size=2, unique=True))
    if constraints:
        parts = [f"{c} {draw(_STRINGS if c == 'pattern' and draw(st.integers(0, 3)) else _NUMBERS)}" for c in constraints]
        text += f" ({', '.join(parts)})"
    if draw(st.integers(0, 5)) == 0:
        text += f" = {draw(_value())}"
    return text


def _field_name(text: str) -> str:
    return text.split(":")[0].rstrip("?")


@st.composite
def _semantic(draw: st.DrawFn) -> str:
    types = [f"T{i}" for i in range(draw(st.integers(0, 2)))]
    # Named types only refer to earlier ones, mostly: a required self-reference is an error.
    out = []
    for name in types:
        fields = draw(st.lists(_field(types), min_size=1, max_size=4, unique_by=_field_name))
        out.append(f"type {name} {{\n  " + "\n  ".join(fields) + "\n}\n")
    inputs = draw(st.lists(_field(types), min_size=1, max_size=4, unique_by=_field_name))
    outputs = draw(st.lists(_field(types), min_size=1, max_size=4, unique_by=_field_name))
    model = draw(st.sampled_from(["claude-haiku-4-5", "claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-7", "claude-sonnet-4-5", "claude-nope"]))
    settings = [f"max_tokens {draw(st.sampled_from(['1024', '1024', '1024', '64000', '0', '1' + '0' * 30, '1.5']))}"]
    for param in draw(st.lists(st.sampled_from(["temperature", "top_p", "top_k", "thinking", "effort", "stop"]), max_size=3, unique=True)):
        if param == "effort":
            settings.append(f"effort {draw(st.sampled_from(['low', 'high', 'max', 'xhigh']))}")
        elif param == "stop":
            settings.append(f"stop [{draw(_STRINGS)}]")
        else:
            settings.append(f"{param} {draw(_NUMBERS)}")
    names = [f.split(":")[0].rstrip("?") for f in inputs]
    prompt = " ".join(f"{{{{ {n} }}}}" for n in names)
    tests = ""
    if draw(st.booleans()):
        values = ", ".join(f"{n}: {draw(_value())}" for n in names)
        tests = f"  test c {{\n    input {{ {values} }}\n  }}\n"
    consumer = ""
    if draw(st.booleans()):
        expects = draw(st.lists(_field(types), min_size=1, max_size=3))
        consumer = "consumer reader {\n  expects {\n    " + "\n    ".join(expects) + "\n  }\n}\n"
    out.append(
        f"routine r{draw(st.integers(0, 2))} v{draw(st.integers(1, 3))} {{\n  model \"{model}\"\n  "
        + "\n  ".join(settings)
        + f'\n  prompt """{prompt}"""\n  input {{\n    ' + "\n    ".join(inputs)
        + "\n  }\n  output {\n    " + "\n    ".join(outputs) + "\n  }\n"
        + ("  consumers [reader]\n" if consumer else "") + tests + "}\n" + consumer
    )
    return "\n".join(out)


@st.composite
def _mutate(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    text = draw(base)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        insert = draw(st.sampled_from(["", '"', "{", "}", "[", "]", "(", ")", "#", "\n", "-", "e9", "0" * 50, "x" * 2000, "?", "|", ","]))
        cut = draw(st.integers(0, 4))
        text = text[:at] + insert + text[at + cut :]
    return text


SEMANTIC = _semantic()
ALL_SPECS = st.one_of(
    SPECS.map(lambda t: ("grammar", t)),
    _mutated().map(lambda t: ("grammar-mutated", t)),
    SEMANTIC.map(lambda t: ("semantic", t)),
    _mutate(SEMANTIC).map(lambda t: ("semantic-mutated", t)),
)
