"""SNS: Publish refuses what AWS refuses.

"Publish", https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: the subject must be "UTF-8 text
with no line breaks or control characters, and less than 100 characters long"; the message is at most
the topic's MaximumMessageSize, 256 KiB (262,144 bytes, not characters) by default, and "Amazon SNS
validates the combined size of the message body and message attributes against this value and returns
an InvalidParameter error". "Amazon SNS message attributes",
https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html: a name has only A-Z a-z 0-9 _ - .,
does not start or end with a period nor hold two in a row, is at most 256 characters and does not start
with `AWS.` or `Amazon.` (any casing); the data type is at most 256 bytes; name, type and value are not
empty, and all three count toward the message size.

moto checks the subject's length (but lets exactly 100 through) and counts the message in characters
without its attributes; it checks attribute types and values, not names. Error codes as AWS returns
them: `InvalidParameter` for the subject and the size, `ParameterValueInvalid` (`InvalidParameterValue`)
for an attribute; the wording of each message is AWS's where known ("Invalid parameter: Subject",
"Invalid parameter: Message too long"). A state machine's `sns:publish` task sees
`SNS.InvalidParameterException` and `SNS.InvalidParameterValueException`. PublishBatch is not checked:
nothing here calls it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from moto.sns.exceptions import SNSException, SNSInvalidParameter
from moto.sns.responses import SNSResponse

from workflow.local.patches.fidelity.sizes import message_bytes, utf8_bytes

DEFAULT_MAX_MESSAGE_BYTES = 262_144
MAX_SUBJECT_LENGTH = 99  # "less than 100 characters"
MAX_ATTRIBUTE_NAME_LENGTH = 256
MAX_ATTRIBUTE_TYPE_BYTES = 256
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
_RESERVED_PREFIXES = ("aws.", "amazon.")
# Unicode's line and paragraph separators are line breaks without being control characters.
_LINE_BREAKS = {"\u2028", "\u2029"}

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_publish = SNSResponse.publish


class ParameterValueInvalid(SNSException):
    code = "ParameterValueInvalid"


def check_subject(subject: str | None) -> None:
    if subject is None:
        return
    if (
        not subject
        or len(subject) > MAX_SUBJECT_LENGTH
        or any(unicodedata.category(c) in ("Cc", "Cs") or c in _LINE_BREAKS for c in subject)
    ):
        raise SNSInvalidParameter("Invalid parameter: Subject")


def check_attribute_names(attributes: dict[str, Any]) -> None:
    for name, value in attributes.items():
        if (
            len(name) > MAX_ATTRIBUTE_NAME_LENGTH
            or not _ATTRIBUTE_NAME.fullmatch(name)
            or name.lower().startswith(_RESERVED_PREFIXES)
        ):
            raise ParameterValueInvalid(f"The message attribute name '{name}' is invalid.")
        if utf8_bytes(value.get("DataType") or "") > MAX_ATTRIBUTE_TYPE_BYTES:
            raise ParameterValueInvalid(f"The message attribute '{name}' has a data type longer than 256 bytes.")


def _max_message_bytes(response: SNSResponse, topic_arn: str | None) -> int:
    topic = response.backend.topics.get(topic_arn) if topic_arn else None
    return int(getattr(topic, "MaximumMessageSize", DEFAULT_MAX_MESSAGE_BYTES))


def _publish_within_limits(self: SNSResponse) -> Any:
    attributes: dict[str, Any] = self._get_param("MessageAttributes") or {}
    check_subject(self._get_param("Subject"))
    check_attribute_names(attributes)
    message = self._get_param("Message") or ""
    topic_arn = self._get_param("TopicArn") or self._get_param("TargetArn")
    if message_bytes(message, attributes) > _max_message_bytes(self, topic_arn):
        raise SNSInvalidParameter("Invalid parameter: Message too long")
    return _original_publish(self)


def install(assign: Callable[[Any, str, Any], None] = setattr) -> None:
    """Apply the patch (tests pass `monkeypatch.setattr`, to undo it afterwards)."""
    assign(SNSResponse, "publish", _publish_within_limits)
