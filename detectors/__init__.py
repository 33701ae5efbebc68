"""Detection: streaming Sigma, correlation, alerting, hunts and the network graph."""
