"""Monitoring what an endpoint serves: SageMaker Data Capture records, ground truth joined when it
arrives, performance estimated before it does, and Model Monitor-shaped outputs. Pure: no AWS calls.

Modules: ``records`` (capture reader), ``ground_truth`` (label reader), ``join``, ``estimate`` (CBPE),
``reference`` (the holdout's predictions, stored at promotion), ``check`` (the drift check on captured
rows), ``model_monitor`` (statistics.json, constraint_violations.json, metric names).
"""
