"""Request bodies the API tests share."""

# A valid POST /api/deployments/ body that starts no saga (no worker, no
# simulator needed). Tests copy it with changes: ``{**PENDING, "name": ...}``.
PENDING = {
    "name": "web",
    "region": "nyc3",
    "size": "s-1vcpu-1gb",
    "image": "ubuntu-24-04-x64",
    "provision": False,
}
