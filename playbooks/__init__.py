"""Playbooks: notification and response."""
