"""Offline analysis of exported metric files: the Analysis workspace
(:mod:`console.analysis.workspace`), its controller, jobs and result tables."""
