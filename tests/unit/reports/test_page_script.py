"""The page's chart data sits in a ``<script>`` element: whatever text a batch holds (a category named
``</script><!--``, a line separator), the embedded JSON parses back to the same data and cannot end or
comment out its element."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from reports_support import check, make_frame
from support.examples import examples

from drift_retrain.reports import render_drift_html
from drift_retrain.reports.page import json_for_script

HOSTILE = "</script><!--"
#: What the HTML parser acts on inside a script element's text.
_UNSAFE = re.compile(r"</script|<!--|-->|[<>&\u2028\u2029]", re.I)

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)
#: Text built from the pieces that matter, so that the dangerous sequences come up often.
_script_text = st.lists(
    st.sampled_from(["<", ">", "&", "/", "!", "--", "script", "SCRIPT", "\u2028", "\u2029", "a", " "])
    | st.text(max_size=3),
    max_size=12,
).map("".join)


@settings(max_examples=examples(300), deadline=None)
@given(st.dictionaries(_script_text, st.lists(_script_text | _json_values, max_size=3), max_size=4))
def test_embedded_json_round_trips_and_holds_nothing_the_html_parser_acts_on(data):
    text = json_for_script(data)
    assert json.loads(text) == data
    assert not _UNSAFE.search(text), text


def test_a_category_that_closes_the_script_element_leaves_the_page_data_intact(baseline):
    frame = make_frame(2000, seed=5)
    frame.loc[frame.index[:300], "region"] = HOSTILE
    page = render_drift_html(check(frame, baseline))
    [data] = re.findall(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    specs = json.loads(data)["charts"]
    assert HOSTILE in json.dumps(specs)  # the category is drawn, under its own name
    assert page.count("</script>") == page.count("<script")
