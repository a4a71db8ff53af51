"""The local stack (`make run`) and its parts, also used by the tests. Never deployed."""
