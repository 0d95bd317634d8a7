#!/bin/bash -e
# Fill the pi-gen stage's files/ directories from this source tree, then add the stage to pi-gen:
#   OTA_VERSION=1.4.0 OTA_KEY=/secure/ota-signing.key OTA_KEYS=/secure/keys image-build/prepare-stage.sh
#   cp -r image-build/stage-dozor /path/to/pi-gen/   (pi-gen config: STAGE_LIST="stage0 stage1 stage2 stage-dozor")
# OTA_KEYS is a directory of the *.pub files the boxes trust (the current key and the next one, for rotation).
: "${OTA_VERSION:?set OTA_VERSION (the image release, dotted numbers)}"
: "${OTA_KEY:?set OTA_KEY (the Ed25519 signing key from dozor ota keygen)}"
: "${OTA_KEYS:?set OTA_KEYS (directory of the trusted .pub files)}"
cd "$(dirname "$0")/.."
stage=image-build/stage-dozor
install -d "$stage/00-install/files" "$stage/01-units/files"
rm -rf "$stage/00-install/files/"*
python3 -m pip wheel -q -w "$stage/00-install/files/wheels" .  # the release and all its dependencies
cp "$stage/00-install/files/wheels"/dozor-*.whl "$stage/00-install/files/"
wheels=()
for wheel in "$stage/00-install/files/wheels"/*.whl; do wheels+=(--wheel "$wheel"); done
dozor ota build --version "$OTA_VERSION" --key "$OTA_KEY" --out "$stage/00-install/files/image-bundle.tar" "${wheels[@]}"
install -d "$stage/00-install/files/ota-keys"
cp "$OTA_KEYS"/*.pub "$stage/00-install/files/ota-keys/"
cp image-build/edge.yaml.example "$stage/00-install/files/edge.yaml.example"
cp image-build/systemd/*.service "$stage/01-units/files/"
echo "stage ready: $stage"
