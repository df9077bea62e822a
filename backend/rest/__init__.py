"""The REST API (``/v1``): Django REST framework views over ``backend.services``, Keystone tokens, OpenAPI."""
