"""Replies and mentions a new message may carry, checked before it is stored.

`replyTo` names a message of the same conversation that is not deleted; `mentions` name
current members (a group's) or participants (a 1:1's). Anything else is 400 and nothing is
stored. The checks cost one point read for a reply and one indexed read for mentions.
"""
from chalicelib.core.errors import InvalidInput
from chalicelib.storage.conversations import direct_conversation_id, is_direct_id

MAX_MENTIONS = 50


def checked_references(messages, memberships, conversation_id, sender_id, reply_to=None, mentions=None):
    """The fields a message stores for its reply and mentions ({} for none); InvalidInput if wrong."""
    fields = {}
    if reply_to is not None:
        target = messages.get(reply_to, conversation_id)
        if target is None or target["conversationId"] != conversation_id:
            raise InvalidInput("replyTo must name a message of this conversation.", "invalid_reply_to")
        if target.get("deleted"):
            raise InvalidInput("The message replied to was deleted.", "invalid_reply_to")
        fields["replyTo"] = reply_to
    if mentions:
        unique = list(dict.fromkeys(mentions))
        if len(unique) > MAX_MENTIONS:
            raise InvalidInput(f"A message mentions at most {MAX_MENTIONS} people.", "too_many_mentions")
        if is_direct_id(conversation_id):
            members = {user for user in unique
                       if user == sender_id or direct_conversation_id(sender_id, user) == conversation_id}
        else:
            members = memberships.members_among(conversation_id, unique)
        if len(members) != len(unique):
            raise InvalidInput("Only members of the conversation can be mentioned.", "invalid_mentions")
        fields["mentions"] = unique
    return fields
