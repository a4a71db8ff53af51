"""The reads a send or a history page needs before it can act, each set made in one round trip
(chalicelib/storage/batch.py), and whether they show the caller may read and send.

`member` in what they answer is True when the reads show it: a current member of the group, or
a participant of the 1:1 (anyone else in a 1:1 is refused here, 404, as `authorize` does). When
it is False the use case asks `Messaging.authorize`, which refuses with the group routes'
answers, or finds a member who joined meanwhile.
"""
from chalicelib.core.errors import NotFound
from chalicelib.core.validation import normalise_email
from chalicelib.storage.batch import field_of, read_together
from chalicelib.storage.conversations import direct_conversation_id, is_direct_id
from chalicelib.storage.groups import JOINED_HISTORY
from chalicelib.storage.memberships import MEMBER, joined_at_expression


def for_sending(*, conversations, users, keyring, memberships, caller_id, conversation_id):
    """{conversation, sender, key (the current key's document), membership (a group's), member}."""
    reads = {"conversation": conversations.get_read(conversation_id),
             "sender": users.by_id_read(caller_id),
             "key": keyring.current_read(conversation_id)}
    if not is_direct_id(conversation_id):
        reads["membership"] = memberships.get_read(conversation_id, caller_id)
    return _decided(read_together(reads), caller_id, conversation_id)


def people(*, users, caller_id, emails):
    """{caller: the caller's account or None, byEmail: {email: account}} for a 1:1 named by
    `emails` (normalised here), in one round trip."""
    return read_together({"caller": users.by_id_read(caller_id),
                          "byEmail": users.by_emails_read([normalise_email(email) for email in emails])})


def for_direct_sending(*, conversations, keyring, blocks, caller_id, other_id):
    """{conversation (None before the pair's first message), key (the current key's document),
    blocked (whether `other_id` blocked the caller; absent without a block store)}."""
    conversation_id = direct_conversation_id(caller_id, other_id)
    reads = {"conversation": conversations.get_read(conversation_id), "key": keyring.current_read(conversation_id)}
    if blocks is not None:
        reads["blocked"] = blocks.has_blocked_read(other_id, caller_id)
    return read_together(reads)


def for_history(*, conversations, memberships, groups, messages, keyring, caller_id, conversation_id, limit, before,
                after):
    """{conversation (a 1:1's) or membership and group (a group's), page, keys, member}: the page under
    the floor the membership and group make (messages._floor, as an expression over those two
    reads), and the stored key versions its messages name."""
    if is_direct_id(conversation_id):
        reads = {"conversation": conversations.get_read(conversation_id),
                 "page": messages.page_read(conversation_id, limit=limit, before=before, after=after)}
    else:
        floor = {"$cond": [{"$eq": [field_of("group", "historyVisibility"), JOINED_HISTORY]},
                           joined_at_expression("membership"), None]}
        reads = {"membership": memberships.get_read(conversation_id, caller_id),
                 "group": groups.get_read(conversation_id),
                 "page": messages.page_read(conversation_id, limit=limit, before=before, after=after, since=floor)}
    reads["keys"] = keyring.versions_read(conversation_id, {"$map": {"input": "$page", "in": "$$this.keyVersion"}})
    return _decided(read_together(reads), caller_id, conversation_id)


def _decided(found, caller_id, conversation_id):
    if is_direct_id(conversation_id):
        conversation = found["conversation"]
        if conversation is None or caller_id not in conversation["participants"]:
            raise NotFound("There is no such conversation.", "conversation_not_found")
        found["member"] = True
    else:
        found["member"] = found["membership"] is not None and found["membership"]["state"] == MEMBER
    return found
