"""Each chart's text alternative: its numbers as a table next to the canvas."""

from __future__ import annotations

import re

from drift_retrain.reports.page import Charts, chart_numbers

CONFIG = {
    "data": {
        "labels": ["this batch", ["holdout", "n = 200"]],
        "datasets": [
            {"label": "error rate", "data": [39.72, 3.98]},
            {"label": "95% interval", "data": [[38.37, 41.08], [3.41, 4.63]]},
            {"label": "points", "data": [{"x": 0, "y": 5.5}, None]},
        ],
    }
}


def test_the_numbers_table_has_a_row_per_label_and_a_column_per_dataset():
    html = chart_numbers(CONFIG, "chart-0", "concept", percent=True)
    rows = re.findall(r'<div role="row">(.*?)</div>', html)
    assert len(rows) == 3  # header and two labels
    cells = [re.findall(r'<span role="(?:cell|rowheader)">(.*?)</span>', row) for row in rows[1:]]
    assert cells[0] == ["this batch", "39.7%", "38.4% to 41.1%", "5.5%"]
    assert cells[1] == ["holdout · n = 200", "3.98%", "3.41% to 4.63%", "-"]
    assert 'id="chart-0-data"' in html and "<summary>numbers</summary>" in html


def test_every_canvas_points_at_its_numbers():
    charts = Charts()
    html = charts.canvas(CONFIG, width=10, height=10, label="c", percent_axis="y")
    assert 'aria-describedby="chart-0-data"' in html and 'id="chart-0-data"' in html
    assert "<tr" not in html  # a chart inside a table row adds no rows to that table
