"""The engine: pure drift detection and retraining decisions (no AWS).

``reading`` streams and validates a CSV batch, ``schema`` and ``profile`` describe the champion's training
data, ``stats`` holds the tests, ``drift`` applies them per column, ``champion`` runs the concept and gap
tests on the champion's predictions, ``policy`` decides, ``report`` records it, and ``check`` runs one
batch end to end. ``encoding`` and ``performance`` are shared with the workflow; ``config`` holds the knobs.
"""
