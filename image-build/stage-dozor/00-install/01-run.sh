#!/bin/bash -e
# Install the dozor wheel (built by image-build/build-wheel.sh into files/) into /opt/dozor/venv,
# with system site packages so picamera2/libcamera from Raspberry Pi OS are importable.
install -d "${ROOTFS_DIR}/opt/dozor" "${ROOTFS_DIR}/etc/dozor"
cp files/dozor-*.whl "${ROOTFS_DIR}/opt/dozor/"
cp -r files/hw-tests "${ROOTFS_DIR}/opt/dozor/hw-tests"
install -m 640 files/edge.yaml.example "${ROOTFS_DIR}/etc/dozor/edge.yaml.example"

on_chroot <<'CHROOT'
id dozor >/dev/null 2>&1 || useradd --system --home /var/lib/dozor --shell /usr/sbin/nologin dozor
usermod -aG gpio,video dozor
python3 -m venv --system-site-packages /opt/dozor/venv
/opt/dozor/venv/bin/pip install --no-cache-dir /opt/dozor/dozor-*.whl pytest
install -d -o dozor -g dozor /var/lib/dozor
chown root:dozor /etc/dozor
CHROOT
