"""The JavaScript the HTML reports inline is the pinned Chart.js, unmodified but for its source-map line,
and nothing in the assets points outside the page."""

from __future__ import annotations

import hashlib
import json
import re

from support.paths import LAYER

from drift_retrain.reports.page import CHART_JS_VERSION

ASSETS = LAYER / "drift_retrain" / "reports" / "assets"


def test_vendored_chart_js_is_the_recorded_pinned_file():
    record = json.loads((ASSETS / "vendor.json").read_text())["chart.js"]
    bundle = (ASSETS / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(bundle).hexdigest() == record["sha256"]
    assert record["version"] == CHART_JS_VERSION
    assert bundle.startswith(f"/*!\n * Chart.js v{CHART_JS_VERSION}\n".encode())
    assert b"sourceMappingURL" not in bundle
    assert (ASSETS / "chart.js.LICENSE.md").read_text().startswith("The MIT License")


def test_our_script_and_style_load_nothing():
    for name in ("report.js", "report.css"):
        text = (ASSETS / name).read_text()
        assert not re.search(r"https?://|url\(|@import|fetch\(|XMLHttpRequest|import\(", text), name
