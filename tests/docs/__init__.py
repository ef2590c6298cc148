"""The documentation's own checks: its examples run, its reference page matches the code.

``make docs`` runs them after building the pages (they check the docs, so
``make unit`` leaves them out of its coverage run).
"""
