"""What push requests may contain and what they answer: JSON Schemas for device
registration and muting (published in the OpenAPI document)."""
from chalicelib.core.clock import TIME_SCHEMA
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import object_schema

# APNs device tokens are 64+ hex digits, FCM registration tokens ~150-250 URL-safe characters.
MAX_TOKEN_CHARS = 4096

REGISTER_DEVICE_SCHEMA = {
    "type": "object",
    "required": ["platform", "token"],
    "additionalProperties": False,
    "properties": {
        "platform": {"type": "string", "enum": ["apns", "fcm"]},
        "token": {"type": "string", "pattern": r"^[A-Za-z0-9_:.\-]{8,4096}$",
                  "description": "The APNs device token (hex) or FCM registration token; never shown back."},
        "name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "e.g. \"Ana's iPhone\"."},
    },
}
MUTE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "until": {"type": "string", "format": "date-time", "maxLength": 64,
                  "x-error-codes": {"type": "invalid_until", "format": "invalid_until", "maxLength": "invalid_until"},
                  "description": "RFC 3339 (400 invalid_until); absent: until unmuted; in the past: unmutes."},
    },
}

DEVICE_SCHEMA = object_schema({
    "id": ID_SCHEMA,
    "platform": {"type": "string", "enum": ["apns", "fcm"]},
    "name": {"type": ["string", "null"]},
    "createdAt": TIME_SCHEMA,
})
MUTE_STATE_SCHEMA = object_schema({
    "conversationId": ID_SCHEMA,
    "muted": {"type": "boolean"},
    "mutedUntil": {"type": ["string", "null"], "format": "date-time", "description": "null: until unmuted."},
})
