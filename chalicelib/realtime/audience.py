"""Who belongs to a conversation: a group's members, or a 1:1 chat's two participants."""
from chalicelib.storage.conversations import ConversationStore, is_direct_id
from chalicelib.storage.groups import JOINED_HISTORY, GroupStore
from chalicelib.storage.memberships import MembershipStore


class ConversationAudience:
    def __init__(self, memberships, conversations, groups):
        self._memberships = memberships
        self._conversations = conversations
        self._groups = groups

    @classmethod
    def from_env(cls):
        return cls(MembershipStore.from_env(), ConversationStore.from_env(), GroupStore.from_env())

    def member_ids(self, conversation_id, after=None, limit=500, sent_at=None):
        """Up to `limit` member ids of the conversation in id order, after `after`; with
        `sent_at` (an edit, deletion or reaction of a message sent then), in a "joined"-history
        group only those who joined by then, as only they can read the message.

        A 1:1 id is recognised by its form, so a group's fan-out job reads only its members
        (no group document first: groups are never deleted, and a group id is never a 1:1 id);
        only a job about an older message reads the group, for its history visibility.
        """
        if not is_direct_id(conversation_id):
            if sent_at is not None and (self._groups.get(conversation_id) or {}).get("historyVisibility") != JOINED_HISTORY:
                sent_at = None
            return self._memberships.member_ids(conversation_id, after=after, limit=limit, joined_by=sent_at)
        participants = sorted(self._conversations.participant_ids(conversation_id))
        return [user for user in participants if after is None or user > after][:limit]

    def conversations_of(self, user_id, limit=1000):
        """The ids of the conversations `user_id` belongs to: their groups, then their 1:1 chats."""
        return self._memberships.group_ids_of(user_id, limit=limit) + self._conversations.direct_ids_of(user_id, limit)
