"""Thin REST handlers, one blueprint per area: parse, call one use case, return."""
