"""The asset register and security zones over HTTP."""
