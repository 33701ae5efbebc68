"""Accounts and roles (三员分立) over the API."""
