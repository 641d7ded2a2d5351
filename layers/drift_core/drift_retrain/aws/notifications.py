"""SNS adapter: a short subject and a plain-text body to the team's topic (skipped when none is set)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from drift_retrain.aws.exceptions import NotificationError, client_error_code, client_error_message

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
else:
    SNSClient = Any

__all__ = ["MAX_SUBJECT_LENGTH", "notify"]

#: SNS subjects: at most 100 ASCII characters, no line breaks.
MAX_SUBJECT_LENGTH = 100
#: SNS messages: at most 256 KB.
MAX_MESSAGE_BYTES = 256 * 1024


def _clean_subject(subject: str) -> str:
    text = " ".join(subject.split())
    text = text.encode("ascii", errors="replace").decode("ascii")
    if len(text) > MAX_SUBJECT_LENGTH:
        text = text[: MAX_SUBJECT_LENGTH - 3].rstrip() + "..."
    return text or "drift-retrain"


def _clean_message(message: str) -> str:
    data = message.encode("utf-8")
    if len(data) <= MAX_MESSAGE_BYTES:
        return message
    return data[: MAX_MESSAGE_BYTES - 64].decode("utf-8", errors="ignore") + "\n... (truncated)"


def notify(sns: SNSClient | None, topic_arn: str | None, subject: str, message: str) -> str | None:
    """Publish ``subject`` and ``message`` to ``topic_arn``.

    Parameters
    ----------
    sns : SNSClient or None
        boto3 SNS client (may be ``None`` when no topic is configured).
    topic_arn : str or None
        Topic to publish to; empty or ``None`` skips the call.
    subject, message : str
        Subject (cleaned to SNS's 100 ASCII characters) and body (truncated to 256 KB).

    Returns
    -------
    str or None
        The SNS message id, or ``None`` when skipped.

    Raises
    ------
    NotificationError
        Publish failed.
    """
    if not topic_arn or sns is None:
        return None
    try:
        response = sns.publish(
            TopicArn=topic_arn, Subject=_clean_subject(subject), Message=_clean_message(message)
        )
    except ClientError as error:
        code = client_error_code(error)
        raise NotificationError(
            f"SNS Publish to {topic_arn} failed: {code} {client_error_message(error)}", code=code or None
        ) from error
    return response.get("MessageId")
