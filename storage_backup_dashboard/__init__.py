"""Horizon plugin of the storage backup service: panels, forms, workflows and the ``api`` door to the backend."""
