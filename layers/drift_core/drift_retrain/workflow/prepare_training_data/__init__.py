"""PrepareTrainingData: from DetectDrift's trigger to the SageMaker inputs of every candidate of one retrain.

``preparation.prepare_training_data`` is the step (``retrain_run`` holds its settings and what one retrain
knows); before it, ``trigger`` verifies the run's trigger and ``champion_check`` the serving variant.
``candidates`` plans the strategies, ``window``, ``window_reading``, ``change_window`` and
``partition_listing`` choose and read each window's batches, ``candidate_items`` and ``channels`` write
them, and ``manifest`` records what went where.
"""
