"""The server-rendered pages of the errorguard UI, one module per resource."""
