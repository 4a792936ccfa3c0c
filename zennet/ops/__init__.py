"""Primitive ops: forward and backward on arrays, one family a file."""
