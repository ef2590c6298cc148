"""Simulated instruments over real sockets, and the plugin framework that serves them."""

__version__ = "0.1.0"
