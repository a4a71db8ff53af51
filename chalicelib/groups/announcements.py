"""Membership changes as domain events, published to whoever should hear of them."""
import logging

from chalicelib.core.clock import iso

log = logging.getLogger("messaging.groups")


def announce(publisher, event_type, group_id, now, *, to_members=False, user_ids=(), **details):
    """Publish `event_type` about `group_id` to its members and/or to `user_ids`.

    The change is already stored when this runs, so a publisher failure is logged and not
    raised: the caller's change succeeded, and clients resynchronise by reading the group.
    """
    event = {"type": event_type, "groupId": group_id, "at": iso(now), **details}
    try:
        publisher.publish(event, conversation_id=group_id if to_members else None, user_ids=tuple(user_ids))
    except Exception as exc:  # noqa: BLE001 - delivery is best effort once the change is stored
        log.warning("could not publish %s: %s", event_type, type(exc).__name__)
