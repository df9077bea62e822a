# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The enforcer: the defaults of ``storage_backup.policies`` under the operator's ``policy.yaml``.

It lives on an oslo.config ``ConfigOpts`` of its own (never the global ``cfg.CONF``, which other libraries in the
process may parse with their own arguments), configured from the environment like every other setting of the
service:

- ``STORAGE_BACKUP_POLICY_FILE``: the operator's policy file (YAML, only the rules it changes). Unset, the service
  reads ``/etc/storage-backup/policy.yaml`` when that file exists and runs on the defaults otherwise; set to a file
  that does not exist, it refuses to start rather than silently ignore the operator's rules. Files in a
  ``policy.d/`` directory beside it are read after it, as in every OpenStack service.

oslo.policy reads the file again when it changes, so an edit takes effect without a restart.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from oslo_config import cfg
from oslo_policy import opts as policy_opts
from oslo_policy import policy

from storage_backup.policies import list_rules

POLICY_FILE_ENV = "STORAGE_BACKUP_POLICY_FILE"
DEFAULT_POLICY_FILE = "/etc/storage-backup/policy.yaml"

_lock = threading.Lock()
_enforcer: policy.Enforcer | None = None


class PolicyFileMissing(RuntimeError):
    """``STORAGE_BACKUP_POLICY_FILE`` names a file that does not exist."""


def policy_file(environ: Mapping[str, str] = os.environ) -> str:
    """The operator's policy file: ``STORAGE_BACKUP_POLICY_FILE`` (which must exist), else the default path (which
    may not: then the defaults alone apply)."""
    configured = (environ.get(POLICY_FILE_ENV) or "").strip()
    if not configured:
        return DEFAULT_POLICY_FILE
    if not os.path.isfile(configured):
        raise PolicyFileMissing(f"{POLICY_FILE_ENV}={configured}: no such file; point it at the operator's "
                                "policy.yaml or unset it to use the default rules")
    return os.path.abspath(configured)


def make_enforcer(path: str) -> policy.Enforcer:
    """An enforcer of every ``storage_backup`` default, overridden by ``path`` and ``policy.d/`` beside it when they
    exist."""
    conf = cfg.ConfigOpts()
    # No arguments and no config file search: the settings come from the environment, not from sys.argv.
    conf([], default_config_files=[], default_config_dirs=[])
    policy_opts.set_defaults(conf)  # registers [oslo_policy] on this conf; defaults with arguments are process-wide
    # Overrides belong to this conf alone. Scope is enforced (oslo.policy >= 4 does by default; 6 always does): every
    # rule is project-scoped, as every token the API accepts.
    conf.set_override("policy_file", path, "oslo_policy")
    conf.set_override("policy_dirs", [os.path.join(os.path.dirname(path), "policy.d")], "oslo_policy")
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(list_rules())
    enforcer.load_rules()
    return enforcer


def get_enforcer() -> policy.Enforcer:
    """The process's enforcer, made on first use (the ``oslo.policy.enforcer`` entry point, which
    ``oslopolicy-policy-generator`` and ``oslopolicy-checker`` call)."""
    global _enforcer
    with _lock:
        if _enforcer is None:
            _enforcer = make_enforcer(policy_file())
        return _enforcer


def reset() -> None:
    """Forget the enforcer: the next check reads the environment and the policy file again."""
    global _enforcer
    with _lock:
        _enforcer = None


def allows(rule: str, target: Mapping[str, object], credentials: Mapping[str, object]) -> bool:
    """Whether ``rule`` allows the caller described by ``credentials`` to act on ``target``. A rule name that is not
    registered raises ``oslo_policy.policy.PolicyNotRegistered`` (a typo in the code, never a denial)."""
    # oslo.policy writes into the credentials it is given: each check gets its own copy.
    return bool(get_enforcer().authorize(rule, dict(target), dict(credentials), do_raise=False))


def describe(rule: str) -> str:
    """The rule's documented description, for messages."""
    return get_enforcer().registered_rules[rule].description
