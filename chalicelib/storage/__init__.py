"""MongoDB storage: one module per collection, each owning its document shape and indexes."""
