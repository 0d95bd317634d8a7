"""Which payment gateway this portal speaks: YooKassa when credentials are configured, else the built-in test mode."""

from portal.billing.gateway import PaymentGateway
from portal.billing.testmode import TestModeGateway
from portal.billing.yookassa import YooKassaGateway

KEY = "payment_gateway"


def gateway_of(services) -> PaymentGateway:
    """One gateway per process, built on first use (services.extra["payment_gateway"]; tests may replace it)."""
    gateway = services.extra.get(KEY)
    if gateway is None:
        settings = services.settings
        if settings.yookassa_shop_id and settings.yookassa_secret_key:
            gateway = YooKassaGateway(
                settings.yookassa_shop_id, settings.yookassa_secret_key, api_url=settings.yookassa_api_url
            )
        else:
            gateway = TestModeGateway(services.db, settings.public_url)
        services.extra[KEY] = gateway
    return gateway
