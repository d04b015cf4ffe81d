"""Fixtures for ledger tests: the runtime tests' locked project and loopback Messages API."""

from __future__ import annotations

from tests.runtime.conftest import fake_api, project

__all__ = ["fake_api", "project"]
