"""Issue 13, part 4: a client invoking an A/B endpoint without pause while its weights shift
(0.9/0.1 -> 0.5/0.5 -> 0/1) and while a blue/green UpdateEndpoint removes the champion variant: not one
request fails, and at weight w about w of the requests (a binomial bound; the runtime's seed is fixed)
are served by the candidate. A second client targets each variant in turn, as DetectDrift scores a
labelled batch on both, and is never refused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scipy.stats import binom
from service_support import (  # noqa: F401 (fixtures)
    WAIT,
    data,
    disarm_failures,
    endpoint_config,
    endpoint_state,
    features_csv,
    service_cloud,
    trained_models,
    wait_for,
)

from drift_retrain_local.cloud.local_cloud import LocalCloud

ENDPOINT = "ab-concurrent"
PER_PHASE = 300  # requests counted at each weight
BODY = features_csv(data(2, seed=7)[0])


@dataclass
class Client:
    """Invokes the endpoint in a loop; each answer is labelled with the phase current when it was sent."""

    cloud: LocalCloud
    target: Callable[[int], str | None] = lambda _: None
    phase: str = "warm-up"
    served: list[tuple[str, str]] = field(default_factory=list)  # (phase, InvokedProductionVariant)
    failures: list[Exception] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        runtime = self.cloud.client("sagemaker-runtime")
        count = 0
        while not self.stop.is_set():
            phase, target = self.phase, self.target(count)
            extra = {"TargetVariant": target} if target else {}
            try:
                response = runtime.invoke_endpoint(
                    EndpointName=ENDPOINT, ContentType="text/csv", Body=BODY, **extra
                )
                response["Body"].read()
                self.served.append((phase, response["InvokedProductionVariant"]))
                if target:
                    assert response["InvokedProductionVariant"] == target
            except Exception as exc:  # every failure counts, an assertion included
                self.failures.append(exc)
            count += 1

    def count(self, phase: str) -> int:
        return sum(1 for p, _ in self.served if p == phase)

    def variants(self, phase: str) -> list[str]:
        return [v for p, v in self.served if p == phase]


def _shift(cloud: LocalCloud, champion: float, candidate: float) -> None:
    cloud.client("sagemaker").update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT,
        DesiredWeightsAndCapacities=[
            {"VariantName": "Champion", "DesiredWeight": champion},
            {"VariantName": "Candidate", "DesiredWeight": candidate},
        ],
    )


def _settle(cloud: LocalCloud, clients: list[Client], phase: str) -> None:
    """Wait until InService, then count ``PER_PHASE`` answers of the main client under ``phase``."""
    wait_for(lambda: endpoint_state(cloud, ENDPOINT)[0] == "InService", f"{ENDPOINT} InService")
    for client in clients:
        client.phase = phase
    wait_for(
        lambda: clients[0].count(phase) >= PER_PHASE, f"{PER_PHASE} answers at {phase}", timeout=3 * WAIT
    )
    for client in clients:
        client.phase = f"leaving {phase}"


def _within_binomial_bound(candidate_share: float, served: list[str]) -> None:
    low, high = binom.interval(0.9999, len(served), candidate_share)
    hits = served.count("Candidate")
    assert low <= hits <= high, f"{hits}/{len(served)} served by the candidate at weight {candidate_share}"


def test_no_request_fails_and_the_candidate_serves_its_share_through_every_shift(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    endpoint_config(cloud, f"{ENDPOINT}-ab", ("Champion", "model-old", 0.9), ("Candidate", "model-new", 0.1))
    endpoint_config(cloud, f"{ENDPOINT}-final", ("Candidate", "model-new", 1.0))
    sm = cloud.client("sagemaker")
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-ab")
    wait_for(lambda: endpoint_state(cloud, ENDPOINT)[0] == "InService", f"{ENDPOINT} InService")

    weighted = Client(cloud)
    targeted = Client(cloud, target=lambda i: ("Champion", "Candidate")[i % 2])
    threads = [threading.Thread(target=c.run, daemon=True) for c in (weighted, targeted)]
    for thread in threads:
        thread.start()
    try:
        _settle(cloud, [weighted, targeted], "0.9/0.1")
        _shift(cloud, 0.5, 0.5)
        _settle(cloud, [weighted, targeted], "0.5/0.5")
        _shift(cloud, 0.0, 1.0)
        _settle(cloud, [weighted, targeted], "0/1")
        targeted.stop.set()  # the champion variant is about to go: a client targeting it would be refused
        sm.update_endpoint(
            EndpointName=ENDPOINT,
            EndpointConfigName=f"{ENDPOINT}-final",
            DeploymentConfig={
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
                    "TerminationWaitInSeconds": 0,
                }
            },
        )
        _settle(cloud, [weighted], "single variant")
    finally:
        for client in (weighted, targeted):
            client.stop.set()
        for thread in threads:
            thread.join(timeout=WAIT)

    assert weighted.failures == [] and targeted.failures == []
    _within_binomial_bound(0.1, weighted.variants("0.9/0.1"))
    _within_binomial_bound(0.5, weighted.variants("0.5/0.5"))
    assert set(weighted.variants("0/1")) == {"Candidate"}
    assert set(weighted.variants("single variant")) == {"Candidate"}
    assert endpoint_state(cloud, ENDPOINT) == ("InService", f"{ENDPOINT}-final")
    assert {v for p, v in targeted.served if p == "0/1"} == {"Champion", "Candidate"}
