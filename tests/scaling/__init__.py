"""Tests of the scaling executors and the demo target."""
