"""Total unread counts (a push's badge) for many users at once.

A user's unread count is, over every conversation of theirs with messages, its `lastSeq`
less their read marker (as GET /conversations counts it). For the users of one fan-out job
that is three queries whatever their number: their group memberships, the conversations
(their 1:1s and those groups) with `lastSeq`, and the markers of exactly those
(conversation, user) pairs. No counter is written on the send path: a send to a group of
5,000 would otherwise be 5,000 writes.
"""


class UnreadTotals:
    def __init__(self, memberships, conversations, read_markers):
        self._memberships = memberships
        self._conversations = conversations
        self._markers = read_markers

    def of_users(self, user_ids):
        """{userId: total unread messages} for each of `user_ids`."""
        user_ids = list(user_ids)
        if not user_ids:
            return {}
        groups_of = self._memberships.group_ids_of_users(user_ids)
        all_groups = {group_id for groups in groups_of.values() for group_id in groups}
        found = {conversation["_id"]: conversation for conversation in
                 self._conversations.last_seqs(user_ids, all_groups)}
        wanted = set(user_ids)
        pairs = {(group_id, user_id) for user_id, groups in groups_of.items() for group_id in groups
                 if group_id in found}
        pairs.update((conversation_id, user_id) for conversation_id, conversation in found.items()
                     for user_id in conversation.get("participants", ()) if user_id in wanted)
        read = self._markers.read_seqs_of_pairs(pairs)
        totals = dict.fromkeys(user_ids, 0)
        for conversation_id, user_id in pairs:
            last_seq = found[conversation_id]["lastSeq"]
            totals[user_id] += last_seq - min(read.get((conversation_id, user_id), 0), last_seq)
        return totals

