#!/bin/bash -e
# systemd units: first-boot slot layout, the box service (OTA supervisor, Type=notify + WatchdogSec), the
# first-boot self-test.
for unit in dozor-slots dozor-edge dozor-selftest; do
	install -m 644 "files/${unit}.service" "${ROOTFS_DIR}/etc/systemd/system/${unit}.service"
done
on_chroot <<'CHROOT'
systemctl enable dozor-slots.service dozor-edge.service dozor-selftest.service avahi-daemon.service chrony.service
CHROOT
