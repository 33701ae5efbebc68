"""The operation log (操作日志): reading, verifying, and recording every state-changing request."""
