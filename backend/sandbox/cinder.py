"""Cinder v3 of the embedded cloud (microversions 3.0-3.71)."""
from __future__ import annotations

from backend.sandbox.http import Call, Microversions, Service

MIN_VERSION = (3, 0)
MAX_VERSION = (3, 71)
volume = Service("volume", "/volume", microversions=Microversions("volume", MIN_VERSION, MAX_VERSION))


def _version_v3(call: Call) -> dict:
    return {"id": "v3.0", "status": "CURRENT", "version": "3.71", "min_version": "3.0",
            "updated": "2023-08-31T00:00:00Z",
            "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                      {"rel": "self", "href": call.url("/volume/v3/")}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.volume+json;version=3"}]}


@volume.route("/", public=True)
def versions(call: Call):
    return 300, {"versions": [_version_v3(call)]}


@volume.route("/v3/", public=True)
def version_v3(call: Call):
    return 200, {"versions": [_version_v3(call)]}
