"""Users and groups for the benchmarks that drive the local stack, written straight through
the app's own stores (thousands of sign-ups through REST would be the benchmark's bottleneck,
and sign-up is not what these benchmarks measure), with tokens signed as /login signs them."""
import uuid

from bench.environment import BCRYPT_ROUNDS, JWT_SECRET

PASSWORD = "bench password"


class Population:
    def __init__(self, mongo_uri, database):
        from pymongo import MongoClient

        from chalicelib.accounts.passwords import Passwords
        from chalicelib.accounts.tokens import Tokens
        from chalicelib.storage.groups import GroupStore
        from chalicelib.storage.memberships import MembershipStore
        from chalicelib.storage.sessions import SessionStore
        from chalicelib.storage.users import UserStore

        self._client = MongoClient(mongo_uri, tz_aware=True)
        self.db = self._client[database]
        self._users = UserStore(self.db)
        self._groups = GroupStore(self.db)
        self._memberships = MembershipStore(self.db)
        self._sessions = SessionStore(self.db)
        self._hash = Passwords(int(BCRYPT_ROUNDS)).hash(PASSWORD)
        # The issuer and audience are the app's defaults (chalicelib/core/config.py).
        self._tokens = Tokens(JWT_SECRET, "secure-messaging", "secure-messaging-clients", 3600)

    def users(self, count, prefix="bench"):
        """`count` new users: [{id, email, token}]."""
        made = []
        for _ in range(count):
            email = f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
            user = self._users.create(email=email, name="Bench user", password_hash=self._hash)
            made.append({"id": user["_id"], "email": email, "token": self._tokens.issue(user["_id"], self._session(user))})
        return made

    def _session(self, user):
        """A session for `user`, as logging in opens one (its access tokens need it)."""
        from datetime import timedelta

        from chalicelib.core.clock import utcnow
        from chalicelib.core.ids import new_id

        now, session_id = utcnow(), new_id()
        self._sessions.create(session_id=session_id, user_id=user["_id"], user_agent="bench", refresh_hash=new_id(),
                              now=now, expires_at=now + timedelta(days=1))
        return session_id

    def group(self, owner, members):
        """A new open group owned by `owner` with `members` (users) in it; its id."""
        from chalicelib.core.clock import utcnow
        from chalicelib.core.ids import new_id
        from chalicelib.storage.memberships import MEMBER, MEMBER_ROLE, membership_id

        now = utcnow()
        group_id = new_id()
        self._memberships.add_owner(group_id, owner["id"], now)
        self._groups.create(group_id=group_id, name="Bench", group_type="open", owner_id=owner["id"],
                            rejoin_cooldown_seconds=0, now=now)
        # One bulk insert, in the shape MembershipStore.enter writes (a thousand upserts would
        # take longer than the benchmark they prepare).
        documents = [{"_id": membership_id(group_id, member["id"]), "groupId": group_id, "userId": member["id"],
                      "state": MEMBER, "role": MEMBER_ROLE, "since": now} for member in members]
        if documents:
            self.db["memberships"].insert_many(documents)
            self._groups.count_member(group_id, len(members))
        return group_id

    def connections_of(self, user_ids):
        """The open connections of `user_ids`, as the fan-out consumer finds them."""
        from chalicelib.storage.connections import ConnectionStore

        return ConnectionStore(self.db).of_users(user_ids)

    def close(self):
        self._client.close()
