"""Daily Docker cleanup: what `docker system prune -f` does, through the docker provider's hook. Never volumes.

`docker system prune -f` removes stopped containers, unused networks, dangling images and build cache, and
(without --volumes) no volume: the models volume is not in use between runs and would be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Build cache records carry no labels: only the age filter applies to them.
_BUILD_CACHE_FILTERS = ("until",)


@dataclass(frozen=True)
class PruneReport:
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    build_cache: list[str] = field(default_factory=list)
    bytes_freed: int = 0

    def summary(self) -> str:
        return (f"Docker prune: {len(self.containers)} containers, {len(self.images)} images, "
                f"{len(self.networks)} networks, {len(self.build_cache)} build cache records removed; "
                f"{self.bytes_freed} bytes ({self.bytes_freed / 1e6:.1f} MB) freed")

    def as_dict(self) -> dict[str, Any]:
        return {"containers": self.containers, "images": self.images, "networks": self.networks,
                "build_cache": self.build_cache, "bytes_freed": self.bytes_freed, "summary": self.summary()}


def prune_filters(configured: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Filters per prune call: images are limited to dangling ones (``docker system prune`` without ``-a``)."""
    base = {key: value for key, value in configured.items() if value not in ("", [], None)}
    return {
        "containers": dict(base),
        "images": {**base, "dangling": True},
        "networks": dict(base),
        "build_cache": {key: value for key, value in base.items() if key in _BUILD_CACHE_FILTERS},
    }


def summarize_prune(containers: dict | None, images: dict | None, networks: dict | None, builds: dict | None) -> PruneReport:
    """Turn the Docker API's prune answers into one report (the API answers null lists when nothing was removed)."""
    containers, images, networks, builds = (r or {} for r in (containers, images, networks, builds))
    removed_images = [
        entry.get("Deleted") or entry.get("Untagged") for entry in images.get("ImagesDeleted") or []
        if entry.get("Deleted") or entry.get("Untagged")
    ]
    return PruneReport(
        containers=list(containers.get("ContainersDeleted") or []),
        images=removed_images,
        networks=list(networks.get("NetworksDeleted") or []),
        build_cache=list(builds.get("CachesDeleted") or []),
        bytes_freed=sum(int(r.get("SpaceReclaimed") or 0) for r in (containers, images, builds)),
    )


def prune_docker(api_client: Any, configured_filters: dict[str, Any]) -> PruneReport:
    """Prune containers, dangling images, networks and build cache with a ``docker.APIClient``. No volume is touched."""
    filters = prune_filters(configured_filters)
    return summarize_prune(
        api_client.prune_containers(filters=filters["containers"]),
        api_client.prune_images(filters=filters["images"]),
        api_client.prune_networks(filters=filters["networks"]),
        api_client.prune_builds(filters=filters["build_cache"] or None),
    )
