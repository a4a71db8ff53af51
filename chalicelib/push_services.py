"""The composition root's mobile-push part (chalicelib/services.py): the stores, the SNS
adapter and the use cases of devices, mutes and notifications, each built on first use.
`Services` inherits them, so `build(db, mobile_push=fake)` replaces one as for any other."""
import functools


class PushServices:
    """Mixed into Services, whose other attributes (db, clock, limiter, stores) these use."""

    @functools.cached_property
    def device_store(self):
        from chalicelib.storage.devices import DeviceStore

        return DeviceStore(self.db)

    @functools.cached_property
    def mute_store(self):
        from chalicelib.storage.mutes import MuteStore

        return MuteStore(self.db)

    @functools.cached_property
    def mobile_push(self):
        from chalicelib.realtime.sns import MobilePush

        return MobilePush.from_env()

    @functools.cached_property
    def mutes(self):
        from chalicelib.messaging.mutes import Mutes

        return Mutes(self.mute_store, self.messaging, self.clock)

    @functools.cached_property
    def devices(self):
        from chalicelib.realtime.devices import Devices

        return Devices(self.device_store, self.mobile_push, self.limiter)

    @functools.cached_property
    def notifier(self):
        from chalicelib.messaging.unread import UnreadTotals
        from chalicelib.realtime.notifications import Notifier
        from chalicelib.storage.push_receipts import PushReceiptStore

        unread = UnreadTotals(self.membership_store, self.conversation_store, self.read_marker_store)
        return Notifier(devices=self.device_store, mutes=self.mute_store, users=self.user_store,
                        groups=self.group_store, unread=unread, receipts=PushReceiptStore(self.db),
                        push=self.mobile_push, clock=self.clock)
