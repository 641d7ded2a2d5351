"""A stand-in for the context object the Lambda runtime passes to a handler (what Powertools reads)."""

from __future__ import annotations

from dataclasses import dataclass

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    function_name: str = "test"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:test"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name: str = "/aws/lambda/test"
    log_stream_name: str = "2024/05/14/[$LATEST]abcdef"

    @classmethod
    def named(cls, function_name: str) -> LambdaContext:
        """The context of the function ``function_name``, with its ARN and log group."""
        return cls(
            function_name=function_name,
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}",
            log_group_name=f"/aws/lambda/{function_name}",
        )

    def get_remaining_time_in_millis(self) -> int:
        return 300_000
