"""Bottom layer: a faster pickle for frozen, slotted dataclasses (ASTs and lock entries cross
the compiler's fork as pickles).

Python pickles a `slots=True` dataclass through `_dataclass_getstate`/`_dataclass_setstate`,
which look up the fields on every object; a 1,000-routine lock spent ~0.3 s there. With
`by_constructor` a node pickles as `(cls, field values)` and unpickles through its own
`__init__`, so it is rebuilt exactly as it was made.
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import Any, TypeVar

__all__ = ["by_constructor"]

C = TypeVar("C", bound=type)


def by_constructor(cls: C) -> C:
    """Class decorator (apply above `@dataclass`): pickle as the constructor call."""
    spec = fields(cls)
    if any(not f.init for f in spec):
        raise TypeError(f"{cls.__name__}: every field must be an __init__ argument")
    names = tuple(f.name for f in spec)
    get = attrgetter(*names)

    if len(names) == 1:
        def __reduce__(self: Any) -> tuple[Any, tuple[Any, ...]]:
            return (cls, (get(self),))
    else:
        def __reduce__(self: Any) -> tuple[Any, tuple[Any, ...]]:
            return (cls, get(self))

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls
