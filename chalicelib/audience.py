"""Who belongs to a conversation: a group's members, or a 1:1 chat's two participants."""
from chalicelib.storage.groups import GroupStore
from chalicelib.storage.memberships import MembershipStore


class ConversationAudience:
    def __init__(self, groups, memberships, conversations):
        self._groups = groups
        self._memberships = memberships
        self._conversations = conversations

    @classmethod
    def from_env(cls):
        from chalicelib.storage.conversations import ConversationStore

        return cls(GroupStore.from_env(), MembershipStore.from_env(), ConversationStore.from_env())

    def member_ids(self, conversation_id, after=None, limit=500):
        """Up to `limit` member ids of the conversation in id order, after `after`."""
        if self._groups.get(conversation_id) is not None:
            return self._memberships.member_ids(conversation_id, after=after, limit=limit)
        participants = sorted(self._conversations.participant_ids(conversation_id))
        return [user for user in participants if after is None or user > after][:limit]
