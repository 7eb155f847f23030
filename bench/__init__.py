"""``make bench``: the durable relay measured against a minimal one, on 127.0.0.1.

Run ``python -m bench`` (about 10 minutes) or ``python -m bench --quick`` (about 1 minute).
"""
