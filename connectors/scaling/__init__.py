"""Executors that change the capacity of a scalable target (see base.py)."""
