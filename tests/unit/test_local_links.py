"""A local run's notifications point at its own files: there is no AWS console to open."""

from __future__ import annotations

from drift_retrain.reports.links import execution_url, s3_console_url
from drift_retrain_local.run import local_links

BUCKET = "drift-retrain-local-databucket"


def test_console_links_become_the_local_files_and_the_timeline(tmp_path):
    report = tmp_path / "reports" / "drift" / "batch 1.html"
    report.parent.mkdir(parents=True)
    report.write_text("<html></html>")
    arn = "arn:aws:states:us-east-1:123456789012:execution:retrain:bootstrap-1"
    text = (
        f"Drift report: {s3_console_url(BUCKET, 'reports/drift/batch 1.html', 'us-east-1')}\n"
        f"Execution: {execution_url(arn, 'us-east-1')}\n"
        f"Manifest: {s3_console_url(BUCKET, 'training/bootstrap-1/manifest.json', 'us-east-1')}\n"
        f"Elsewhere: {s3_console_url('another-bucket', 'reports/drift/batch 1.html', 'us-east-1')}"
    )
    lines = local_links(text, BUCKET, tmp_path).splitlines()
    assert lines[0] == f"Drift report: {report}"
    assert lines[1] == f"Execution: {tmp_path / 'timeline.html'}"
    # a file the run did not copy out, or another bucket's, keeps its console link
    assert lines[2].startswith("Manifest: https://s3.console.aws.amazon.com/")
    assert lines[3].startswith("Elsewhere: https://s3.console.aws.amazon.com/s3/object/another-bucket")


def test_a_link_in_parentheses_keeps_its_closing_parenthesis(tmp_path):
    report = tmp_path / "reports" / "drift" / "b (1).html"
    report.parent.mkdir(parents=True)
    report.write_text("<html></html>")
    arn = "arn:aws:states:us-east-1:123456789012:execution:retrain:run-1"
    text = (
        f"Retraining workflow: started ({execution_url(arn, 'us-east-1')})\n"
        f"Drift report ({s3_console_url(BUCKET, 'reports/drift/b (1).html', 'us-east-1')}), then more"
    )
    lines = local_links(text, BUCKET, tmp_path).splitlines()
    assert lines[0] == f"Retraining workflow: started ({tmp_path / 'timeline.html'})"
    assert lines[1] == f"Drift report ({report}), then more"
