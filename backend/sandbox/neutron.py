"""Neutron v2.0 of the embedded cloud."""
from __future__ import annotations

from backend.sandbox.http import Call, Service, neutron_error_body

network = Service("network", "/network", error_body=neutron_error_body)


@network.route("/", public=True)
def versions(call: Call):
    return 200, {"versions": [{"id": "v2.0", "status": "CURRENT",
                               "links": [{"rel": "self", "href": call.url("/network/v2.0/")}]}]}
