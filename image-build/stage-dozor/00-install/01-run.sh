#!/bin/bash -e
# The image carries a bootstrap venv (the dozor wheel, only to run `dozor edge ota init` at first boot), the
# signed bundle of the image's release and the trusted OTA public keys. The first boot (dozor-slots.service)
# installs that bundle offline into /opt/dozor/releases/<version>/ and points the good/current links at it.
install -d "${ROOTFS_DIR}/opt/dozor" "${ROOTFS_DIR}/etc/dozor" "${ROOTFS_DIR}/etc/dozor/ota-keys"
cp files/dozor-*.whl "${ROOTFS_DIR}/opt/dozor/"
install -m 644 files/image-bundle.tar "${ROOTFS_DIR}/opt/dozor/image-bundle.tar"
install -m 644 files/ota-keys/*.pub "${ROOTFS_DIR}/etc/dozor/ota-keys/"
install -m 640 files/edge.yaml.example "${ROOTFS_DIR}/etc/dozor/edge.yaml.example"

on_chroot <<'CHROOT'
id dozor >/dev/null 2>&1 || useradd --system --home /var/lib/dozor --shell /usr/sbin/nologin dozor
usermod -aG gpio,video dozor
python3 -m venv --system-site-packages /opt/dozor/bootstrap
/opt/dozor/bootstrap/bin/pip install --no-cache-dir --no-index --find-links /opt/dozor /opt/dozor/dozor-*.whl
install -d -o dozor -g dozor /var/lib/dozor
chown dozor:dozor /opt/dozor
chown root:dozor /etc/dozor
CHROOT
