"""What several workflow steps, or DetectDrift and the capture monitor, use.

``exceptions`` (the error names the state machine acts on), ``events`` (the Lambda tasks' events as
Powertools data classes), ``payloads`` (the state machine's payloads as types), ``naming`` (the names of
what one execution creates), ``algorithms`` (XGBoost and Linear Learner), ``transform_outputs`` (reading
a batch transform's output) and ``settings`` (the drift settings from a Lambda's environment).
"""
