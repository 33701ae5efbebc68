"""Alert triage: the queue, assignment, status, disposition, comments, bulk actions, grouping."""
