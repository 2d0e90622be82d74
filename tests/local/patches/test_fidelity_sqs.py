"""The queue's event source mappings are still where `fidelity.sqs` detaches them."""

from __future__ import annotations

from moto.sqs.models import Queue


def test_event_source_mappings_are_where_detaching_expects() -> None:
    assert "lambda_event_source_mappings" in Queue.__init__.__code__.co_names
