"""Group use cases: the catalog of groups, who is in them, joining and leaving, bans and
cooldowns, and the ownership transfer protocol. Nothing here knows HTTP or Chalice."""
