"""A local run's notifications point at its own files: there is no AWS console to open."""

from __future__ import annotations

from drift_retrain.reports.links import execution_url, s3_console_url
from drift_retrain_local.run.batches import local_links

BUCKET = "drift-retrain-local-databucket"


def _copied_out(root, relative: str, text: str):
    """A file the run copied into its output folder."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_console_links_become_the_local_files_and_the_timeline(tmp_path):
    report = _copied_out(tmp_path, "reports/drift/batch 1.html", "<html></html>")
    arn = "arn:aws:states:us-east-1:123456789012:execution:retrain:bootstrap-1"
    text = (
        f"Drift report: {s3_console_url(BUCKET, 'reports/drift/batch 1.html', 'us-east-1')}\n"
        f"Execution: {execution_url(arn, 'us-east-1')}\n"
        f"Manifest: {s3_console_url(BUCKET, 'training/bootstrap-1/manifest.json', 'us-east-1')}\n"
        f"Elsewhere: {s3_console_url('another-bucket', 'reports/drift/batch 1.html', 'us-east-1')}"
    )
    manifest = _copied_out(tmp_path, "training/bootstrap-1/manifest.json", "{}")
    lines = local_links(text, BUCKET, tmp_path).splitlines()
    assert lines[0] == f"Drift report: {report}"
    assert lines[1] == f"Execution: {tmp_path / 'timeline.html'}"
    assert lines[2] == f"Manifest: {manifest}"  # copied out by the run, as the reports are
    # another bucket's object: its place in the local cloud, never a console of account 123456789012
    assert lines[3] == "Elsewhere: s3://another-bucket/reports/drift/batch 1.html"


def test_an_object_the_run_did_not_copy_out_is_named_by_its_local_cloud_location(tmp_path):
    text = f"Manifest: {s3_console_url(BUCKET, 'training/run-2/manifest.json', 'us-east-1')}"
    assert local_links(text, BUCKET, tmp_path) == f"Manifest: s3://{BUCKET}/training/run-2/manifest.json"
    assert "console.aws.amazon.com" not in local_links(text, BUCKET, tmp_path)


def test_a_link_in_parentheses_keeps_its_closing_parenthesis(tmp_path):
    report = _copied_out(tmp_path, "reports/drift/b (1).html", "<html></html>")
    arn = "arn:aws:states:us-east-1:123456789012:execution:retrain:run-1"
    text = (
        f"Retraining workflow: started ({execution_url(arn, 'us-east-1')})\n"
        f"Drift report ({s3_console_url(BUCKET, 'reports/drift/b (1).html', 'us-east-1')}), then more"
    )
    lines = local_links(text, BUCKET, tmp_path).splitlines()
    assert lines[0] == f"Retraining workflow: started ({tmp_path / 'timeline.html'})"
    assert lines[1] == f"Drift report ({report}), then more"
