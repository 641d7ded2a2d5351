"""Local endpoint lifecycle: CreateEndpoint and a blue/green UpdateEndpoint, in AWS's terms.

``create``: the endpoint is ``Creating``, its models are loaded, then it is ``InService`` (or ``Failed``
with a FailureReason when a model cannot be loaded).

``update`` (BlueGreenUpdatePolicy): the endpoint is ``Updating`` while the new fleet is provisioned; then
traffic shifts as ``TrafficRoutingConfiguration`` says (``ALL_AT_ONCE``; ``CANARY``: CanarySize first;
``LINEAR``: LinearStepSize per step), each step baking for ``settings.traffic_step_seconds``. If the
rollback switch of the :class:`FailureInjector` fires for the endpoint (an alarm of
``AutoRollbackConfiguration`` going off), or the new models cannot be loaded, traffic goes back to the old
fleet, the endpoint is ``RollingBack`` and then ``InService`` on the OLD config, as on AWS after an
automatic rollback. Otherwise it is ``InService`` on the NEW config. Requests never fail meanwhile: the
old fleet serves until the runtime switches (see :mod:`.runtime`).

Every state change is reported through an ``update(fields)`` callback with DescribeEndpoint field names;
the moto seam writes them into moto's endpoint. Durations are the settings' (a few hundred ms), not AWS's.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from drift_retrain_local.sagemaker.failures import ENDPOINT_UPDATE, FailureInjector
from drift_retrain_local.sagemaker.runtime import (
    Deployment,
    DeploymentError,
    EndpointRuntime,
    ModelResolver,
)

__all__ = ["EndpointManager", "traffic_steps"]

logger = logging.getLogger(__name__)

Update = Callable[[dict[str, Any]], None]


def traffic_steps(deployment_config: dict[str, Any] | None, instance_count: int) -> list[float]:
    """Shares of traffic on the new fleet, step by step, ending with 1.0."""
    policy = (deployment_config or {}).get("BlueGreenUpdatePolicy") or {}
    routing = policy.get("TrafficRoutingConfiguration") or {}
    kind = str(routing.get("Type") or "ALL_AT_ONCE").upper()

    def share(size: dict[str, Any] | None) -> float:
        size = size or {}
        value = float(size.get("Value") or 0)
        if str(size.get("Type") or "CAPACITY_PERCENT").upper() == "INSTANCE_COUNT":
            return min(1.0, value / max(instance_count, 1))
        return min(1.0, value / 100.0)

    if kind == "CANARY":
        first = share(routing.get("CanarySize"))
        return [first, 1.0] if 0 < first < 1 else [1.0]
    if kind == "LINEAR":
        step = share(routing.get("LinearStepSize"))
        if not 0 < step < 1:
            return [1.0]
        count = math.ceil(1.0 / step)
        return [min(1.0, step * (i + 1)) for i in range(count - 1)] + [1.0]
    return [1.0]


class EndpointManager:
    """Creates and updates local endpoints in background threads.

    Parameters
    ----------
    runtime : EndpointRuntime
        Serves the endpoints; switched atomically by updates.
    failures : FailureInjector
        ``roll_back_update(pattern)`` switches match endpoint names.
    settings : object
        ``endpoint_create_seconds``, ``endpoint_update_seconds``, ``traffic_step_seconds``,
        ``rollback_seconds``.
    """

    def __init__(self, runtime: EndpointRuntime, failures: FailureInjector, settings: Any) -> None:
        self.runtime = runtime
        self.failures = failures
        self.settings = settings
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _sleep(self, seconds: float) -> bool:
        """Sleep; False when the manager was closed meanwhile."""
        return not self._closed.wait(max(seconds, 0.0))

    def close(self, timeout: float = 5.0) -> None:
        self._closed.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    # ----------------------------------------------------------------------------------------- create
    def create(self, endpoint: str, config: dict[str, Any], resolve: ModelResolver, update: Update) -> None:
        """Start creating ``endpoint`` from a DescribeEndpointConfig response; returns at once (Creating)."""
        update({"EndpointStatus": "Creating", "FailureReason": None})

        def run() -> None:
            if not self._sleep(self.settings.endpoint_create_seconds):
                return
            try:
                deployment = self.runtime.load_deployment(config, resolve)
            except DeploymentError as exc:
                logger.info("local endpoint %s failed: %s", endpoint, exc)
                update({"EndpointStatus": "Failed", "FailureReason": str(exc), "LastModifiedTime": _now()})
                return
            self.runtime.activate(endpoint, deployment)
            update({"EndpointStatus": "InService", "LastModifiedTime": _now()})

        self._spawn(f"sagemaker-create-endpoint-{endpoint}", run)

    # ----------------------------------------------------------------------------------------- update
    def update(
        self,
        endpoint: str,
        new_config: dict[str, Any],
        deployment_config: dict[str, Any] | None,
        resolve: ModelResolver,
        update: Update,
    ) -> None:
        """Start a blue/green update of an InService endpoint; returns at once (Updating)."""
        update({"EndpointStatus": "Updating", "FailureReason": None, "LastModifiedTime": _now()})

        def run() -> None:
            if not self._sleep(self.settings.endpoint_update_seconds):
                return
            routing = self.runtime.routing(endpoint)
            old = routing.serving if routing else None
            try:
                new = self.runtime.load_deployment(new_config, resolve)
            except DeploymentError as exc:
                self._roll_back(endpoint, old, f"Failed to provision the new fleet: {exc}", update)
                return
            instances = sum(int(v.get("InitialInstanceCount") or 1) for v in new_config["ProductionVariants"])
            injected = self.failures.check(ENDPOINT_UPDATE, endpoint)
            for share in traffic_steps(deployment_config, instances):
                if share < 1.0:
                    self.runtime.shift(endpoint, new, share)
                else:
                    self.runtime.activate(endpoint, new)
                if not self._sleep(self.settings.traffic_step_seconds):
                    return
                if injected:  # an auto-rollback alarm went off while this step was baking
                    self._roll_back(endpoint, old, injected, update)
                    return
            update(
                {
                    "EndpointStatus": "InService",
                    "EndpointConfigName": new.config_name,
                    "ProductionVariants": new_config["ProductionVariants"],
                    "LastDeploymentConfig": deployment_config,
                    "LastModifiedTime": _now(),
                }
            )

        self._spawn(f"sagemaker-update-endpoint-{endpoint}", run)

    def _roll_back(self, endpoint: str, old: Deployment | None, reason: str, update: Update) -> None:
        logger.info("local endpoint %s rolls back: %s", endpoint, reason)
        if old is not None:
            self.runtime.activate(endpoint, old)
        update({"EndpointStatus": "RollingBack", "LastModifiedTime": _now()})
        if not self._sleep(self.settings.rollback_seconds):
            return
        update({"EndpointStatus": "InService", "FailureReason": reason, "LastModifiedTime": _now()})


def _now() -> datetime:
    return datetime.now(UTC)
