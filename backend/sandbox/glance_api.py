"""Glance v2 REST API of the embedded cloud (routes on ``glance.image``)."""
from __future__ import annotations

from backend.sandbox.glance import image
from backend.sandbox.http import Call

VERSIONS = ("2.16", "2.15", "2.9", "2.7", "2.6", "2.5", "2.4", "2.3", "2.2", "2.1", "2.0")


@image.route("/", public=True)
@image.route("/versions", public=True)
def versions(call: Call):
    values = [{"id": f"v{v}", "status": "CURRENT" if i == 0 else "SUPPORTED",
               "links": [{"rel": "self", "href": call.url("/image/v2/")}]} for i, v in enumerate(VERSIONS)]
    return 300 if call.request.path.rstrip("/") == "/image" else 200, {"versions": values}
