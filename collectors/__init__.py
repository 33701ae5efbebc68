"""Collectors: transports that receive records and parsers that turn them into ECS events."""
