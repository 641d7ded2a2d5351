"""Helpers every test folder shares: repository paths, generated frames and a fake Lambda context.

``tests/conftest.py`` puts ``tests/`` on ``sys.path`` (pytest's default import mode), so any test imports
these as ``from support.paths import ROOT``.
"""
