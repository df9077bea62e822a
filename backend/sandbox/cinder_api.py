"""Cinder v3 REST API of the embedded cloud (routes on ``cinder.volume``)."""
from __future__ import annotations

from backend.sandbox.cinder import volume
from backend.sandbox.http import Call


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
