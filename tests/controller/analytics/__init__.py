"""Yield analytics: the figures, their text, the commands and the page that defines them."""
