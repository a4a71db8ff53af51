"""Who belongs to a conversation: a group's members, or a 1:1 chat's two participants."""
from chalicelib.storage.conversations import ConversationStore, is_direct_id
from chalicelib.storage.memberships import MembershipStore


class ConversationAudience:
    def __init__(self, memberships, conversations):
        self._memberships = memberships
        self._conversations = conversations

    @classmethod
    def from_env(cls):
        return cls(MembershipStore.from_env(), ConversationStore.from_env())

    def member_ids(self, conversation_id, after=None, limit=500):
        """Up to `limit` member ids of the conversation in id order, after `after`.

        A 1:1 id is recognised by its form, so a group's fan-out job reads only its members
        (no group document first: groups are never deleted, and a group id is never a 1:1 id).
        """
        if not is_direct_id(conversation_id):
            return self._memberships.member_ids(conversation_id, after=after, limit=limit)
        participants = sorted(self._conversations.participant_ids(conversation_id))
        return [user for user in participants if after is None or user > after][:limit]

    def conversations_of(self, user_id, limit=1000):
        """The ids of the conversations `user_id` belongs to: their groups, then their 1:1 chats."""
        return self._memberships.group_ids_of(user_id, limit=limit) + self._conversations.direct_ids_of(user_id, limit)
