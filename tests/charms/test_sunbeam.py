# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Sunbeam path, checked as far as this machine allows (no container engine, no cluster): the Kubernetes
manifests against the Kubernetes API schemas (kubernetes-validate, strict) and against each other and the product's
units; the Dockerfiles parsed (dockerfile-parse) and held to the rules a hadolint run would enforce; the build scripts
pass every build argument the Dockerfiles use."""
from __future__ import annotations

import io
import os
import re
import shlex
import subprocess

import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUNBEAM = os.path.join(REPO_ROOT, "tools", "sunbeam")
MANIFESTS = os.path.join(SUNBEAM, "manifests")
UNITS = os.path.join(REPO_ROOT, "backend", "etc", "systemd")
#: Canonical Kubernetes as Sunbeam deploys it is 1.30 or later.
KUBERNETES_VERSION = "1.30"


def load(name: str) -> list[dict]:
    with open(os.path.join(MANIFESTS, name), encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def kustomization() -> dict:
    return load("kustomization.yaml")[0]


def resources() -> list[dict]:
    return [doc for name in kustomization()["resources"] for doc in load(name)]


def workloads() -> list[dict]:
    return [doc for doc in resources() if doc["kind"] in ("Deployment", "StatefulSet")]


def containers(workload: dict) -> list[dict]:
    spec = workload["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


# -- manifests ----------------------------------------------------------------------------------------------------

def test_every_resource_validates_against_the_kubernetes_schema():
    listed = kustomization()["resources"]
    assert sorted(listed) == sorted(n for n in os.listdir(MANIFESTS) if n != "kustomization.yaml")
    kinds = []
    for doc in resources():
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        kinds.append(doc["kind"])
    assert sorted(kinds) == ["Deployment", "Deployment", "Deployment", "Service", "Service", "StatefulSet"]


def test_the_schema_check_refuses_a_wrong_manifest():
    deployment = next(doc for doc in resources() if doc["kind"] == "Deployment")
    deployment["spec"]["replica"] = 2  # a typo the API server would drop silently
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    del deployment["spec"]["replica"], deployment["spec"]["selector"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_selectors_services_and_secrets_agree():
    generated = {secret["name"] for secret in kustomization()["secretGenerator"]}
    images = {image["name"] for image in kustomization()["images"]}
    ports = {}
    for workload in workloads():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items(), workload["metadata"]["name"]
        for container in containers(workload):
            image = container["image"]
            assert image in images or (":" in image and not image.endswith(":latest")), image
            for ref in container.get("envFrom", []):
                assert ref["secretRef"]["name"] in generated
            for env in container.get("env", []):
                assert env["valueFrom"]["secretKeyRef"]["name"] in generated
            for port in container.get("ports", []):
                ports.setdefault(tuple(sorted(labels.items())), set()).add(port["name"])
    for service in (doc for doc in resources() if doc["kind"] == "Service"):
        selector = service["spec"]["selector"]
        matching = [names for labels, names in ports.items() if selector.items() <= dict(labels).items()]
        assert matching, f"Service {service['metadata']['name']} selects no workload"
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in matching[0]


def test_one_beat_never_two():
    beat = next(doc for doc in workloads() if doc["metadata"]["name"] == "storage-backup-beat")
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"


def exec_start(unit: str) -> list[str]:
    with open(os.path.join(UNITS, unit), encoding="utf-8") as handle:
        line = next(line for line in handle if line.startswith("ExecStart="))
    return shlex.split(line.split("=", 1)[1])


@pytest.mark.parametrize("manifest, unit", [("control-worker.yaml", "storage-backup-control-worker.service"),
                                            ("beat.yaml", "storage-backup-beat.service")])
def test_workers_run_what_the_products_units_run(manifest, unit):
    command = load(manifest)[0]["spec"]["template"]["spec"]["containers"][0]["command"]
    systemd = exec_start(unit)
    # Same program, app and role (the units' absolute paths and host-specific options aside).
    assert command[:4] == [os.path.basename(systemd[0]), *systemd[1:4]]
    for option in ("-Q", "--schedule"):
        if option in systemd:
            assert command[command.index(option) + 1] == systemd[systemd.index(option) + 1]


# -- Dockerfiles and their build scripts --------------------------------------------------------------------------

DOCKERFILES = {"Dockerfile.horizon": "build-horizon-image.sh", "Dockerfile.api": "build-api-image.sh"}


def parse(name: str) -> DockerfileParser:
    """Parsed in memory: the parser would otherwise write a file of its own beside the Dockerfile."""
    with open(os.path.join(SUNBEAM, name), "rb") as handle:
        return DockerfileParser(fileobj=io.BytesIO(handle.read()))


def lint(parser: DockerfileParser) -> list[str]:
    """The rules of ours a Dockerfile breaks (hadolint's DL3006/7, DL3008/9, DL3015, DL3020, DL3042, DL3002)."""
    problems = []
    instructions = parser.structure
    froms = [i["value"] for i in instructions if i["instruction"] == "FROM"]
    for image in froms:
        if not image.startswith("${") and (":" not in image or image.endswith(":latest")):
            problems.append(f"FROM {image}: pin a tag")
    users = [i["value"] for i in instructions if i["instruction"] == "USER"]
    if not users or users[-1] in ("root", "0"):
        problems.append("the image must end as a non-root USER")
    for instruction in instructions:
        value = instruction["value"]
        if instruction["instruction"] == "ADD":
            problems.append("ADD: use COPY")
        if instruction["instruction"] != "RUN":
            continue
        if "apt-get install" in value:
            if "--no-install-recommends" not in value:
                problems.append("apt-get install without --no-install-recommends")
            if "rm -rf /var/lib/apt/lists" not in value:
                problems.append("apt-get install without removing /var/lib/apt/lists")
        if re.search(r"pip install(?!.*--no-cache-dir)", value):
            problems.append("pip install without --no-cache-dir")
    return problems


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfiles_follow_the_rules(name):
    assert lint(parse(name)) == []


def test_the_lint_catches_what_it_should():
    parser = parse("Dockerfile.api")
    parser.content = ("FROM ubuntu\nRUN apt-get update && apt-get install -y python3\n"
                      "ADD https://example.invalid/x /x\nRUN pip install x\n")
    assert lint(parser) == ["FROM ubuntu: pin a tag", "the image must end as a non-root USER",
                            "apt-get install without --no-install-recommends",
                            "apt-get install without removing /var/lib/apt/lists", "ADD: use COPY",
                            "pip install without --no-cache-dir"]


@pytest.mark.parametrize("name, script", sorted(DOCKERFILES.items()))
def test_build_scripts_pass_every_build_argument(name, script):
    arguments = {i["value"].split("=")[0] for i in parse(name).structure if i["instruction"] == "ARG"}
    with open(os.path.join(SUNBEAM, script), encoding="utf-8") as handle:
        text = handle.read()
    passed = set(re.findall(r'--build-arg "([A-Z_]+)=', text))
    assert arguments == passed, (name, arguments, passed)
    assert subprocess.run(["bash", "-n", os.path.join(SUNBEAM, script)], timeout=30).returncode == 0
    # Run without arguments: the usage line and exit 2, building nothing.
    result = subprocess.run(["bash", os.path.join(SUNBEAM, script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and result.stderr.startswith("usage:")


def test_the_horizon_image_installs_the_files_the_plugin_ships():
    text = parse("Dockerfile.horizon").content
    assert "local_settings.d/_9000_storage_backup.py" in text
    assert os.path.exists(os.path.join(REPO_ROOT, "storage_backup_dashboard", "local_settings.d",
                                       "_9000_storage_backup.py"))
    assert "/enabled/_9*.py" in text
