#!/bin/bash -e
# Fill the pi-gen stage's files/ directories from this source tree, then add the stage to pi-gen:
#   image-build/prepare-stage.sh && cp -r image-build/stage-dozor /path/to/pi-gen/
#   (pi-gen config: STAGE_LIST="stage0 stage1 stage2 stage-dozor")
cd "$(dirname "$0")/.."
stage=image-build/stage-dozor
install -d "$stage/00-install/files" "$stage/01-units/files"
rm -rf "$stage/00-install/files/"*
python3 -m pip wheel --no-deps -q -w "$stage/00-install/files" .
cp -r hw-tests "$stage/00-install/files/hw-tests"
find "$stage/00-install/files/hw-tests" -name __pycache__ -prune -exec rm -rf {} +
cp image-build/edge.yaml.example "$stage/00-install/files/edge.yaml.example"
cp image-build/systemd/*.service "$stage/01-units/files/"
echo "stage ready: $stage"
