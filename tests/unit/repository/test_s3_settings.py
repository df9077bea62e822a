# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""An S3 location as the catalog keeps it: every setting survives the round trip, the endpoint is an http(s) URL
without credentials, and no refusal repeats what it was given (a mistyped location may carry a key)."""
from __future__ import annotations

import pytest
from storage_backup.repository import InvalidRequest, S3Settings

KEY = "SECRET-KEY-IN-A-LOCATION"


@pytest.mark.parametrize("location", [
    "s3://bkt/p?endpoint=https://rgw.example:8443&verify=0&connect_timeout=2.5&max_attempts=3",
    "s3://bkt?verify=/etc/ssl/rgw-ca.pem&read_timeout=30",
    "s3://bkt/p/q?lock=GOVERNANCE&lock_days=0.5&noncurrent_days=2&path_style=1&region=default",
])
def test_a_location_keeps_every_setting(location):
    settings = S3Settings.from_location(location)
    assert S3Settings.from_location(settings.location) == settings


@pytest.mark.parametrize("location", [
    f"https://AK:{KEY}@rgw.example/bucket",
    f"s3://AK:{KEY}@bucket/p",
    f"s3://bucket/p?secret_key={KEY}",
    f"s3://bucket/p?endpoint=http://AK:{KEY}@127.0.0.1:7480",
    f"s3://bucket/p?endpoint=ftp://{KEY}.example",
    f"s3://bucket/p?endpoint=http://127.0.0.1:{KEY}",
    f"s3://bucket/p?endpoint=http://127.0.0.1:7480/?k={KEY}",
    f"s3://[{KEY}/p",
    "s3://bucket/p?noncurrent_days=0",
    "s3://bucket/p?noncurrent_days=1.5",
])
def test_bad_locations_are_refused_without_repeating_them(location):
    with pytest.raises(InvalidRequest) as refused:
        S3Settings.from_location(location)
    assert KEY not in str(refused.value)


@pytest.mark.parametrize("location", [
    "s3://MyBucket/p",  # S3 bucket names are lower case: never folded into another bucket
    "s3://bad_name!/p",
    "s3://ab/p",  # three characters at least
    "s3://bkt/p?lock=COMPLIANCE&lock_days=inf",
    "s3://bkt/p?lock=COMPLIANCE&lock_days=nan",
    "s3://bkt/p?lock=COMPLIANCE&lock_days=1e308",  # a COMPLIANCE lock nobody could ever lift
    "s3://bkt/p?part_size=999999999999999999999",  # beyond S3's largest part
])
def test_absurd_locations_are_refused(location):
    with pytest.raises(InvalidRequest):
        S3Settings.from_location(location)
