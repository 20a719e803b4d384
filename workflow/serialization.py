"""Serializer registry shared by procedure specs and workflow instances."""

import base64
import datetime as dt
import zlib
from decimal import Decimal

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

# The registry must match the parser family: CamundaParser builds camunda UserTask/BusinessRuleTask specs.
SERIALIZER_VERSION = "1.5"


def make_registry(config=None):
    registry = BpmnWorkflowSerializer.configure(dict(config or CAMUNDA_CONFIG))
    # Form submissions may carry dates and decimals; without these serialize_json raises TypeError.
    registry.register(
        dt.date, lambda v: {"value": v.isoformat()}, lambda d: dt.date.fromisoformat(d["value"])
    )
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    return registry


# A finished instance's state is kept compressed: the JSON deflated, then base85 so the column stays
# text on every database. A stored state starting with this prefix is compact; plain JSON starts with "{".
# The prefix names the encoding, so a later one can sit next to it; ``serializer_version`` still names
# the SpiffWorkflow format of the JSON inside.
COMPACT_PREFIX = "z85:"


def compact_state(state: str) -> str:
    """The same state, deflated (about a fifth of the JSON); a compact state is returned unchanged."""
    if state.startswith(COMPACT_PREFIX):
        return state
    return COMPACT_PREFIX + base64.b85encode(zlib.compress(state.encode("utf-8"), 9)).decode("ascii")


def expand_state(state: str) -> str:
    """The JSON of a stored state, compact or not."""
    if not state.startswith(COMPACT_PREFIX):
        return state
    return zlib.decompress(base64.b85decode(state[len(COMPACT_PREFIX) :])).decode("utf-8")


def is_compact(state: str) -> bool:
    return state.startswith(COMPACT_PREFIX)
