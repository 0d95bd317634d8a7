"""The OTA bundle: one signed tar the portal serves and the box installs (format in docs/ota.md).

    manifest.json   {"format": 2, "version", "min_from", "created", "wheels": [...], "files": {name: {sha256, size}}}
    manifest.sig    {"key_id", "signature"}: Ed25519 over the exact bytes of manifest.json
    wheels/*.whl    every wheel the release needs, installed offline (`pip --no-index --no-deps`)
    hw-tests/...    the self-test suite of this release
    systemd/*       the units of this release

Both sides import this module: the portal checks a bundle when an operator uploads it, the box before it
unpacks anything. The box trusts several public keys at once so a signing key can be rotated: a new key is
added to the boxes (in a release signed by the old key) before bundles are signed with it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = 2
VERSION_RE = re.compile(r"^\d{1,6}(\.\d{1,6}){0,3}$")
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
MAX_MANIFEST = 1 << 20
_CHUNK = 1 << 16


class BundleError(RuntimeError):
    """The bundle is refused; the message names the file and the reason."""


def version_key(version: str) -> tuple[int, ...]:
    """Dotted numbers compare as numbers: 0.10 > 0.9."""
    if not VERSION_RE.match(version):
        raise BundleError(f"version {version!r}: expected dotted numbers such as 1.4.2")
    return tuple(int(p) for p in version.split("."))


# --- keys ------------------------------------------------------------------------------------------------


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair(out_dir: Path, name: str = "ota-signing") -> tuple[Path, Path]:
    """Write NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub (PEM); refuse to overwrite a key."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out_dir / f"{name}.key", out_dir / f"{name}.pub"
    for path in (private_path, public_path):
        if path.exists():
            raise BundleError(f"{path} exists; a signing key is never overwritten (choose another --out)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    private_path.touch(mode=0o600)
    private_path.write_bytes(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private_path, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise BundleError(f"{path}: not a readable PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError(f"{path}: not an Ed25519 key (make one with `dozor ota keygen`)")
    return key


def load_public_keys(paths: Iterable[Path]) -> dict[str, Ed25519PublicKey]:
    """Key id -> key, from PEM files or directories of *.pub files."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        files = sorted(path.glob("*.pub")) if path.is_dir() else [path]
        for file in files:
            try:
                key = serialization.load_pem_public_key(file.read_bytes())
            except (OSError, ValueError) as exc:
                raise BundleError(f"{file}: not a readable PEM public key ({exc})") from None
            if not isinstance(key, Ed25519PublicKey):
                raise BundleError(f"{file}: not an Ed25519 public key")
            keys[key_id(key)] = key
    return keys


# --- build -----------------------------------------------------------------------------------------------


def build_bundle(
    out: Path,
    version: str,
    key: Ed25519PrivateKey,
    wheels: list[Path],
    extra: dict[str, bytes] | None = None,
    min_from: str = "0",
) -> Path:
    """Write a signed bundle to `out`: the wheels under wheels/, `extra` (name -> bytes) as given."""
    version_key(version)
    version_key(min_from)
    if not wheels:
        raise BundleError("a bundle needs at least one wheel (the dozor wheel)")
    members: dict[str, bytes] = {f"wheels/{w.name}": w.read_bytes() for w in wheels}
    for name, data in (extra or {}).items():
        _check_name(name)
        members[name] = data
    manifest = {
        "format": FORMAT,
        "version": version,
        "min_from": min_from,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wheels": sorted(w.name for w in wheels),
        "files": {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in sorted(members.items())},
    }
    manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True).encode()
    signature = {"key_id": key_id(key.public_key()), "signature": base64.b64encode(key.sign(manifest_bytes)).decode()}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tarfile.open(tmp, "w") as archive:
        first = [(MANIFEST, manifest_bytes), (SIGNATURE, json.dumps(signature).encode())]
        for name, data in [*first, *sorted(members.items())]:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    tmp.replace(out)
    return out


# --- verify ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    version: str
    min_from: str
    created: str
    wheels: tuple[str, ...]
    files: dict[str, dict]
    key_id: str

    def upgrades_from(self, version: str | None) -> bool:
        return version is None or version_key(version) >= version_key(self.min_from)


def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name in (MANIFEST, SIGNATURE):
        raise BundleError(f"{name!r}: not an allowed member name (relative, no '..')")


def verify_bundle(bundle: Path, keys: dict[str, Ed25519PublicKey] | None, unpack_to: Path | None = None) -> Manifest:
    """Check the signature (unless `keys` is None: integrity only), then every file's size and SHA-256.

    With `unpack_to`, verified files are written there as they are read; the caller discards the directory
    when this raises. Anything not in the manifest, a link, a device or a path leaving the tree is refused.
    """
    try:
        with tarfile.open(bundle, "r:") as archive:
            return _verify(bundle.name, archive, keys, unpack_to)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BundleError(f"{bundle.name}: unreadable archive ({exc}); truncated download?") from None


def _verify(
    label: str, archive: tarfile.TarFile, keys: dict[str, Ed25519PublicKey] | None, unpack_to: Path | None
) -> Manifest:
    head: dict[str, bytes] = {}
    manifest: Manifest | None = None
    seen: set[str] = set()
    for member in archive:
        if not member.isfile():
            raise BundleError(f"{member.name}: not a regular file (links and devices are refused)")
        if manifest is None:
            if member.name not in (MANIFEST, SIGNATURE) or member.size > MAX_MANIFEST:
                raise BundleError(f"{label}: must start with {MANIFEST} and {SIGNATURE}, found {member.name!r}")
            head[member.name] = _read(archive, member)
            if len(head) == 2:
                manifest = _trusted_manifest(label, head[MANIFEST], head[SIGNATURE], keys)
            continue
        _check_name(member.name)
        listed = manifest.files.get(member.name)
        if listed is None:
            raise BundleError(f"{member.name}: in the bundle but not in the manifest")
        if member.name in seen:
            raise BundleError(f"{member.name}: appears twice")
        seen.add(member.name)
        if member.size != listed["size"]:
            raise BundleError(f"{member.name}: size {member.size}, manifest says {listed['size']}")
        digest = _copy(archive, member, unpack_to)
        if digest != listed["sha256"]:
            raise BundleError(f"{member.name}: SHA-256 mismatch (corrupted or altered)")
    if manifest is None:
        raise BundleError(f"{label}: no signed manifest (empty or truncated bundle)")
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise BundleError(f"{missing[0]}: listed in the manifest but missing (truncated download?)")
    return manifest


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    assert handle is not None
    data = handle.read()
    if len(data) != member.size:
        raise BundleError(f"{member.name}: truncated")
    return data


def _copy(archive: tarfile.TarFile, member: tarfile.TarInfo, unpack_to: Path | None) -> str:
    handle = archive.extractfile(member)
    assert handle is not None
    digest = hashlib.sha256()
    out = None
    if unpack_to is not None:
        target = unpack_to / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        out = target.open("wb")
    try:
        total = 0
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            total += len(chunk)
            if out is not None:
                out.write(chunk)
        if total != member.size:
            raise BundleError(f"{member.name}: truncated")
    finally:
        if out is not None:
            out.close()
    return digest.hexdigest()


def _trusted_manifest(
    label: str, manifest_bytes: bytes, signature_bytes: bytes, keys: dict[str, Ed25519PublicKey] | None
) -> Manifest:
    try:
        signature = json.loads(signature_bytes)
        kid, sig = str(signature["key_id"]), base64.b64decode(signature["signature"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise BundleError(f"{label}: {SIGNATURE} is malformed") from None
    if keys is not None:
        key = keys.get(kid)
        if key is None:
            raise BundleError(f"{label}: signed by key {kid}, which this box does not trust (bad signature)")
        try:
            key.verify(sig, manifest_bytes)
        except InvalidSignature:
            raise BundleError(f"{label}: signature does not match the manifest (bad signature)") from None
    try:
        data = json.loads(manifest_bytes)
        if data.get("format") != FORMAT:
            raise BundleError(f"{label}: manifest format {data.get('format')!r}, expected {FORMAT}")
        manifest = Manifest(
            version=str(data["version"]),
            min_from=str(data.get("min_from", "0")),
            created=str(data.get("created", "")),
            wheels=tuple(data["wheels"]),
            files={str(k): {"sha256": str(v["sha256"]), "size": int(v["size"])} for k, v in data["files"].items()},
            key_id=kid,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BundleError(f"{label}: manifest.json is malformed") from None
    version_key(manifest.version)
    version_key(manifest.min_from)
    for name in manifest.files:
        _check_name(name)
    for wheel in manifest.wheels:
        if f"wheels/{wheel}" not in manifest.files:
            raise BundleError(f"{label}: wheel {wheel} is not among the files")
    return manifest


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
