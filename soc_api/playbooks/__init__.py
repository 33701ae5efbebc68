"""Playbooks over HTTP: what is loaded, runs step by step, approvals and blocks."""
