#!/bin/bash -e
# pi-gen convention: continue from the previous stage's root filesystem.
if [ ! -d "${ROOTFS_DIR}" ]; then
	copy_previous
fi
