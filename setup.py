from setuptools import setup

# All metadata lives in pyproject.toml; this shim is for tools that still call setup.py.
setup()
