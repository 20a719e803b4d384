"""Serializer registry shared by procedure specs and workflow instances."""

import datetime as dt
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
