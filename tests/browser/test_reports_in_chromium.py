"""Each kind of report opened in a real Chromium: no console error, no network request, charts drawn,
tables sort on click. A full-page screenshot of each goes to ``out/browser/``: a drift report with drift
(``drift-batch-02-...``, ``drift-batch-03-...``), without (``drift-batch-01-stable``), a quarantined batch
(``drift-batch-04-malformed``), an evaluation (``evaluation``), a first deployment's evaluation
(``evaluation-bootstrap``) and the timeline (``timeline``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.paths import ROOT

from drift_retrain.reports import render_drift_html

#: The data bucket the site's evaluation reports name (conftest.BUCKET, the local stack's).
BUCKET = "drift-retrain-local-databucket"
#: Screenshots land here (gitignored) for a person to look at.
SCREENSHOTS = ROOT / "out" / "browser"

CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('canvas.chart')).map(c => {
    const box = c.getBoundingClientRect();
    const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let inked = 0;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { inked++; } }
    return {drawn: Boolean(c.chart), width: box.width, height: box.height, inked};
})"""


def _open(browser, path: Path, shot: str | None):
    """Open ``path``; returns the page, its console errors and every request beyond the file itself."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
    others = [url for url in requests if url != path.as_uri()]
    return page, errors, others


def _assert_charts(page, at_least: int) -> None:
    charts = page.evaluate(CHARTS_DRAWN)
    assert len(charts) >= at_least, charts
    for chart in charts:
        assert chart["drawn"] and chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["inked"] > 100, chart  # something was painted, not an empty canvas


def _column(page, table: str, attribute: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr", f"rows => rows.map(r => r.getAttribute('{attribute}'))"
    )


def _drift_page(site: Path, stem: str) -> Path:
    [path] = (site / "reports" / "drift").glob(f"{stem}*.html")
    return path


@pytest.mark.parametrize("stem", ["batch-02-covariate-shift-unlabelled", "batch-03-concept-change"])
def test_drift_report(browser, site, stem):
    page, errors, requests = _open(browser, _drift_page(site, stem), f"drift-{stem}")
    assert errors == [] and requests == []
    features = page.locator("#features tbody tr").count()
    _assert_charts(page, at_least=features)
    names = _column(page, "features", "data-feature")
    page.click("#features th:has-text('feature')")
    assert _column(page, "features", "data-feature") == sorted(names, key=str.lower)
    page.click("#features th:has-text('feature')")
    assert _column(page, "features", "data-feature") == sorted(names, key=str.lower, reverse=True)
    assert page.get_attribute("#features th:has-text('feature')", "aria-sort") == "descending"
    page.close()


def test_a_no_drift_report(browser, site):
    page, errors, requests = _open(browser, _drift_page(site, "batch-01-stable"), "drift-batch-01-stable")
    assert errors == [] and requests == []
    assert page.locator("#verdict").inner_text().startswith("No drift")
    _assert_charts(page, at_least=page.locator("#features tbody tr").count())
    page.close()


def test_a_quarantined_report_names_the_copy_the_record_and_the_fix(browser, site):
    from drift_retrain.layout import quarantine_keys

    path = _drift_page(site, "batch-04-malformed")
    page, errors, requests = _open(browser, path, "drift-batch-04-malformed")
    assert errors == [] and requests == []
    assert page.locator("#verdict").inner_text().startswith("Invalid batch: quarantined")
    panel = page.locator("#quarantine").inner_text()
    for key in quarantine_keys("incoming/batch-04-malformed.csv"):
        assert key in panel
    assert "upload it again" in panel
    page.close()


def test_a_bootstrap_evaluation_has_no_champion_and_one_candidate(browser, site):
    path = site / "reports" / "evaluation" / "bootstrap-1.html"
    page, errors, requests = _open(browser, path, "evaluation-bootstrap")
    assert errors == [] and requests == []
    _assert_charts(page, at_least=1)
    text = page.locator("body").inner_text()
    assert "No champion yet" in text and "Candidates (no champion yet)" in text
    assert "best of 1 candidate:" in text and "1 candidates" not in text
    page.close()


def test_a_new_category_and_the_misclassified_rows_are_visible(browser, site):
    page, errors, _ = _open(browser, _drift_page(site, "batch-02-covariate-shift-unlabelled"), None)
    assert page.locator(".tag.new").first.is_visible()
    page.close()
    page, errors, _ = _open(browser, _drift_page(site, "batch-03-concept-change"), None)
    assert errors == []
    assert page.locator("#misclassified tbody tr").count() == 20
    assert page.locator("#verdict").inner_text().startswith("Retrain")
    page.close()


def test_evaluation_report(browser, site):
    page, errors, requests = _open(browser, site / "reports" / "evaluation" / "run-1.html", "evaluation")
    assert errors == [] and requests == []
    _assert_charts(page, at_least=1)
    assert page.locator(".confusion").count() == 3
    header = "#candidates th:has-text('error rate')"
    page.click(header)
    first = page.locator("#candidates tbody tr").first.inner_text()
    page.click(header)
    assert page.locator("#candidates tbody tr").first.inner_text() != first
    assert "champion" in page.locator("#candidates tbody tr").first.inner_text()
    page.close()


def test_timeline(browser, site):
    page, errors, requests = _open(browser, site / "timeline.html", "timeline")
    assert errors == [] and requests == []
    _assert_charts(page, at_least=1)
    page.click("#batches th:has-text('serving error')")
    page.click("#batches th:has-text('serving error')")
    assert page.locator("#batches tbody tr").first.get_attribute("data-outcome") == "promoted"
    page.click("#batches tbody tr:first-child a:has-text('drift report')")
    page.wait_for_load_state("load")
    assert page.url.endswith(".html") and "/reports/drift/" in page.url
    assert page.locator("#verdict").is_visible()
    page.close()


def test_a_retrain_alert_and_its_evaluation_link_each_other(browser, site):
    page, errors, requests = _open(browser, _drift_page(site, "batch-03-concept-change"), None)
    assert errors == [] and requests == []
    page.click("#retrain a")
    page.wait_for_load_state("load")
    assert page.url.endswith("/reports/evaluation/run-1.html")
    assert page.locator("#training-files").is_visible()
    page.click("#trigger a")
    page.wait_for_load_state("load")
    assert "/reports/drift/batch-03-concept-change" in page.url
    assert page.locator("#verdict").inner_text().startswith("Retrain")
    page.close()


#: Where the promotion's star is drawn, in page coordinates (the star dataset is the one styled "star").
STAR = """() => {
    const chart = document.querySelector('canvas.chart').chart;
    const index = chart.data.datasets.findIndex(d => d.pointStyle === 'star');
    const point = chart.getDatasetMeta(index).data.find((p, i) => chart.data.datasets[index].data[i] !== null);
    const box = chart.canvas.getBoundingClientRect();
    return {x: box.left + point.x, y: box.top + point.y};
}"""


def test_a_promotion_star_on_the_timeline_opens_its_evaluation(browser, site):
    page, errors, _ = _open(browser, site / "timeline.html", None)
    assert errors == []
    star = page.evaluate(STAR)
    with page.expect_navigation():
        page.mouse.click(star["x"], star["y"])
    assert page.url.endswith("/reports/evaluation/run-1.html")
    page.close()


#: A category that would end the data's script element and open an HTML comment if written raw.
HOSTILE = "</script><!--"


def test_a_category_that_closes_the_script_element_still_draws_and_sorts(browser, site, tmp_path):
    source = json.loads((site / "reports" / "drift" / "batch-02-covariate-shift-unlabelled.json").read_text())
    report = json.loads(json.dumps(source).replace('"central"', json.dumps(HOSTILE)))
    path = tmp_path / "hostile.html"
    path.write_text(render_drift_html(report), encoding="utf-8")
    page, errors, requests = _open(browser, path, None)
    assert errors == [] and requests == []
    data = page.evaluate("() => JSON.parse(document.getElementById('report-data').textContent)")
    assert HOSTILE in json.dumps(data)
    _assert_charts(page, at_least=page.locator("#features tbody tr").count())
    names = _column(page, "features", "data-feature")
    page.click("#features th:has-text('feature')")
    assert _column(page, "features", "data-feature") == sorted(names, key=str.lower)


MINI_CHART_TICKS = """() => Array.from(document.querySelectorAll('#features canvas.chart')).map(c => ({
    labels: c.chart.data.labels.length,
    shown: c.chart.scales.x.ticks.length,
    y: c.chart.scales.y.ticks.map(t => t.label),
}))"""


def test_drift_report_legends_axes_and_effect_labels(browser, site):
    page, errors, _ = _open(browser, _drift_page(site, "batch-03-concept-change"), None)
    assert errors == []
    for chart in page.evaluate(MINI_CHART_TICKS):
        assert chart["shown"] == chart["labels"], chart  # every bin and every category keeps its label
        assert all(label.endswith("%") for label in chart["y"]), chart
    legend = page.locator("#concept-legend").inner_text()
    assert "concept drift detected" in legend and "holdout" in legend and "decision threshold" in legend
    effects = page.eval_on_selector_all("#features tbody tr", "rows => rows.map(r => r.cells[5].innerText)")
    assert all(text.split()[0] in ("PSI", "Cohen's", "KS", "too") for text in effects), effects
    assert "PSI" not in page.locator("#features thead").inner_text()
    page.close()


TIMELINE_CHART = """() => {
    const chart = document.querySelector('canvas.chart').chart;
    const title = chart.options.plugins.tooltip.callbacks.title([{chart: chart, dataIndex: 0}]);
    const item = {raw: 4.8, formattedValue: '4.8', dataset: chart.data.datasets[0]};
    return {
        serving: chart.data.datasets[0].data,
        spanGaps: chart.data.datasets[0].spanGaps,
        events: chart.data.datasets[3].data,
        legendPointStyle: chart.options.plugins.legend.labels.usePointStyle,
        title: title,
        label: chart.options.plugins.tooltip.callbacks.label(item),
        yTicks: chart.scales.y.ticks.map(t => t.label),
    };
}"""


def test_timeline_breaks_the_line_marks_events_and_says_not_tested(browser, site):
    page, errors, _ = _open(browser, site / "timeline.html", None)
    assert errors == []
    chart = page.evaluate(TIMELINE_CHART)
    outcomes = _column(page, "batches", "data-outcome")
    assert chart["spanGaps"] is False and None in chart["serving"]  # the unlabelled batch breaks the line
    assert [v is not None for v in chart["events"]] == [o != "no_drift" for o in outcomes]
    assert chart["legendPointStyle"] is True
    assert " · " in chart["title"] and "," not in chart["title"]
    assert chart["label"].endswith("4.8%") and all(t.endswith("%") for t in chart["yTicks"])
    alert = page.locator("#batches tbody tr[data-outcome='drift_alert']").first
    assert "not tested" in alert.inner_text() and "drift alert" in alert.inner_text()
    assert "drift_alert" not in page.locator("#batches tbody").inner_text()
    page.close()


def test_evaluation_page_reads_in_percentages_with_intervals(browser, site):
    page, errors, _ = _open(browser, site / "reports" / "evaluation" / "run-1.html", None)
    assert errors == []
    text = page.locator("body").inner_text()
    assert "95% interval" in text and "relative" not in text and "0.035" not in text
    labels = page.evaluate("() => document.querySelector('canvas.chart').chart.data.labels")
    assert all(label.endswith("%") for label in labels), labels
    page.close()


def test_a_hostile_category_neither_breaks_the_page_nor_its_sorting(browser, site, tmp_path):
    import json

    from drift_retrain.reports import render_drift_html

    source = next((site / "reports" / "drift").glob("batch-02-covariate-shift-unlabelled*.json"))
    report = json.loads(source.read_text())
    hostile = "</script><!--"
    region = next(f for f in report["features"] if f["name"] == "region")
    region["batch"]["top"] = {hostile: 0.5, **region["batch"]["top"]}
    path = tmp_path / "hostile.html"
    path.write_text(render_drift_html(report))
    page, errors, requests = _open(browser, path, None)
    assert errors == [] and requests == []
    names = _column(page, "features", "data-feature")
    page.click("#features th:has-text('feature')")
    assert _column(page, "features", "data-feature") == sorted(names, key=str.lower)
    labels = page.evaluate(
        "() => Array.from(document.querySelectorAll('#features canvas.chart')).flatMap(c => c.chart.data.labels)"
    )
    assert hostile in labels
    page.close()


def test_where_the_error_moved_is_a_bounded_ranked_table_that_sorts(browser, site):
    page, errors, _ = _open(browser, _drift_page(site, "batch-03-concept-change"), None)
    assert errors == []
    rows = page.locator("#segments tbody tr")
    assert 0 < rows.count() <= 10
    assert "error rose" in rows.first.inner_text()
    legend = page.locator("h2:has-text('Where the error moved') + p.legend").inner_text()
    assert "holm-corrected" in legend and "Wilson" in legend
    shares = page.eval_on_selector_all(
        "#segments tbody tr", "rows => rows.map(r => Number(r.cells[6].dataset.v))"
    )
    assert shares == sorted(shares, reverse=True)  # the page opens ranked by the share of the rise
    page.click("#segments th:has-text('segment')")
    labels = page.eval_on_selector_all("#segments tbody tr", "rows => rows.map(r => r.cells[0].dataset.v)")
    assert labels == sorted(labels, key=str.lower)
    page.close()
    page, errors, _ = _open(browser, _drift_page(site, "batch-02-covariate-shift-unlabelled"), None)
    assert "Not analysed: the batch has no labelled rows." in page.locator("#segments").inner_text()
    page.close()


FEATURE_TABLE_FIT = """() => {
    const box = document.querySelector('#features').parentElement;
    const right = box.getBoundingClientRect().right;
    const stats = Array.from(document.querySelectorAll('#features .stats'));
    return {
        overflow: box.scrollWidth - box.clientWidth,
        stats: stats.length,
        outside: stats.filter(s => s.getBoundingClientRect().right > right + 1).length,
        cells: stats.map(s => s.querySelectorAll('[role=cell]').length),
    };
}"""


def test_summary_statistics_sit_beside_every_chart_inside_the_table(browser, site):
    page, errors, _ = _open(browser, _drift_page(site, "batch-02-covariate-shift-unlabelled"), None)
    assert errors == []
    fit = page.evaluate(FEATURE_TABLE_FIT)
    assert fit["stats"] == page.locator("#features > tbody > tr").count()
    assert fit["overflow"] == 0 and fit["outside"] == 0, fit  # readable at 1,300 px, no sideways scrolling
    assert all(cells >= 12 for cells in fit["cells"]), fit  # six statistics, baseline and batch
    region = page.locator("#features tr[data-feature=region] .stats").inner_text()
    assert "never seen" in region and "= central" in region
    page.close()


def test_the_wrong_rows_are_the_surest_mistakes_first_by_file_line(browser, site):
    page, errors, _ = _open(browser, _drift_page(site, "batch-03-concept-change"), None)
    assert errors == []
    headers = page.eval_on_selector_all("#misclassified thead th", "ths => ths.map(t => t.innerText.trim())")
    assert headers[0].startswith("file line") and any(
        h.startswith("probability of its answer") for h in headers
    )
    column = next(i for i, h in enumerate(headers) if h.startswith("probability"))
    shown = page.eval_on_selector_all(
        "#misclassified tbody tr", f"rows => rows.map(r => parseFloat(r.cells[{column}].innerText))"
    )
    assert len(shown) == 20 and shown == sorted(shown, reverse=True) and shown[0] > 50
    assert page.locator("#misclassified td.pred.wrong").count() == 20
    page.close()


CHART_NUMBERS = """() => Array.from(document.querySelectorAll('canvas.chart')).map(c => {
    const table = document.getElementById(c.getAttribute('aria-describedby'));
    const cells = table ? Array.from(table.querySelectorAll('[role=cell]')).map(x => x.textContent) : [];
    const data = c.chart.data.datasets.map(d => d.data);
    return {has: Boolean(table), rows: table ? table.querySelectorAll('[role=row]').length - 1 : 0,
            labels: c.chart.data.labels.length, cells: cells, first: data[0][0]};
})"""


@pytest.mark.parametrize("stem", ["batch-03-concept-change", "timeline"])
def test_every_chart_has_its_numbers_as_a_table(browser, site, stem):
    path = site / "timeline.html" if stem == "timeline" else _drift_page(site, stem)
    page, errors, _ = _open(browser, path, None)
    assert errors == []
    charts = page.evaluate(CHART_NUMBERS)
    assert charts and all(c["has"] and c["rows"] == c["labels"] for c in charts), charts
    page.close()


def test_the_print_stylesheet_drops_the_screen_only_parts(browser, site):
    page, errors, _ = _open(browser, _drift_page(site, "batch-03-concept-change"), None)
    assert errors == []
    page.emulate_media(media="print")
    styles = page.evaluate(
        """() => ({
            th: getComputedStyle(document.querySelector('#features th')).position,
            arrow: getComputedStyle(document.querySelector('#features th'), '::after').content,
            numbers: getComputedStyle(document.querySelector('details.chart-data')).display,
            scroll: getComputedStyle(document.querySelector('.scroll')).overflowX,
        })"""
    )
    assert styles == {"th": "static", "arrow": '""', "numbers": "none", "scroll": "visible"}, styles
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOTS / "drift-batch-03-print.pdf"))
    page.close()


#: A table in its box: how far it overflows, and where its last column ends against the box and the
#: window, before and after scrolling the box all the way right.
TABLE_REACH = """(selector) => {
    const table = document.querySelector(selector);
    const box = table.parentElement;
    const last = () => table.querySelector('thead th:last-child').getBoundingClientRect().right;
    const before = last();
    box.scrollLeft = box.scrollWidth;
    return {
        overflowX: getComputedStyle(box).overflowX,
        overflow: box.scrollWidth - box.clientWidth,
        boxRight: box.getBoundingClientRect().right,
        window: window.innerWidth,
        before: before,
        after: last(),
    };
}"""


@pytest.mark.parametrize(
    ("where", "selector"), [("timeline.html", "#batches"), ("reports/evaluation/run-1.html", "#candidates")]
)
def test_a_wide_table_fits_at_1300_px_and_scrolls_in_its_box_when_narrower(browser, site, where, selector):
    page, errors, _ = _open(browser, site / where, None)
    assert errors == []
    fit = page.evaluate(TABLE_REACH, selector)
    assert fit["overflow"] == 0 and fit["before"] <= fit["boxRight"] + 1 <= fit["window"] + 1, fit
    page.set_viewport_size({"width": 800, "height": 900})
    narrow = page.evaluate(TABLE_REACH, selector)
    assert narrow["boxRight"] <= narrow["window"] and narrow["overflowX"] in ("auto", "scroll"), narrow
    # narrower, it scrolls inside its box, and scrolled right its last column is in view: never clipped
    assert narrow["overflow"] > 0 and narrow["after"] <= narrow["boxRight"] + 1, narrow
    page.close()


def test_every_candidate_row_is_compact(browser, site):
    page, errors, _ = _open(browser, site / "reports" / "evaluation" / "run-1.html", None)
    assert errors == []
    heights = page.eval_on_selector_all(
        "#candidates tbody tr", "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    assert len(heights) == 3 and max(heights) < 100, heights  # no cell squeezed into a tall narrow column
    page.close()


@pytest.mark.parametrize("name", ["run-1", "bootstrap-1"])
def test_an_evaluation_names_its_training_manifest(browser, site, name):
    page, errors, _ = _open(browser, site / "reports" / "evaluation" / f"{name}.html", None)
    assert errors == []
    key = f"training/{name}/manifest.json"
    meta, footer = page.locator("p.meta").first.inner_text(), page.locator("footer").inner_text()
    assert key in meta and not meta.rstrip().endswith("-"), meta
    assert f"s3://{BUCKET}/{key}" in footer and not footer.rstrip().endswith("-"), footer
    assert page.get_attribute("footer a", "href") == f"../../{key}"
    page.close()
