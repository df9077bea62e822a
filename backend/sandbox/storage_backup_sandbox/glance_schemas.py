# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The JSON schemas Glance v2 publishes (``/v2/schemas/...``), in the shape glance 2024.1 builds them.

python-glanceclient downloads ``schemas/image`` and validates every image it receives against it (warlock), so an
image the sandbox renders must fit this schema: core attributes as typed here, any other property a string.
"""
from __future__ import annotations

import copy

from storage_backup_sandbox.glance import CONTAINER_FORMATS, DISK_FORMATS

UUID_PATTERN = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$")

BASE_PROPERTIES = {
    "id": {"type": "string", "description": "An identifier for the image", "pattern": UUID_PATTERN},
    "name": {"type": ["null", "string"], "description": "Descriptive name for the image", "maxLength": 255},
    "status": {"type": "string", "readOnly": True, "description": "Status of the image",
               "enum": ["queued", "saving", "active", "killed", "deleted", "uploading", "importing",
                        "pending_delete", "deactivated"]},
    "visibility": {"type": "string", "description": "Scope of image accessibility",
                   "enum": ["community", "public", "private", "shared"]},
    "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
    "os_hidden": {"type": "boolean", "description": "If true, image will not appear in default image list "
                                                    "response."},
    "checksum": {"type": ["null", "string"], "readOnly": True, "description": "md5 hash of image contents.",
                 "maxLength": 32},
    "os_hash_algo": {"type": ["null", "string"], "readOnly": True,
                     "description": "Algorithm to calculate the os_hash_value", "maxLength": 64},
    "os_hash_value": {"type": ["null", "string"], "readOnly": True,
                      "description": "Hexdigest of the image contents using the algorithm specified by the "
                                     "os_hash_algo", "maxLength": 128},
    "owner": {"type": ["null", "string"], "description": "Owner of the image", "maxLength": 255},
    "size": {"type": ["null", "integer"], "readOnly": True, "description": "Size of image file in bytes"},
    "virtual_size": {"type": ["null", "integer"], "readOnly": True, "description": "Virtual size of image in bytes"},
    "container_format": {"type": ["null", "string"], "description": "Format of the container",
                         "enum": [None, *CONTAINER_FORMATS]},
    "disk_format": {"type": ["null", "string"], "description": "Format of the disk", "enum": [None, *DISK_FORMATS]},
    "created_at": {"type": "string", "readOnly": True, "description": "Date and time of image registration"},
    "updated_at": {"type": "string", "readOnly": True,
                   "description": "Date and time of the last image modification"},
    "tags": {"type": "array", "description": "List of strings related to the image",
             "items": {"type": "string", "maxLength": 255}},
    "direct_url": {"type": "string", "readOnly": True,
                   "description": "URL to access the image file kept in external store"},
    "min_ram": {"type": "integer", "description": "Amount of ram (in MB) required to boot image."},
    "min_disk": {"type": "integer", "description": "Amount of disk space (in GB) required to boot image."},
    "self": {"type": "string", "readOnly": True, "description": "An image self url"},
    "file": {"type": "string", "readOnly": True, "description": "An image file url"},
    "stores": {"type": "string", "readOnly": True,
               "description": "Store in which image data resides.  Only present when the operator has enabled "
                              "multiple stores.  May be a comma-separated list of store identifiers."},
    "schema": {"type": "string", "readOnly": True, "description": "An image schema url"},
    "locations": {"type": "array", "items": {
        "type": "object",
        "properties": {"url": {"type": "string", "maxLength": 255}, "metadata": {"type": "object"},
                       "validation_data": {
                           "description": "Values to be used to populate the corresponding image properties. If "
                                          "the image status is not 'queued', values must exactly match those "
                                          "already contained in the image properties.",
                           "type": "object", "writeOnly": True, "additionalProperties": False,
                           "properties": {"checksum": {"type": "string", "minLength": 32, "maxLength": 32},
                                          "os_hash_algo": {"type": "string", "maxLength": 64},
                                          "os_hash_value": {"type": "string", "maxLength": 128}},
                           "required": ["os_hash_algo", "os_hash_value"]}},
        "required": ["url", "metadata"]},
        "description": "A set of URLs to access the image file kept in external store"},
}

# etc/schema-image.json of a default glance install: the "custom" properties, marked is_base False
CUSTOM_PROPERTIES = {
    "kernel_id": {"type": ["null", "string"], "pattern": UUID_PATTERN,
                  "description": "ID of image stored in Glance that should be used as the kernel when booting an "
                                 "AMI-style image.", "is_base": False},
    "ramdisk_id": {"type": ["null", "string"], "pattern": UUID_PATTERN,
                   "description": "ID of image stored in Glance that should be used as the ramdisk when booting an "
                                  "AMI-style image.", "is_base": False},
    "instance_uuid": {"type": "string", "description": "Metadata which can be used to record which instance this "
                      "image is associated with. (Informational only, does not create an instance snapshot.)",
                      "is_base": False},
    "architecture": {"description": "Operating system architecture as specified in "
                     "https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
                     "type": "string", "is_base": False},
    "os_distro": {"description": "Common name of operating system distribution as specified in "
                  "https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
                  "type": "string", "is_base": False},
    "os_version": {"description": "Operating system version as specified by the distributor.", "type": "string",
                   "is_base": False},
    "description": {"description": "A human-readable string describing this image.", "type": "string",
                    "is_base": False},
    "cinder_encryption_key_id": {"description": "Identifier in the OpenStack Key Management Service for the "
                                 "encryption key for the Block Storage Service to use when mounting a volume "
                                 "created from this image", "type": "string", "is_base": False},
    "cinder_encryption_key_deletion_policy": {"description": "States the condition under which the Image Service "
                                              "will delete the object associated with the "
                                              "'cinder_encryption_key_id' image property.  If this property is "
                                              "missing, the Image Service will take no action",
                                              "type": "string", "enum": ["on_image_deletion", "do_not_delete"],
                                              "is_base": False},
}

IMAGE_LINKS = [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
               {"rel": "describedby", "href": "{schema}"}]


def image_schema() -> dict:
    properties = copy.deepcopy(BASE_PROPERTIES)
    properties.update(copy.deepcopy(CUSTOM_PROPERTIES))
    return {"name": "image", "properties": properties, "additionalProperties": {"type": "string"},
            "links": copy.deepcopy(IMAGE_LINKS)}


def collection(name: str, item: dict) -> dict:
    return {"name": name,
            "properties": {name: {"type": "array", "items": item}, "first": {"type": "string"},
                           "next": {"type": "string"}, "schema": {"type": "string"}},
            "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                      {"rel": "describedby", "href": "{schema}"}]}


def images_schema() -> dict:
    return collection("images", image_schema())


MEMBER_PROPERTIES = {
    "member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"},
    "image_id": {"type": "string", "description": "An identifier for the image", "pattern": UUID_PATTERN},
    "created_at": {"type": "string", "description": "Date and time of image member creation"},
    "updated_at": {"type": "string", "description": "Date and time of last modification of image member"},
    "status": {"type": "string", "description": "The status of this image member",
               "enum": ["pending", "accepted", "rejected"]},
    "schema": {"readOnly": True, "type": "string"},
}


def member_schema() -> dict:
    return {"name": "member", "properties": copy.deepcopy(MEMBER_PROPERTIES), "additionalProperties": False}


def members_schema() -> dict:
    return collection("members", member_schema())


NAMESPACE_PROPERTIES = {
    "namespace": {"type": "string", "maxLength": 80, "description": "The unique namespace text."},
    "display_name": {"type": "string", "maxLength": 80,
                     "description": "The user friendly name for the namespace. Used by UI if available."},
    "description": {"type": "string", "maxLength": 500, "description": "Provides a user friendly description of "
                    "the namespace."},
    "visibility": {"type": "string", "description": "Scope of namespace accessibility.",
                   "enum": ["public", "private"]},
    "protected": {"type": "boolean", "description": "If true, namespace will not be deletable."},
    "owner": {"type": "string", "maxLength": 255, "description": "Owner of the namespace."},
    "created_at": {"type": "string", "readOnly": True, "description": "Date and time of namespace creation",
                   "format": "date-time"},
    "updated_at": {"type": "string", "readOnly": True, "description": "Date and time of the last namespace "
                   "modification", "format": "date-time"},
    "schema": {"readOnly": True, "type": "string"},
    "self": {"readOnly": True, "type": "string"},
    "resource_type_associations": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "prefix": {"type": "string"}, "properties_target": {"type": "string"}}}},
    "properties": {"$ref": "#/definitions/property"},
    "objects": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "description": {"type": "string"},
        "required": {"$ref": "#/definitions/stringArray"}, "properties": {"$ref": "#/definitions/property"}}}},
    "tags": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
}

DEFINITIONS = {
    "positiveInteger": {"type": "integer", "minimum": 0},
    "positiveIntegerDefault0": {"allOf": [{"$ref": "#/definitions/positiveInteger"}, {"default": 0}]},
    "stringArray": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "property": {"type": "object", "additionalProperties": {"type": "object", "required": ["title", "type"],
                                                            "properties": {"name": {"type": "string"},
                                                                           "title": {"type": "string"},
                                                                           "description": {"type": "string"},
                                                                           "type": {"type": "string"}}}},
}


def namespace_schema() -> dict:
    return {"name": "namespace", "properties": copy.deepcopy(NAMESPACE_PROPERTIES), "additionalProperties": False,
            "definitions": copy.deepcopy(DEFINITIONS), "required": ["namespace"],
            "links": [{"rel": "self", "href": "{self}"}, {"rel": "describedby", "href": "{schema}"}]}


def namespaces_schema() -> dict:
    item = namespace_schema()
    definitions = item.pop("definitions")
    body = collection("namespaces", item)
    body["definitions"] = definitions
    return body


SCHEMAS = {
    "image": image_schema, "images": images_schema, "member": member_schema, "members": members_schema,
    "metadefs/namespace": namespace_schema, "metadefs/namespaces": namespaces_schema,
}
