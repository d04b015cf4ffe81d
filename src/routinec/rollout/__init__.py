"""Rollout layer (pure): the channel model, sticky bucketing and canary guards.

In: channel JSON from `routines.lock`, bucketing keys, guard specs (`rejected<=+5%`) and
outcome counts. Out: typed `Channels`, the channel a key lands in, a guard's verdict. No IO,
no database, no compiler: the lockfile reads channels through this, the runtime resolves
with it, `routinec rollout` and the report evaluate guards with it. docs/rollout.md.
"""

from __future__ import annotations

from routinec.rollout.bucket import bucket, in_canary
from routinec.rollout.channels import Canary, ChannelError, Channels, Guard
from routinec.rollout.guard import METRICS, Counts, Verdict, evaluate, parse_guard

__all__ = [
    "METRICS",
    "Canary",
    "ChannelError",
    "Channels",
    "Counts",
    "Guard",
    "Verdict",
    "bucket",
    "evaluate",
    "in_canary",
    "parse_guard",
]
