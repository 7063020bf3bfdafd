"""The daily Docker prune against the real engine: stopped containers and dangling images go, volumes stay."""

from __future__ import annotations

import io
import tarfile
import uuid

import pytest

from conftest import TEST_BUSYBOX_IMAGE
from tsdb_ops.maintenance.docker_prune import prune_docker


def _tiny_rootfs(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@pytest.fixture
def label(docker_client):
    """A unique label on every object of this test; the prune is limited to it so parallel tests are untouched."""
    value = uuid.uuid4().hex[:10]
    yield f"tsdb_ops_prune_test={value}"
    for container in docker_client.containers.list(all=True, filters={"label": f"tsdb_ops_prune_test={value}"}):
        container.remove(force=True)
    for volume in docker_client.volumes.list(filters={"label": f"tsdb_ops_prune_test={value}"}):
        volume.remove(force=True)


def test_prune_removes_stopped_container_and_dangling_image_and_keeps_named_volume(docker_client, label):
    key, value = label.split("=")
    api = docker_client.api
    volume = docker_client.volumes.create(f"tsdb_ops_models_{value}", labels={key: value})
    docker_client.containers.run(TEST_BUSYBOX_IMAGE, ["sh", "-c", "echo weights > /models/w.bin"], labels={key: value},
                                 volumes={volume.name: {"bind": "/models", "mode": "rw"}}, remove=True)
    stopped = docker_client.containers.create(TEST_BUSYBOX_IMAGE, ["true"], labels={key: value})
    tag = f"tsdb-ops-prune-test/{value}:latest"
    changes = [f"LABEL {key}={value}"]
    first = api.import_image_from_data(_tiny_rootfs(b"one"), repository=tag.split(":")[0], tag="latest", changes=changes)
    api.import_image_from_data(_tiny_rootfs(b"two"), repository=tag.split(":")[0], tag="latest", changes=changes)
    dangling_id = next(line for line in str(first).split('"') if line.startswith("sha256:"))
    assert docker_client.images.get(dangling_id).tags == []  # replaced: the first import is now dangling

    report = prune_docker(api, {"label": [label]})

    assert stopped.id in report.containers
    assert dangling_id in report.images
    assert report.bytes_freed > 0
    assert docker_client.images.get(tag)  # the tagged image is not dangling: kept
    survivor = docker_client.containers.run(TEST_BUSYBOX_IMAGE, ["cat", "/models/w.bin"], labels={key: value},
                                            volumes={volume.name: {"bind": "/models", "mode": "ro"}}, remove=True)
    assert survivor.strip() == b"weights"
    docker_client.images.remove(tag, force=True)
