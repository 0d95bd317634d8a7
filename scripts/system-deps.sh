#!/usr/bin/env bash
# Installs the Debian packages the tests (or the venv) need, only when a command shows one is missing.
set -euo pipefail
what="${1:-test}"
missing=()

if [ "$what" = venv ]; then
  missing+=(python3-venv)
else
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  command -v ffprobe >/dev/null || missing+=(ffmpeg)
  command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  command -v mosquitto_passwd >/dev/null || missing+=(mosquitto)
  command -v chromium >/dev/null || missing+=(chromium)
  /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" \
    >/dev/null 2>&1 || missing+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base)
  gst-inspect-1.0 x264enc >/dev/null 2>&1 || missing+=(gstreamer1.0-tools gstreamer1.0-plugins-ugly)
  gst-inspect-1.0 rtph264pay >/dev/null 2>&1 || missing+=(gstreamer1.0-plugins-good)
  gst-inspect-1.0 videotestsrc >/dev/null 2>&1 || missing+=(gstreamer1.0-plugins-base)
  command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v unshare >/dev/null || missing+=(util-linux)
  command -v setpriv >/dev/null || missing+=(util-linux)  # runs PostgreSQL unprivileged when tests run as root
  command -v ip >/dev/null || missing+=(iproute2)
fi

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
