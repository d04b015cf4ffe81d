"""Compat layer: schema sources for the CLI: JSON Schema files and pydantic models.

In: a reference, `path/to/schema.json`, `package.module:Model` or `path/to/file.py:Model`.
Out: (JSON Schema, label). Output schemas use serialization mode with every defaulted field
required (it is always emitted); input schemas use validation mode.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, Literal

from routinec.compat.errors import SchemaError
from routinec.compat.load import check_schema, load_file

__all__ = ["load_source", "model_schema"]


def load_source(ref: str, direction: str = "out", root: Path | None = None) -> Any:
    """Load a schema file, or a pydantic model's JSON Schema for `direction` (out|in)."""
    path = Path(ref)
    if path.is_file():
        return load_file(path, root)
    module_ref, sep, attr = ref.rpartition(":")
    if not sep or not attr.isidentifier() or not module_ref:
        raise SchemaError(f"{ref}: no such file", "give a JSON Schema file or module:Model")
    model = _import_model(module_ref, attr, root or Path.cwd())
    schema = model_schema(model, direction, ref)
    check_schema(schema, ref)
    return schema


def _import_model(module_ref: str, attr: str, root: Path) -> Any:
    if module_ref.endswith(".py"):
        file = Path(module_ref)
        if not file.is_absolute():
            file = root / file
        if not file.is_file():
            raise SchemaError(f"{module_ref}: no such file", "check the path before ':'")
        name = "_routinec_compat_" + "_".join(file.with_suffix("").parts[-3:]).replace("-", "_")
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise SchemaError(f"{module_ref}: cannot import", "is it a Python file?")
        module: Any = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loader = spec.loader

        def action() -> Any:
            loader.exec_module(module)
            return None
    else:
        module = None

        def action() -> Any:
            return importlib.import_module(module_ref)

    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        loaded = action()
        module = module if loaded is None else loaded
    except ModuleNotFoundError as exc:
        raise SchemaError(
            f"{module_ref}: module not found ({exc.name})",
            "run from the project root, or give path/to/file.py:Model",
        ) from None
    except Exception as exc:  # the user's module failed while importing
        raise SchemaError(
            f"{module_ref}: import failed: {type(exc).__name__}: {exc}",
            "fix the module so that it imports cleanly",
        ) from None
    finally:
        if added:
            sys.path.remove(str(root))
    model = getattr(module, attr, None)
    if model is None:
        raise SchemaError(f"{module_ref}: has no attribute {attr!r}", "check the model name")
    return model


def model_schema(model: Any, direction: str, label: str = "model") -> Any:
    from pydantic import BaseModel, TypeAdapter
    from pydantic.json_schema import GenerateJsonSchema

    class _DefaultsRequired(GenerateJsonSchema):
        # json_schema_serialization_defaults_required=True for every nested model too
        def field_is_required(self, field: Any, total: bool) -> bool:
            if self.mode == "serialization":
                return field.get("serialization_exclude_if") is None
            return super().field_is_required(field, total)

    mode: Literal["serialization", "validation"] = (
        "serialization" if direction == "out" else "validation"
    )
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_json_schema(mode=mode, schema_generator=_DefaultsRequired)
        return TypeAdapter(model).json_schema(mode=mode, schema_generator=_DefaultsRequired)
    except Exception as exc:
        raise SchemaError(
            f"{label}: cannot produce a JSON Schema: {exc}", "is it a pydantic model or type?"
        ) from None
