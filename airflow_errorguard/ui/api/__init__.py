"""The JSON API of the errorguard UI, one module per resource."""
