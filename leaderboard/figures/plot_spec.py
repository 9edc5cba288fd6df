"""Plotly figures as plain JSON-ready dicts: what plotly.js draws, without plotly.py's objects.

Why not ``plotly.graph_objects``: a ``go.Figure`` re-validates and deep-copies every trace as
it is added, and again when serialised; at leaderboard scale (hundreds of points with hover
text) that was most of a cold Charts view, even with ``_validate=False``. These figures are
built by our own code from typed, escaped values, so the app ships them as JSON (Gradio's
``PlotData``, which ``gr.Plot`` passes to plotly.js as is) and the tests check every one
against plotly's full schema through :meth:`PlotSpec.to_plotly` instead.

Serialisation goes through ``plotly.io.json.to_json_plotly``, plotly's own encoder for plain data:
NaN becomes null and ``<``, ``>`` and ``/`` are written as ``\\u003c`` escapes, exactly as
``go.Figure.to_json`` would write them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import plotly.io as pio
from gradio.components.plot import PlotData
from plotly.io.json import to_json_plotly

if TYPE_CHECKING:
    import plotly.graph_objects as go

# A named template would be resolved by plotly.py only; plotly.js needs the template itself.
# Taken once, as plain JSON.
WHITE_TEMPLATE: dict[str, Any] = pio.templates["plotly_white"].to_plotly_json()


def _merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    """Deep-merge ``update`` into ``target``: nested dicts merge, anything else replaces.

    A nested dict is merged into a copy, never in place: it may be shared (every figure holds
    the one :data:`WHITE_TEMPLATE`; a caller may hold the dict it passed earlier).
    """
    for key, value in update.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            _merge(merged, value)
            target[key] = merged
        else:
            target[key] = value


@dataclass
class PlotSpec:
    """A plotly figure as ``{"data": [...], "layout": {...}}``, with the few builders we use.

    Property names are plotly's, nested as dicts (``title={"text": ...}``, not plotly.py's
    ``title_text`` shorthand).
    """

    data: list[dict[str, Any]] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=lambda: {"template": WHITE_TEMPLATE})

    def add_trace(self, trace_type: str, **properties: Any) -> None:
        """Append a trace; properties given as None are left unset (plotly's default)."""
        trace = {key: value for key, value in properties.items() if value is not None}
        self.data.append({"type": trace_type, **trace})

    def update_layout(self, **properties: Any) -> None:
        _merge(self.layout, properties)

    def update_xaxes(self, **properties: Any) -> None:
        _merge(self.layout.setdefault("xaxis", {}), properties)

    def update_yaxes(self, **properties: Any) -> None:
        _merge(self.layout.setdefault("yaxis", {}), properties)

    def add_annotation(self, **properties: Any) -> None:
        self.layout.setdefault("annotations", []).append(properties)

    def add_hline(self, y: float, **line: Any) -> None:
        """A horizontal line across the whole plot width at ``y`` (plotly.py's ``add_hline``)."""
        self.layout.setdefault("shapes", []).append(
            {
                "type": "line",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": y,
                "y1": y,
                "line": line,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data, "layout": self.layout}

    def to_json(self) -> str:
        return to_json_plotly(self.to_dict())

    def plot_data(self) -> PlotData:
        """What a ``gr.Plot`` output takes as is (no further conversion on the server)."""
        return PlotData(type="plotly", plot=self.to_json())

    def to_plotly(self) -> go.Figure:
        """The same figure as a fully validated ``go.Figure``: raises ValueError on any
        property plotly does not know. For tests and notebooks, never on the serving path."""
        import plotly.graph_objects as go

        return go.Figure(self.to_dict())
