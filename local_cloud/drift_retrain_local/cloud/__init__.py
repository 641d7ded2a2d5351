"""The local cloud: ``local_cloud`` starts the embedded AWS (``server``), deploys the stack and runs the
real Lambdas in process (``lambdas``, with ``lambda_http`` for their answers on the wire and
``async_invoke`` for retries and the on-failure record), delivers S3 events to them (``events``) and
injects AWS API faults (``api_faults``).
"""
