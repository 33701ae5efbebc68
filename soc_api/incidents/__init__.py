"""Incidents (事件): GB/T 20986 category and level, timeline, evidence, handling record."""
