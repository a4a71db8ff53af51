"""What the API answers about attachments: the views and their JSON Schemas."""
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import object_schema
from chalicelib.media.schemas import ALLOWED_TYPES, MAX_ATTACHMENT_BYTES

_TYPE = {"type": "string", "enum": list(ALLOWED_TYPES)}
_SIZE = {"type": "integer", "minimum": 1, "maximum": MAX_ATTACHMENT_BYTES}
_NAME = {"type": ["string", "null"], "description": "null only when it no longer decrypts."}

# One attachment as a message carries it.
MESSAGE_ATTACHMENT_SCHEMA = object_schema({"id": ID_SCHEMA, "name": _NAME, "contentType": _TYPE, "size": _SIZE})
ATTACHMENT_SCHEMA = object_schema(
    {"id": ID_SCHEMA, "conversationId": ID_SCHEMA, "name": _NAME, "contentType": _TYPE, "size": _SIZE}
)
UPLOAD_SCHEMA = object_schema({
    "attachment": ATTACHMENT_SCHEMA,
    "upload": object_schema({
        "url": {"type": "string", "description": "POST a multipart form here: every field, then `file`."},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "expiresIn": {"type": "integer", "description": "Seconds the form stays valid."},
    }),
})
DOWNLOAD_SCHEMA = object_schema({
    "attachment": ATTACHMENT_SCHEMA,
    "url": {"type": "string", "description": "A presigned GET of the bytes; it names no user."},
    "expiresIn": {"type": "integer", "description": "Seconds the URL stays valid."},
})


def attachment_view(record, name):
    return {"id": record["_id"], "conversationId": record["conversationId"], "name": name,
            "contentType": record["contentType"], "size": record["size"]}


def message_attachment_view(entry, name):
    return {"id": entry["id"], "name": name, "contentType": entry["contentType"], "size": entry["size"]}
