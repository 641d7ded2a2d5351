"""The embedded AWS starts clean, restores what it changed, and only one runs per process.

No module-scoped cloud here: moto's backends are process-wide, so these tests start their own.
"""

from __future__ import annotations

import os
import socket
import socketserver
import threading

import boto3
import pytest

from drift_retrain_local.cloud.local_cloud import local_cloud
from drift_retrain_local.cloud.server import EmbeddedAws, _stop_promptly


def test_leaving_restores_the_environment_and_default_session() -> None:
    before_endpoint = os.environ.get("AWS_ENDPOINT_URL")
    before_session = boto3.DEFAULT_SESSION
    with EmbeddedAws() as aws:
        assert os.environ["AWS_ENDPOINT_URL"] == aws.endpoint_url
        assert aws.client("s3").list_buckets()["Buckets"] == []
    assert os.environ.get("AWS_ENDPOINT_URL") == before_endpoint
    assert boto3.DEFAULT_SESSION is before_session


def test_two_clouds_in_a_row_start_clean() -> None:
    with local_cloud() as first:
        first.client("s3").put_object(Bucket=first.stack.bucket, Key="seed/x.csv", Body=b"a\n1\n")
    with local_cloud() as second:
        listed = second.client("s3").list_objects_v2(Bucket=second.stack.bucket)
        assert listed.get("KeyCount") == 0


def test_a_second_embedded_aws_in_the_same_process_is_refused() -> None:
    with EmbeddedAws(), pytest.raises(RuntimeError, match="already running"):
        EmbeddedAws().start()


def test_each_run_gets_a_fresh_session_that_reads_service_models_once_per_process() -> None:
    sessions = []
    for _ in range(2):
        with EmbeddedAws() as aws:
            sessions.append(aws.session)
            assert aws.client("sagemaker").list_models()["Models"] == []
    first, second = (session._session for session in sessions)
    assert sessions[0] is not sessions[1] and first is not second  # no credentials or hooks carried over
    loader = first.get_component("data_loader")
    assert second.get_component("data_loader") is loader  # ... but the parsed models are shared
    assert len(loader.search_paths) == len(set(loader.search_paths))  # boto3's folder added once


class _PatientServer:
    """A server whose loop looks for a shutdown request once an hour (moto's looks every 0.5 s)."""

    def __init__(self) -> None:
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(3600,), daemon=True)
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def test_stopping_wakes_the_server_loop_instead_of_waiting_for_its_next_poll() -> None:
    server = _PatientServer()
    stopping = threading.Thread(target=_stop_promptly, args=(server,), daemon=True)
    stopping.start()
    stopping.join(timeout=30)  # without the wake-up this would wait an hour
    assert not stopping.is_alive(), "the server loop was never woken"
    with pytest.raises(OSError):
        socket.create_connection(server.get_host_and_port(), timeout=1)
