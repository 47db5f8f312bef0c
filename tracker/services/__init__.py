"""The rules of the product. Every interface (web, API, CLI) calls these functions.

A service takes the session and model objects, flushes but never commits, never touches
``flask.request``, and raises ``tracker.errors`` exceptions when a rule refuses.
"""
