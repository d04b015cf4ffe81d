"""Run records written before schema version 4 (a spooled file has no channel or
route_reason) still read; the new fields round-trip."""

from __future__ import annotations

import pytest

from routinec.ledger.model import RunRecord
from tests.support.ledger_records import make_run


def test_an_older_spooled_record_reads_without_the_rollout_fields() -> None:
    row = make_run().to_row()
    del row["channel"], row["route_reason"]
    record = RunRecord.from_row(row)
    assert (record.channel, record.route_reason) == (None, None)
    del row["routine"]
    with pytest.raises(KeyError, match="routine"):  # a field without a default is still required
        RunRecord.from_row(row)


def test_the_rollout_fields_round_trip() -> None:
    import dataclasses

    record = dataclasses.replace(make_run(), channel="canary", route_reason="SPLIT")
    assert RunRecord.from_row(record.to_row()) == record
