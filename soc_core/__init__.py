"""Kernel of Shaowang: the ECS event, vocabulary, records, alerts, settings, storage, state."""
