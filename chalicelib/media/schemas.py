"""What attachment requests may contain (published in the OpenAPI document): the types and
the size cap CONTRACT.md pins, and a message's list of attachment ids."""
from chalicelib.core.ids import ID_SCHEMA

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # 25 MiB
MAX_ATTACHMENTS_PER_MESSAGE = 10
MAX_NAME_CHARS = 255
ALLOWED_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "audio/mpeg",
    "audio/mp4",
    "video/mp4",
    "text/plain",
)

# Type and size are checked by the use case too (400 unsupported_type / invalid_size), so a
# socket frame or a future route gets the same answers; the schema publishes them.
CREATE_SCHEMA = {
    "type": "object",
    "required": ["conversationId", "name", "contentType", "size"],
    "additionalProperties": False,
    "properties": {
        "conversationId": ID_SCHEMA,
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS,
                 "description": "The file's name as the person sees it (kept encrypted)."},
        "contentType": {"type": "string", "enum": list(ALLOWED_TYPES)},
        "size": {"type": "integer", "minimum": 1, "maximum": MAX_ATTACHMENT_BYTES,
                 "description": "Bytes; the upload must be exactly this long."},
    },
}
# What a send names: ids from POST /attachments, each at most once.
ATTACHMENT_IDS_SCHEMA = {
    "type": "array",
    "items": ID_SCHEMA,
    "maxItems": MAX_ATTACHMENTS_PER_MESSAGE,
    "uniqueItems": True,
    "x-error-codes": {"uniqueItems": "duplicate_attachment"},
    "description": f"Up to {MAX_ATTACHMENTS_PER_MESSAGE} ids from POST /attachments, each once, uploaded by the sender "
                   "to this conversation and not attached elsewhere (else 400); `text` may then be empty.",
}
