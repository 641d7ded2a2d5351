"""The capture monitor: Data Capture and ground-truth files in, window batches out, for DetectDrift.

``service.process_object`` handles one S3 event (``capture/`` or ``ground-truth/``), ``service.tick`` the
scheduled pass that closes quiet windows. Nothing here checks drift: DetectDrift checks the windows
(``check``), PrepareTrainingData trains on the labelled ones (``keys.is_capture_batch``).
"""
