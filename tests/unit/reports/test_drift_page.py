"""The drift report page: every feature, drifted first, formatted p-values, new categories highlighted,
self-contained and small."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reports_support import check, make_frame

import drift_retrain.reports
from drift_retrain.layout import quarantine_keys
from drift_retrain.reports import render_drift_html
from drift_retrain.reports.feature_charts import NEW_COLOUR

CSS = Path(drift_retrain.reports.__file__).parent / "assets" / "report.css"


def _chart_specs(page: str) -> list[dict]:
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    return json.loads(data.group(1).replace("<\\/", "</"))["charts"]


def _feature_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="[^"]*" data-feature="([^"]+)"', page)


def test_every_feature_appears_once_with_drifted_first(drifted_report):
    page = render_drift_html(drifted_report)
    rows = _feature_rows(page)
    assert sorted(rows) == sorted(f["name"] for f in drifted_report["features"])
    drifted = set(drifted_report["drifted_features"])
    assert {"x0", "region"} <= drifted
    flags = [name in drifted for name in rows]
    assert flags == sorted(flags, reverse=True), rows  # no undrifted row before a drifted one


def test_p_values_and_statistics_are_formatted_for_people(drifted_report):
    page = render_drift_html(drifted_report)
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page, flags=re.S))
    assert "&lt; 0.0001" in visible
    assert not re.search(r"\d\.\d{6,}", visible), "a raw float leaked into the page"
    assert not re.search(r"\d(\.\d+)?e-\d{2}", visible), "a p-value in scientific notation"


def test_a_new_category_is_highlighted(drifted_report):
    page = render_drift_html(drifted_report)
    assert '<span class="tag new">new: central</span>' in page
    [region] = [s for s in _chart_specs(page) if "new: central" in s["config"]["data"]["labels"]]
    labels = region["config"]["data"]["labels"]
    colours = region["config"]["data"]["datasets"][1]["backgroundColor"]
    assert colours[labels.index("new: central")] == NEW_COLOUR
    assert colours.count(NEW_COLOUR) == 1


def test_numeric_plots_use_the_baseline_deciles(drifted_report):
    page = render_drift_html(drifted_report)
    numeric = [s for s in _chart_specs(page) if s["config"]["data"]["labels"][0].startswith("< ")]
    assert len(numeric) == 3
    for spec in numeric:
        baseline, batch = (d["data"] for d in spec["config"]["data"]["datasets"])
        assert len(baseline) == len(batch) == len(spec["config"]["data"]["labels"]) == 10
        assert abs(sum(baseline) - 100) < 0.5 and abs(sum(batch) - 100) < 0.5


def test_verdict_concept_section_and_misclassified_rows(drifted_report, stable_report):
    page = render_drift_html(drifted_report)
    assert 'class="verdict retrain"' in page and "Retrain started because" in page
    assert "95% interval" in page and "one-sided Farrington-Manning test (rise beyond the margin)" in page
    table = page[page.index('<table id="misclassified"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    assert body.count("<tr>") == 20  # wrong on 40% of 2,000 rows: the sample is capped at 20
    calm = render_drift_html(stable_report)
    assert 'class="verdict no-drift"' in calm and "No drift" in calm


def test_the_page_is_self_contained(drifted_report):
    page = render_drift_html(drifted_report)
    assert not re.search(r"""\s(src|href)=["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page.split("<script>")[0]
    assert "sourceMappingURL" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_a_report_without_distributions_takes_the_baseline_from_the_profile(drifted_report):
    report = {**drifted_report, "distributions": {}}
    bare = render_drift_html(report)
    assert bare.count("no distribution recorded") == 3
    baseline = {k: {**v, "batch": None} for k, v in drifted_report["distributions"].items()}
    page = render_drift_html(report, baseline_distributions=baseline)
    assert "no distribution recorded" not in page


def test_fifty_columns_stay_under_one_megabyte(baseline):
    wide_baseline = make_frame(5000, seed=4, numeric=49)
    report = check(make_frame(5000, seed=5, shift=0.3, new_region=0.05, numeric=49), wide_baseline, wrong=0.3)
    assert len(report["features"]) == 50
    page = render_drift_html(report).encode("utf-8")
    assert len(page) < 1_000_000, len(page)


def test_an_invalid_batch_gets_a_page_that_says_why():
    report = {
        "status": "invalid",
        "error": "line 8: expected 8 fields",
        "error_code": "ragged_row",
        "batch_id": "bad",
    }
    page = render_drift_html(report)
    assert 'class="verdict invalid"' in page and "line 8: expected 8 fields" in page
    assert "Chart.js v" not in page  # no charts, no library


def _row(page: str, name: str) -> str:
    return re.search(rf'<tr class="[^"]*" data-feature="{name}">(.*?)</tr>', page, re.S).group(1)


def test_effect_cells_are_named_by_the_reports_own_metric(drifted_report):
    region = next(f for f in drifted_report["features"] if f["name"] == "region")
    assert region["effect_size_metric"] == "cohen_w"
    page = render_drift_html(drifted_report)
    assert "<th" in page and ">PSI<" not in page  # no column hard-coded to one metric
    assert "Cohen&#x27;s w " in _row(page, "region") or "Cohen's w " in _row(page, "region")
    assert "PSI" not in _row(page, "region")


def test_the_legend_states_each_metrics_own_floor(drifted_report):
    page = render_drift_html(drifted_report)
    legend = re.search(r'<p class="legend">Plots.*?</p>', page, re.S).group(0)
    assert "w 0.07" in legend and "its PSI reaches" not in legend


def test_a_ks_d_effect_from_the_stats_branch_is_labelled_d_with_its_floor(drifted_report):
    report = json.loads(json.dumps(drifted_report))
    x0 = next(f for f in report["features"] if f["name"] == "x0")
    x0.update(effect_size_metric="ks_d", effect_size=0.04, effect="measured")
    report["config"]["ks_effect_floor"] = 0.025
    page = render_drift_html(report)
    assert "KS D 0.04" in _row(page, "x0")
    assert "KS D 0.025" in page


def test_the_statistic_column_names_each_statistic(drifted_report):
    page = render_drift_html(drifted_report)
    assert re.search(r">D \d", _row(page, "x0"))
    assert re.search(r">χ² \d", _row(page, "region"))


def test_too_few_rows_says_how_many_against_the_minimum(drifted_report):
    report = json.loads(json.dumps(drifted_report))
    x0 = next(f for f in report["features"] if f["name"] == "x0")
    x0.update(effect="insufficient_data", effect_size=None, effect_size_metric="psi", rows=988)
    report["config"]["min_effect_rows"] = 1000
    assert "too few rows for PSI (988 of 1,000)" in _row(render_drift_html(report), "x0")


def _concept_spec(page: str) -> dict:
    [spec] = [s for s in _chart_specs(page) if s["config"]["data"]["labels"][:1] == ["this batch"]]
    return spec["config"]


def test_the_concept_chart_is_pink_only_on_concept_drift_and_draws_the_threshold(
    drifted_report, stable_report
):
    from drift_retrain.reports.feature_charts import ALARM_INTERVAL, QUIET_INTERVAL

    drifted, calm = render_drift_html(drifted_report), render_drift_html(stable_report)
    assert _concept_spec(drifted)["data"]["datasets"][1]["backgroundColor"][0] == ALARM_INTERVAL
    assert _concept_spec(calm)["data"]["datasets"][1]["backgroundColor"][0] == QUIET_INTERVAL
    concept = stable_report["concept_drift"]
    [line] = [d for d in _concept_spec(calm)["data"]["datasets"] if d["label"] == "decision threshold"]
    expected = round(100 * (concept["baseline_error"] + concept["margin"]), 2)
    assert line["data"] == [expected] * len(line["data"])
    legend = re.search(r'<p class="legend" id="concept-legend">(.*?)</p>', calm, re.S).group(1)
    assert "this batch (no concept drift)" in legend and "holdout" in legend
    assert "decision threshold" in legend and "minimum rise" in legend
    assert "concept drift detected" in re.search(r'id="concept-legend">(.*?)</p>', drifted, re.S).group(1)


def test_mini_charts_label_every_bin_and_read_in_percent(drifted_report):
    page = render_drift_html(drifted_report)
    minis = [s for s in _chart_specs(page) if s["config"]["data"]["labels"][:1] != ["this batch"]]
    assert minis and all(s["percent"] == "y" for s in minis)
    assert all(s["config"]["options"]["scales"]["x"]["ticks"]["autoSkip"] is False for s in minis)


def test_label_shares_are_shown_and_label_drift_has_a_card(stable_report):
    report = json.loads(json.dumps(stable_report))
    label = report["label_drift"]
    label["baseline"]["top"] = {"0": 0.745, "1": 0.255}
    label["batch"]["top"] = {"0": 0.675, "1": 0.325}
    label["drifted"] = True
    page = render_drift_html(report)
    shares = re.search(r'<table id="label-shares">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"<td>1</td><td class=\"num\">25\.5%</td><td class=\"num\">32\.5%</td>", shares)
    assert "<b>yes</b><span>label drift</span>" in page
    assert "<b>no</b><span>label drift</span>" in render_drift_html(stable_report)


def test_a_quarantined_page_gives_the_copy_the_reason_file_and_a_fix():
    report = {
        "status": "invalid",
        "error": "line 8: expected 8 fields, found 9",
        "error_code": "ragged_row",
        "batch_id": "bad",
        "source": "s3://drift-data/incoming/bad.csv",
    }
    panel = re.search(
        r'<div class="panel" id="quarantine">(.*?)</div>', render_drift_html(report), re.S
    ).group(1)
    copy, record = quarantine_keys("incoming/bad.csv")  # where DetectDrift writes them
    assert f"<code>s3://drift-data/{copy}</code>" in panel
    assert f"<code>s3://drift-data/{record}</code>" in panel
    assert (
        copy == "quarantine/files/incoming/bad.csv" and record == "quarantine/records/incoming/bad.csv.json"
    )
    assert "more or fewer fields than the header" in panel and "upload it again" in panel
    local = render_drift_html({**report, "source": "/tmp/bad.csv"})
    assert "nothing was copied" in local and "quarantine/" not in local


def test_the_footer_names_settings_in_words_not_raw_keys(drifted_report):
    page = render_drift_html(drifted_report)
    footer = page[page.index("<footer>") :]
    assert "<details" in footer and "significance level" in footer and "Cohen&#x27;s w floor" in footer
    assert "category_effect_floor 0.07" not in footer  # the raw key appears only as a tooltip
    assert "psi_floor" not in re.sub(r'title="[^"]*"', "", footer)


def test_misclassified_rows_are_file_lines_with_probabilities_and_wrong_answers_marked(drifted_report):
    page = render_drift_html(drifted_report)
    table = page[page.index('<table id="misclassified"') :]
    table = table[: table.index("</table>")]
    assert "file line</th>" in table and "probability of its answer</th>" in table
    assert "counts the header as line 1" in page
    rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :])
    assert len(rows) == 20 and all('class="pred wrong"' in row for row in rows)
    [rule] = [line for line in CSS.read_text().splitlines() if line.startswith("td.pred {")]
    assert "color" not in rule


def test_a_right_answer_is_not_marked_wrong(drifted_report):
    concept = dict(drifted_report["concept_drift"])
    first = dict(concept["misclassified"][0])
    first["prediction"] = first["label"]
    concept["misclassified"] = [first]
    page = render_drift_html({**drifted_report, "concept_drift": concept})
    assert 'class="pred wrong"' not in page and 'class="pred"' in page
