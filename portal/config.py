"""Portal settings: environment variables ``DOZOR_*`` or a settings object built by the CLI/tests."""

import ipaddress
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dozor.errors import UserError

MIN_KEY_LENGTH = 32
# Values published in this project's history and docs, and the usual placeholders: never a real key.
KNOWN_KEYS = frozenset({"dev-insecure-change-me", "change-me", "changeme", "secret", "dozor", "test"})
HOW_TO_SET_KEY = (
    "set it to a random secret shared by all portal workers, e.g. "
    "export DOZOR_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
)


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOZOR_", extra="ignore")

    data_dir: Path = Field(Path("./var/portal"), description="Where the embedded defaults keep their files")
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite in data_dir")
    storage_url: str = Field("", description="file:///dir or s3://bucket?endpoint=...; empty = data_dir/objects")
    mqtt_url: str = Field("", description="mqtt://user:pass@host:port of the broker; empty = no MQTT link")
    mqtt_session_expiry: int = Field(
        86_400,
        ge=60,
        description="Seconds the broker keeps a portal worker's session (and its messages) while it is down",
    )
    mqtt_adopt_seconds: float = Field(
        10.0, gt=0, description="How often a worker looks for dead workers' sessions to drain (docs/scale.md)"
    )
    ingest_threads: int = Field(
        4,
        ge=1,
        description="Threads one portal worker gives segment uploads (docs/scale.md): more only queue for the GIL, "
        "and every thread waiting for it delays the MQTT consumer's next database round trip",
    )
    access_log: bool = Field(
        True,
        description="One log line per HTTP request; off at fleet scale (each costs CPU on the event loop thread: "
        "route latency and counts are in /metrics anyway)",
    )
    box_mqtt_url: str = Field("", description="mqtt[s]://host:port as boxes reach the broker; empty = mqtt_url's")
    public_url: str = Field("http://127.0.0.1:8000", description="How subscribers and boxes reach the portal")
    secret_key: str = Field(
        "", description="Signs media tokens, embed URLs and CSRF tokens; required (check_secret_key), no default"
    )
    display_tz: str = Field("Asia/Novokuznetsk", description="Default subscriber time zone (the seeds' city)")
    trusted_proxies: list[str] = Field(default_factory=list, description="CIDRs whose X-Forwarded-For is trusted")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (behind TLS)")
    metrics_token: str = Field("", description="Bearer token /metrics requires (either this or metrics_allow suffices)")
    metrics_allow: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="Client networks (CIDRs) that may read /metrics without the token; [] = token only",
    )
    media_token_ttl: int = Field(300, description="Seconds a signed media URL lives (bound to its session)")
    session_days: int = 1
    remember_days: int = 30
    retention_sweep_seconds: float = Field(600.0, description="Archive retention sweep interval; 0 = off")
    billing_interval_seconds: float = Field(300.0, description="Billing job (accrual catch-up) interval; 0 = off")
    command_log_days: int = Field(
        90, ge=1, description="Days a finished box command is kept (portal/fleet/command_log.py)"
    )
    command_log_sweep_seconds: float = Field(3600.0, description="How often old box commands are forgotten; 0 = off")
    # OTA (docs/ota.md): trusted signing keys (.pub files or dirs, os.pathsep-separated); rollout pass interval.
    ota_keys: str = Field("", description="Trusted OTA public keys; empty = bundle uploads are refused")
    ota_rollout_seconds: float = Field(10.0, description="How often rollouts offer waves and check thresholds")
    # Light live view from the boxes' sub-streams (docs/live-light.md)
    light_lease_seconds: float = Field(
        30.0, gt=0, le=120, description="Seconds a box relays its sub-stream after the last viewer's fetch"
    )
    light_keep_seconds: float = Field(60.0, gt=0, description="Seconds a relayed light segment is kept")
    light_first_wait: float = Field(8.0, ge=0, description="Seconds a first light playlist waits for the box")
    # Forpost mobile API (docs/forpost.md)
    forpost_session_days: int = Field(30, description="Lifetime of a Forpost app session")
    forpost_bind_ip: bool = Field(False, description="Bind Forpost sessions to the client IP they logged in from")
    forpost_translation_limit: int = Field(4, description="Open stream translations (HLS, H264) per account")
    forpost_jpg_limit: int = Field(
        24, description="JPG translations per account issued and not yet fetched (a fetched JPG closes at once)"
    )
    forpost_translation_timeout: float = Field(30.0, description="Seconds a translation may wait for its first use")
    forpost_translation_idle: float = Field(120.0, description="Seconds without use after which a translation closes")
    forpost_ts_cache_mb: int = Field(64, description="MB of remuxed MPEG-TS HLS segments kept per portal process")
    forpost_archive_window: int = Field(3600, description="Seconds of archive one archive translation covers")
    forpost_download_ttl: int = Field(3600, description="Seconds a GetDownloadURL URL stays valid")
    forpost_system_rate: int = Field(120, description="Default System API requests per minute of a new credential")
    forpost_embed_ttl: int = Field(300, description="Seconds a GetEmbedClient URL stays valid")
    # Cabinet: brute-force protection, transparent login, SMS (see docs/cabinet.md).
    login_max_failures_contract: int = Field(5, description="Failed logins on one contract before it locks")
    login_max_failures_ip: int = Field(20, description="Failed logins from one client IP before it locks")
    login_window_minutes: int = Field(15, description="Failures older than this are forgotten")
    login_lock_minutes: int = Field(15, description="How long a lock lasts")
    transparent_login: bool = Field(True, description="Log in requests from bound ISP addresses without a password")
    sms_sender: str = Field("Dozor", description="Sender name passed to the SMS gateway")
    # Support desk (docs/support.md): attachment size, spam limits of the public request forms.
    support_max_file_bytes: int = Field(10 * 1024 * 1024, description="Largest support attachment")
    support_requests_per_ip: int = Field(10, description="Public support requests per client IP per hour")
    support_requests_per_phone: int = Field(3, description="Public support requests per phone per hour")

    # Online payments (docs/billing.md, «Онлайн-оплата»): YooKassa when both credentials are set, else test mode.
    yookassa_shop_id: str = Field("", description="YooKassa shopId; empty = the built-in test-mode gateway")
    yookassa_secret_key: str = Field("", description="YooKassa secret key (HTTP Basic password)")
    yookassa_api_url: str = Field("https://api.yookassa.ru/v3", description="YooKassa API v3 base URL")
    payments_job_seconds: float = Field(60.0, description="Reconciliation + auto-payment job interval; 0 = off")
    payments_settle_after: float = Field(30.0, description="Seconds before the job re-reads a payment not yet settled")
    autopay_max_failures: int = Field(3, description="Failed auto-payments in a row after which it is switched off")

    # Notification centre (docs/notify.md): delivery worker, quiet hours, channel adapters (empty = local outbox).
    notify_worker_seconds: float = Field(5.0, description="Delivery worker interval; 0 = off")
    notify_max_attempts: int = Field(5, description="Attempts before a message is recorded as failed")
    notify_backoff_seconds: float = Field(30.0, description="First retry delay; doubles each attempt")
    notify_rate_email: int = Field(600, description="E-mails per minute, all workers")
    notify_rate_sms: int = Field(60, description="SMS per minute, all workers")
    notify_rate_push: int = Field(3000, description="Pushes per minute, all workers")
    notify_quiet_start: int = Field(22, description="Local hour (contract's zone) non-urgent messages stop")
    notify_quiet_end: int = Field(8, description="Local hour they resume")
    notify_smtp_host: str = Field("", description="SMTP server; empty = e-mails stay in the local outbox")
    notify_smtp_port: int = 25
    notify_smtp_user: str = ""
    notify_smtp_password: str = ""
    notify_smtp_starttls: bool = False
    notify_mail_from: str = "Дозор <noreply@dozor.local>"
    notify_smsru_url: str = Field("https://sms.ru", description="SMS.ru API base URL")
    notify_smsru_api_id: str = Field("", description="SMS.ru api_id; empty = SMS stay in the local outbox")
    notify_fcm_url: str = "https://fcm.googleapis.com"
    notify_fcm_project: str = Field("", description="Firebase project id; empty = no FCM")
    notify_fcm_service_account: str = Field(
        "", description="Service account JSON (client_email, private_key, token_uri)"
    )
    notify_apns_url: str = "https://api.push.apple.com"
    notify_apns_key_id: str = Field("", description="APNs .p8 key id; empty = no APNs")
    notify_apns_team_id: str = ""
    notify_apns_private_key: str = Field("", description="The .p8 key's PEM text")
    notify_apns_topic: str = Field("ru.dozor.app", description="The app's bundle id (apns-topic)")
    notify_camera_offline_minutes: int = Field(10, description="A camera offline this long notifies its viewers")

    @field_validator("metrics_allow")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"metrics_allow: {cidr!r} is not a network (CIDR): {exc}") from exc
        return value

    def check_secret_key(self) -> None:
        """Refuse to run without a real key: anyone who knows the key can forge media, embed and CSRF tokens."""
        key = self.secret_key.strip()
        if not key:
            raise UserError(f"DOZOR_SECRET_KEY is not set; {HOW_TO_SET_KEY}")
        if key.lower() in KNOWN_KEYS or len(key) < MIN_KEY_LENGTH:
            raise UserError(
                f"DOZOR_SECRET_KEY is a known or short value (at least {MIN_KEY_LENGTH} characters); {HOW_TO_SET_KEY}"
            )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'portal.sqlite3').resolve()}"

    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return (self.data_dir / "objects").resolve().as_uri()
