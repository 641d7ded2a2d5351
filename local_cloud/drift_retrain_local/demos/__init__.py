"""The demos and their data: ``check_demo`` (``drift-retrain demo``, the drift checks alone) and
``local_demo`` (``drift-retrain local demo``, the whole service on the local cloud), both on ``data``
(simulated batches with known drift); ``samples`` makes the ``events/`` samples runnable cases.
"""
