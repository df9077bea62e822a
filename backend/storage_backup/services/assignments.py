# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Protected instances: assignments of instances to policies, by hand or by a tag / metadata key."""
from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from storage_backup.catalog.models import Policy, ProtectedInstance
from storage_backup.policies import protected_instances as rules
from storage_backup.services import encrypted_volumes, inventory, quotas
from storage_backup.services.audit import audited
from storage_backup.services.context import SYSTEM, Caller, authorize, check_visible, listing, scope_queryset
from storage_backup.services.errors import Conflict, NotFound, ValidationFailed
from storage_backup.services.policies import get_policy

LOG = logging.getLogger(__name__)


def list_assignments(caller: Caller, project_id: str | None = None, policy_id: str | None = None):
    caller = listing(caller, rules.LIST, rules.LIST_ALL)
    queryset = scope_queryset(caller, ProtectedInstance.objects.select_related("policy"), project_id=project_id)
    if policy_id:
        queryset = queryset.filter(policy_id=policy_id)
    return queryset


def get_assignment(caller: Caller, instance_id: str) -> ProtectedInstance:
    assignment = ProtectedInstance.objects.select_related("policy").filter(instance_id=instance_id).first()
    if assignment is None:
        raise NotFound(f"Instance {instance_id} is not protected.")
    check_visible(caller, assignment.project_id, "Protected instance", instance_id)
    authorize(caller, rules.GET, {"project_id": assignment.project_id})
    return assignment


def find_instance(caller: Caller, instance_id: str, field: str = "instance_id") -> inventory.Instance:
    """The instance, looked up in Nova with the service account; another project's looks like a missing one."""
    instance = inventory.get_instance(instance_id)
    if instance is None or (not caller.is_admin and instance.project_id != caller.project_id):
        raise ValidationFailed(field, f"no instance {instance_id} exists in this project")
    return instance


def _usable_policy(caller: Caller, policy_id: str, project_id: str) -> Policy:
    try:
        policy = get_policy(caller, policy_id)
    except NotFound:
        raise ValidationFailed("policy_id", f"no policy {policy_id} is available to this project") from None
    if not policy.shared and policy.project_id != project_id:
        raise ValidationFailed("policy_id", f"policy {policy_id} belongs to another project than the instance")
    return policy


def protect(caller: Caller, instance_id: str, policy_id: str) -> ProtectedInstance:
    with audited(caller, "protected_instance.create", "instance", instance_id) as target:
        instance = find_instance(caller, instance_id)
        target.project_id = instance.project_id
        authorize(caller, rules.CREATE, {"project_id": instance.project_id})
        policy = _usable_policy(caller, policy_id, instance.project_id)
        encrypted_volumes.refuse_unencrypted_destination(instance, policy.destination, "policy_id")
        with transaction.atomic():
            existing = ProtectedInstance.objects.select_for_update().filter(instance_id=instance_id).first()
            if existing is not None:
                raise Conflict(f"Instance {instance_id} is already protected by policy {existing.policy_id}; "
                               "remove that protection first.")
            quotas.check_protect(instance.project_id)
            try:
                return ProtectedInstance.objects.create(
                    instance_id=instance.id, project_id=instance.project_id, policy=policy, name=instance.name,
                    availability_zone=instance.availability_zone, created_by=caller.user_id)
            except IntegrityError:
                raise Conflict(f"Instance {instance_id} is already protected.") from None


def unprotect(caller: Caller, instance_id: str) -> None:
    with audited(caller, "protected_instance.delete", "instance", instance_id) as target:
        assignment = get_assignment(caller, instance_id)
        target.project_id = assignment.project_id
        authorize(caller, rules.DELETE, {"project_id": assignment.project_id})
        assignment.delete()


def _matches(policy: Policy, instance: inventory.Instance) -> bool:
    if policy.auto_assign_tag and policy.auto_assign_tag in instance.tags:
        return True
    key = policy.auto_assign_metadata_key
    if key and key in instance.metadata:
        return not policy.auto_assign_metadata_value or instance.metadata[key] == policy.auto_assign_metadata_value
    return False


def auto_assign(instances: list[inventory.Instance] | None = None) -> list[ProtectedInstance]:
    """Protect every instance whose tag or metadata a policy of its project (or a shared one) asks for.

    Policies with a higher priority win; instances already protected keep their policy; an instance whose auto
    policy no longer matches is released (a manual assignment never is).
    """
    policies = [policy for policy in Policy.objects.filter(enabled=True).order_by("-priority", "created_at")
                if policy.auto_assign_tag or policy.auto_assign_metadata_key]
    automatic = {a.instance_id: a for a in ProtectedInstance.objects.filter(source="auto")}
    if not policies and not automatic:
        return []
    if instances is None:
        instances = inventory.list_instances()
    protected = set(ProtectedInstance.objects.values_list("instance_id", flat=True))
    created = []
    live = {instance.id: instance for instance in instances}
    for instance_id, assignment in automatic.items():
        instance = live.get(instance_id)
        if instance is not None and not _matches(assignment.policy, instance):
            with audited(SYSTEM, "protected_instance.auto_release", "instance", instance_id,
                         project_id=assignment.project_id):
                assignment.delete()
            protected.discard(instance_id)
    for instance in instances:
        if instance.id in protected:
            continue
        for policy in policies:
            if (policy.shared or policy.project_id == instance.project_id) and _matches(policy, instance):
                try:
                    with audited(SYSTEM, "protected_instance.auto_assign", "instance", instance.id,
                                 project_id=instance.project_id) as target:
                        quotas.check_protect(instance.project_id)
                        created.append(ProtectedInstance.objects.create(
                            instance_id=instance.id, project_id=instance.project_id, policy=policy,
                            name=instance.name, availability_zone=instance.availability_zone, source="auto",
                            created_by=SYSTEM.user_id))
                        target.detail = f"policy {policy.id}"
                except Exception as error:  # one instance over quota must not stop the others
                    LOG.warning("auto-assignment of %s to %s failed: %s", instance.id, policy.id, error)
                break
    return created
