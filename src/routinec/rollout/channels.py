"""Rollout layer: a routine's channels as a typed model (the lock's `rollout.NAME.channels`).

`stable` always names a version; `canary`, when there is one, names another version with its
weight (0-100), salt, bucketing key (`input.FIELD`, or null: the caller's `key=`) and guard.
`from_json` checks every field and raises `ChannelError` naming the first bad one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["METRICS", "Canary", "ChannelError", "Channels", "Guard"]

JsonObject = dict[str, Any]
# What a guard can watch (rollout.guard defines each rate).
METRICS = ("rejected", "modified", "invalid-output", "error")


class ChannelError(ValueError):
    """What is wrong with a channels object, starting with the field's dotted path."""


def _int(data: JsonObject, key: str, where: str) -> int:
    value = data.get(key)
    if type(value) is not int:
        raise ChannelError(f"{where}.{key} must be an integer")
    return value


def _obj(value: Any, where: str) -> JsonObject:
    if not isinstance(value, dict):
        raise ChannelError(f"{where} must be an object")
    return value


@dataclass(frozen=True, slots=True)
class Guard:
    """Abort the canary when its `metric` rate exceeds stable's by more than `max_diff`
    percentage points, once the canary has `min_outcomes` observations."""

    metric: str  # one of guard.METRICS
    max_diff: Decimal  # percentage points
    min_outcomes: int

    def text(self) -> str:
        return f"{self.metric}<=+{self.max_diff}%"

    @classmethod
    def from_json(cls, value: Any, where: str) -> Guard:
        data = _obj(value, where)
        metric = data.get("metric")
        if metric not in METRICS:
            raise ChannelError(f"{where}.metric must be one of {', '.join(METRICS)}")
        diff = data.get("max_diff")
        if isinstance(diff, bool) or not isinstance(diff, int | Decimal) or diff < 0 or diff > 100:
            raise ChannelError(f"{where}.max_diff must be a number of percentage points from 0 to 100")
        least = _int(data, "min_outcomes", where)
        if least < 1:
            raise ChannelError(f"{where}.min_outcomes must be at least 1")
        return cls(str(metric), Decimal(diff), least)

    def to_json(self) -> JsonObject:
        diff = self.max_diff
        return {"metric": self.metric, "max_diff": int(diff) if diff == diff.to_integral_value() else diff,
                "min_outcomes": self.min_outcomes}


@dataclass(frozen=True, slots=True)
class Canary:
    version: int
    weight: int  # 0..100: the share of keys sent to the canary
    salt: str
    key: str | None  # "input.FIELD", or None: the caller's key= (else a request id)
    guard: Guard | None

    @property
    def key_field(self) -> str | None:
        return self.key[len("input."):] if self.key is not None else None

    @classmethod
    def from_json(cls, value: Any, where: str) -> Canary:
        data = _obj(value, where)
        weight = _int(data, "weight", where)
        if not 0 <= weight <= 100:
            raise ChannelError(f"{where}.weight must be from 0 to 100, found {weight}")
        salt = data.get("salt")
        if not isinstance(salt, str) or not salt:
            raise ChannelError(f"{where}.salt must be a non-empty string")
        key = data.get("key")
        if key is not None and (not isinstance(key, str) or not key.startswith("input.") or key == "input."):
            raise ChannelError(f"{where}.key must be null or 'input.FIELD'")
        guard = data.get("guard")
        return cls(_int(data, "version", where), weight, salt, key,
                   None if guard is None else Guard.from_json(guard, f"{where}.guard"))

    def to_json(self) -> JsonObject:
        return {"version": self.version, "weight": self.weight, "salt": self.salt, "key": self.key,
                "guard": None if self.guard is None else self.guard.to_json()}


@dataclass(frozen=True, slots=True)
class Channels:
    stable: int
    canary: Canary | None = None

    @classmethod
    def from_json(cls, value: Any, where: str = "channels") -> Channels:
        data = _obj(value, where)
        unknown = sorted(set(data) - {"stable", "canary"})
        if unknown:
            raise ChannelError(f"{where} has an unknown channel {unknown[0]!r} (channels: stable, canary)")
        canary = data.get("canary")
        return cls(_int(data, "stable", where), None if canary is None else Canary.from_json(canary, f"{where}.canary"))

    def to_json(self) -> JsonObject:
        return {"stable": self.stable, "canary": None if self.canary is None else self.canary.to_json()}

    def versions(self) -> list[int]:
        """The versions the channels point at (stable first)."""
        out = [self.stable]
        if self.canary is not None and self.canary.version != self.stable:
            out.append(self.canary.version)
        return out
