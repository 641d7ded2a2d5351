"""Prequential stream benchmark: does retraining through the real local service heal accuracy after drift?

Modules: ``scenarios`` (river streams -> CSV batches), ``service`` (the batches through the local cloud),
``baselines`` (the same trainer outside the service, on fixed schedules), ``metrics`` (errors, recovery,
cost, targets), ``report`` (tables, JSON, plots), ``venv`` (the benchmark's own virtualenv).
"""
