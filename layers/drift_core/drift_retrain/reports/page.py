"""One self-contained HTML page: our CSS, the chart data as JSON, Chart.js and our script, all inline.

No ``src=``/``href=`` to anything outside the page, no font or image by URL: a report opens in an
air-gapped account, from an S3 pre-signed URL or a downloaded file, and makes no network request.
Charts are Chart.js configurations built in Python (:class:`Charts`) and drawn by ``assets/report.js``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from drift_retrain import strict_json
from drift_retrain.reports.formatting import fmt_num

__all__ = ["CHART_JS_VERSION", "Charts", "chart_numbers", "esc", "json_for_script", "render_page", "table"]

ASSETS = "assets"
#: Belt and braces: even a bug in a chart could not fetch anything (navigating a link is still allowed).
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
CHART_JS_VERSION = "4.6.1"


def esc(value: Any) -> str:
    """Text for HTML (``None`` as a dash)."""
    return "-" if value is None else escape(str(value), quote=True)


@cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(ASSETS, name).read_text(encoding="utf-8")


#: Characters that mean something to the HTML parser inside ``<script>`` (``<``: ``</script``, ``<!--``;
#: ``>``: ``-->``; ``&``: entities) or end a line in older JavaScript (U+2028, U+2029), written as JSON
#: ``\u`` escapes: the text then holds none of them, and ``JSON.parse`` gives back the same strings.
_SCRIPT_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}


def json_for_script(data: Any) -> str:
    """JSON safe inside a ``<script>`` element by construction, whatever strings ``data`` holds."""
    return strict_json.dumps(data, indent=None, compact=True).translate(_SCRIPT_ESCAPES)


class Charts:
    """Collects the page's charts: each call returns the ``<canvas>`` to place and records its config."""

    def __init__(self, prefix: str = "chart") -> None:
        self.prefix = prefix
        self.specs: list[dict[str, Any]] = []

    def canvas(
        self,
        config: dict[str, Any],
        *,
        width: int,
        height: int,
        label: str,
        links: list[str | None] | None = None,
        dataset_links: Mapping[int, list[str | None]] | None = None,
        percent_axis: str | None = None,
    ) -> str:
        """A canvas for ``config`` (a Chart.js configuration); ``links`` per point make points clickable,
        ``dataset_links`` (dataset index -> links per point) send one dataset's points elsewhere,
        ``percent_axis`` names the axis whose ticks get a "%"."""
        chart_id = f"{self.prefix}-{len(self.specs)}"
        spec: dict[str, Any] = {"id": chart_id, "config": config}
        if links is not None:
            spec["links"] = links
        if dataset_links:
            spec["datasetLinks"] = {str(index): list(hrefs) for index, hrefs in dataset_links.items()}
        if percent_axis is not None:
            spec["percent"] = percent_axis
        self.specs.append(spec)
        return (
            f'<figure class="chart-box"><canvas id="{chart_id}" class="chart" width="{width}" '
            f'height="{height}" role="img" aria-label="{esc(label)}" aria-describedby="{chart_id}-data">'
            f"</canvas>{chart_numbers(config, chart_id, label, percent=percent_axis == 'y')}</figure>"
        )


def _cell(value: Any, percent: bool) -> str:
    """One plotted value in words: a number (with % on a percent axis), an interval, or a dash."""
    if isinstance(value, Mapping):
        value = value.get("y")
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return f"{_cell(value[0], percent)} to {_cell(value[1], percent)}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-" if value is None else str(value)
    return fmt_num(value) + ("%" if percent else "")


def _at(dataset: Mapping[str, Any], index: int) -> Any:
    values = dataset.get("data") or []
    return values[index] if index < len(values) else None


def chart_numbers(config: Mapping[str, Any], chart_id: str, label: str, *, percent: bool) -> str:
    """The chart's numbers as a table (its text alternative), in a collapsed ``details``: one row per
    label, one column per dataset. ARIA roles on ``div`` s, so a chart inside a table row adds no ``tr``."""
    data = config.get("data") or {}
    labels = list(data.get("labels") or [])
    datasets = [d for d in data.get("datasets") or [] if isinstance(d, Mapping)]
    rows = max([len(labels), *(len(d.get("data") or []) for d in datasets)], default=0)
    head = "".join(f'<span role="columnheader">{esc(d.get("label") or "")}</span>' for d in datasets)
    body = []
    for i in range(rows):
        name = labels[i] if i < len(labels) else str(i + 1)
        name = " · ".join(map(str, name)) if isinstance(name, (list, tuple)) else name
        values = "".join(f'<span role="cell">{esc(_cell(_at(d, i), percent))}</span>' for d in datasets)
        body.append(f'<div role="row"><span role="rowheader">{esc(name)}</span>{values}</div>')
    columns = len(datasets) + 1
    return (
        f'<details class="chart-data" id="{chart_id}-data"><summary>numbers</summary>'
        f'<div role="table" aria-label="{esc(label)}: numbers" style="grid-template-columns: repeat({columns}, auto)">'
        f'<div role="row"><span role="columnheader"></span>{head}</div>{"".join(body)}</div></details>'
    )


def table(
    headers: list[str | tuple[str, str]], rows: list[str], *, sortable: bool = True, table_id: str = ""
) -> str:
    """A table; each header is a label or ``(label, css class)``; ``rows`` are ``<tr>`` strings."""
    cells = []
    for header in headers:
        label, css = (header, "") if isinstance(header, str) else header
        cells.append(f'<th scope="col"{f" class={chr(34)}{css}{chr(34)}" if css else ""}>{esc(label)}</th>')
    ident = f' id="{esc(table_id)}"' if table_id else ""
    css_class = ' class="sortable"' if sortable else ""
    return (
        f'<div class="scroll"><table{ident}{css_class}><thead><tr>{"".join(cells)}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def render_page(title: str, body: str, charts: Charts | None = None) -> str:
    """The whole document. Chart.js is inlined only when the page has charts."""
    specs = charts.specs if charts is not None else []
    scripts = (
        f'<script type="application/json" id="report-data">{json_for_script({"charts": specs})}</script>'
    )
    if specs:
        scripts += f"<script>{_asset('chart.umd.min.js')}</script>"
    scripts += f"<script>{_asset('report.js')}</script>"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_asset('report.css')}</style></head>"
        f"<body><main>{body}</main>{scripts}</body></html>\n"
    )
