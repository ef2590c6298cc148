"""Runnable examples: the `make run` session and the developer guide's complete simulator."""
