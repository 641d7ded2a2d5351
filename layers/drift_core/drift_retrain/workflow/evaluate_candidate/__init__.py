"""EvaluateCandidate: score every candidate and the champion on the same held-out rows, and decide.

``evaluation.evaluate_candidate`` is the step; ``metrics`` holds the metrics and paired tests,
``decision`` the rule (best candidate against the champion at alpha split across the candidates), and
``holdout_segments`` the winner's errors per segment.
"""
