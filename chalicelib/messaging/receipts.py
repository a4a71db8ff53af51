"""Read receipts: how far the members of a conversation have read it, so a client can show
"Read" (1:1) or "Read by N" (group) on its own messages after a reload, not only while the
live `read` events come in. Members only; a group lists only its current members' markers."""
from chalicelib.core.clock import TIME_SCHEMA, iso
from chalicelib.core.ids import ID_SCHEMA
from chalicelib.core.validation import DEFAULT_PAGE, object_schema
from chalicelib.groups.paging import fetch_page
from chalicelib.storage.conversations import is_direct_id

READ_POSITION_SCHEMA = object_schema({"userId": ID_SCHEMA, "readSeq": {"type": "integer", "minimum": 0},
                                      "readAt": TIME_SCHEMA})


class ReadReceipts:
    def __init__(self, markers, memberships, conversations):
        self._markers = markers
        self._memberships = memberships
        self._conversations = conversations  # anything with authorize(caller, id, need_conversation)

    def of_conversation(self, caller_id, conversation_id, limit=DEFAULT_PAGE, cursor=None):
        """A page of the members' read markers, in user id order (the caller's own included)."""
        markers, next_cursor = fetch_page(
            lambda after, count: self._markers.of_conversation(conversation_id, after, count),
            limit, cursor, lambda marker: (marker["userId"],))
        if is_direct_id(conversation_id):
            self._conversations.authorize(caller_id, conversation_id, need_conversation=False)
        else:
            markers = self._of_current_members(caller_id, conversation_id, markers)
        return {"reads": [_position_view(marker) for marker in markers], "nextCursor": next_cursor}

    def _of_current_members(self, caller_id, group_id, markers):
        """The markers of the group's current members (someone who left keeps a marker, but
        reads no more), if the caller is one: one read answers both."""
        readers = [marker["userId"] for marker in markers]
        members = self._memberships.members_among(group_id, [caller_id, *readers])
        if caller_id not in members:
            self._conversations.authorize(caller_id, group_id, need_conversation=False)  # the refusal
            members = self._memberships.members_among(group_id, readers)  # a member meanwhile
        return [marker for marker in markers if marker["userId"] in members]

def _position_view(marker):
    return {"userId": marker["userId"], "readSeq": marker["readSeq"], "readAt": iso(marker["updatedAt"])}
