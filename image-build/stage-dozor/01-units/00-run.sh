#!/bin/bash -e
# systemd units: the box service (Type=notify + WatchdogSec) and the first-boot self-test.
install -m 644 files/dozor-edge.service "${ROOTFS_DIR}/etc/systemd/system/dozor-edge.service"
install -m 644 files/dozor-selftest.service "${ROOTFS_DIR}/etc/systemd/system/dozor-selftest.service"
on_chroot <<'CHROOT'
systemctl enable dozor-edge.service dozor-selftest.service avahi-daemon.service chrony.service
CHROOT
