"""``score``: points from 0 to ``max_points`` towards a scoring criterion."""

from __future__ import annotations

from forms.fields.base import load_criterion
from forms.fields.integer import IntegerType
from forms.fields.registry import register
from forms.shapes import CRITERION_REF, NON_NEGATIVE_INTEGER, POSITIVE_INTEGER


@register
class ScoreType(IntegerType):
    """Whole points from 0 to ``max_points`` for the criterion ``criterion`` of scoring.criteria.

    An optional ``floor`` is the item's minimum for the title ("no indicator below 5"); it does not
    limit what may be entered, only whether the result passes.
    """

    name = "score"
    order = 100
    scored = True
    in_summary = False  # the dossier page shows points in its score table
    keys = {"max_points": POSITIVE_INTEGER, "criterion": CRITERION_REF, "floor": NON_NEGATIVE_INTEGER}
    required_keys = ("max_points", "criterion")

    def value_schema(self):
        return {"type": "integer", "minimum": 0}

    def attributes(self, item, ctx):
        # The 0..max_points range is implied, and reported as min/max like an integer's bounds.
        max_points = item.get("max_points")
        floor = item.get("floor")
        if floor is not None and max_points is not None and floor > max_points:
            ctx.error("floor", f"floor ({floor}) lớn hơn max_points ({max_points}).")
        return {
            "max_points": max_points,
            "min": 0,
            "max": max_points,
            "criterion": load_criterion(item, ctx),
            "floor": floor,
        }
