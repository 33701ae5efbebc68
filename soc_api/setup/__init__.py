"""First start: the three admin accounts (三员分立) created by three people with a one-time link."""
