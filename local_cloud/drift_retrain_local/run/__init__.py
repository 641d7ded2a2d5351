"""A local run of the service, watched from outside: ``local_run`` (``drift-retrain local run``).

``batches`` uploads each batch and follows it to its end, ``traffic`` sends live traffic and its late
labels, ``ab_watch`` follows an A/B promotion, ``observe`` reads executions, the endpoint and the
notifications through public APIs; ``summary``, ``pages``, ``logs`` and ``output_folder`` are what a run
leaves on disk.
"""
