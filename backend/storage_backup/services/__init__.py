# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The service layer: every rule of the control plane lives here.

The REST API, the Horizon plugin (through the REST API) and the control worker all call these functions; none
of them talks to the catalog models directly for anything that changes state. Functions take a ``Caller`` (who
asks, in which project, with which roles) and raise ``ServiceError`` subclasses the API maps to HTTP codes.
"""
