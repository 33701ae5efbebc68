"""The dashboard: event rates, alerts over time, top attackers and targets, source and rule health."""
