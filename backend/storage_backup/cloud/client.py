# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``Cloud``: the four service clients over one session, and the same account scoped to a tenant's project."""
from __future__ import annotations

import threading

from keystoneauth1 import session as ks_session

from .compute import Compute
from .identity import Identity
from .image import Images
from .network import Network
from .session import CloudConfig
from .volume import BlockStorage


class Cloud:
    """``cloud.compute`` (Nova), ``cloud.volume`` (Cinder), ``cloud.image`` (Glance), ``cloud.network`` (Neutron),
    ``cloud.identity`` (Keystone).

        cloud = Cloud.from_environment()                 # the backup service account
        server = cloud.compute.get_server(server_id)
        tenant = cloud.for_project(server["tenant_id"])  # same account, token scoped to the tenant's project
        tenant.volume.create_volume(size=10, name="restored")
    """

    def __init__(self, session: ks_session.Session, *, config: CloudConfig | None = None,
                 region_name: str | None = None, interface: str | None = None) -> None:
        self.session = session
        self.config = config
        region_name = region_name if region_name is not None else (config.region_name if config else None)
        interface = interface or (config.interface if config else "public")
        options = {"region_name": region_name, "interface": interface}
        self.compute = Compute(session, **options)
        self.volume = BlockStorage(session, **options)
        self.image = Images(session, **options)
        self.network = Network(session, **options)
        self.identity = Identity(session, **options)
        self._projects: dict[str, Cloud] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: CloudConfig) -> Cloud:
        return cls(config.session(), config=config)

    @classmethod
    def from_environment(cls, environ: dict | None = None) -> Cloud:
        return cls.from_config(CloudConfig.from_environment(environ))

    @property
    def project_id(self) -> str:
        return self.session.get_project_id()

    @property
    def user_id(self) -> str:
        return self.session.get_user_id()

    def for_project(self, project_id: str) -> Cloud:
        """The same account with a token scoped to ``project_id`` (kept for reuse)."""
        if project_id == self.project_id:
            return self
        with self._lock:
            scoped = self._projects.get(project_id)
            if scoped is None:
                if self.config is None:
                    raise ValueError("a Cloud made from a bare session cannot scope to another project; make it with "
                                     "Cloud.from_config")
                session = self.config.project_session(project_id, base=self.session)
                scoped = self._projects[project_id] = Cloud(session, config=self.config)
            return scoped
