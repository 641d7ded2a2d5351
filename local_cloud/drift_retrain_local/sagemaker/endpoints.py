"""Local endpoint lifecycle: CreateEndpoint, a blue/green UpdateEndpoint and
UpdateEndpointWeightsAndCapacities, in AWS's terms.

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

``update_weights`` (UpdateEndpointWeightsAndCapacities): the endpoint is ``Updating`` with each named
variant's ``DesiredWeight`` / ``DesiredInstanceCount`` set and its ``Current*`` unchanged for
``settings.endpoint_weights_seconds``; then the runtime's weights change in one swap (a concurrent request
sees the old weights or the new, and never fails) and the endpoint is ``InService`` with ``Current*`` =
``Desired*``.

Every state change is reported through an ``update(fields)`` callback with DescribeEndpoint field names
(``ProductionVariants`` as AWS's ProductionVariantSummary: :func:`variant_summaries`; ``DataCaptureConfig``
as its DataCaptureConfigSummary);
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

from drift_retrain_local.sagemaker.capture import capture_summary
from drift_retrain_local.sagemaker.failures import ENDPOINT_UPDATE, FailureInjector
from drift_retrain_local.sagemaker.runtime import (
    Deployment,
    DeploymentError,
    EndpointNotServingError,
    EndpointRuntime,
    ModelResolver,
)

__all__ = ["EndpointManager", "traffic_steps", "variant_summaries", "weighed_summaries"]

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


def variant_summaries(production_variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DescribeEndpoint's ``ProductionVariants`` for an endpoint config's variants, as deployed
    (``InitialVariantWeight`` defaults to 1.0 and ``InitialInstanceCount`` to 1, as on AWS)."""
    summaries = []
    for spec in production_variants:
        weight = spec.get("InitialVariantWeight")
        weight = 1.0 if weight is None else float(weight)
        count = int(spec.get("InitialInstanceCount") or 1)
        summaries.append(
            {
                "VariantName": spec["VariantName"],
                "CurrentWeight": weight,
                "DesiredWeight": weight,
                "CurrentInstanceCount": count,
                "DesiredInstanceCount": count,
            }
        )
    return summaries


def weighed_summaries(
    summaries: list[dict[str, Any]], desired: list[dict[str, Any]], *, applied: bool
) -> list[dict[str, Any]]:
    """``summaries`` with the ``DesiredWeightsAndCapacities`` set as Desired* (and as Current* once
    ``applied``)."""
    by_name = {d["VariantName"]: d for d in desired}
    result = []
    for summary in summaries:
        summary = dict(summary)
        wanted = by_name.get(summary["VariantName"])
        if wanted is not None:
            if wanted.get("DesiredWeight") is not None:
                summary["DesiredWeight"] = float(wanted["DesiredWeight"])
            if wanted.get("DesiredInstanceCount") is not None:
                summary["DesiredInstanceCount"] = int(wanted["DesiredInstanceCount"])
        if applied:
            summary["CurrentWeight"] = summary.get("DesiredWeight", summary.get("CurrentWeight"))
            summary["CurrentInstanceCount"] = summary.get(
                "DesiredInstanceCount", summary.get("CurrentInstanceCount")
            )
        result.append(summary)
    return result


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
        ``rollback_seconds``, ``endpoint_weights_seconds``.
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

    def busy(self) -> bool:
        """True while any of its threads runs."""
        return any(thread.is_alive() for thread in self._threads)

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
        summaries = variant_summaries(config.get("ProductionVariants") or [])
        update({"EndpointStatus": "Creating", "FailureReason": None, "ProductionVariants": summaries})

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
            update(
                {
                    "EndpointStatus": "InService",
                    "DataCaptureConfig": capture_summary(config.get("DataCaptureConfig")),
                    "LastModifiedTime": _now(),
                }
            )

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
                    "ProductionVariants": variant_summaries(new_config["ProductionVariants"]),
                    "DataCaptureConfig": capture_summary(new_config.get("DataCaptureConfig")),
                    "LastDeploymentConfig": deployment_config,
                    "LastModifiedTime": _now(),
                }
            )

        self._spawn(f"sagemaker-update-endpoint-{endpoint}", run)

    # -------------------------------------------------------------------------------- update weights
    def update_weights(
        self,
        endpoint: str,
        summaries: list[dict[str, Any]],
        desired: list[dict[str, Any]],
        update: Update,
    ) -> None:
        """Start UpdateEndpointWeightsAndCapacities on an InService endpoint (``summaries``: its
        ProductionVariants now; ``desired``: the validated request); returns at once (Updating)."""
        update(
            {
                "EndpointStatus": "Updating",
                "ProductionVariants": weighed_summaries(summaries, desired, applied=False),
                "LastModifiedTime": _now(),
            }
        )
        weights = {
            d["VariantName"]: float(d["DesiredWeight"]) for d in desired if d.get("DesiredWeight") is not None
        }

        def run() -> None:
            if not self._sleep(self.settings.endpoint_weights_seconds):
                return
            try:
                self.runtime.reweigh(endpoint, weights)
            except EndpointNotServingError:  # deleted meanwhile
                return
            update(
                {
                    "EndpointStatus": "InService",
                    "ProductionVariants": weighed_summaries(summaries, desired, applied=True),
                    "LastModifiedTime": _now(),
                }
            )

        self._spawn(f"sagemaker-update-weights-{endpoint}", run)

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
