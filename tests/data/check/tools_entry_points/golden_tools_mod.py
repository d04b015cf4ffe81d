from typing import Literal

raise RuntimeError("check must never import a tool module")


def search(query: str, limit: int = 5) -> list[str]:
    return []


def untyped(query):
    return query


def label(name: Literal["bug", "duplicate"]) -> str:
    return name


def preview(name: str, dry: bool) -> str:
    return name
