"""Which payment gateway this portal speaks: YooKassa when credentials are configured, else the built-in test mode."""

from portal.billing.gateway import PaymentGateway
from portal.billing.testmode import TestModeGateway
from portal.billing.yookassa import YooKassaGateway
from portal.services import Services


def gateway_of(services: Services) -> PaymentGateway:
    """One gateway per process, built on first use (``services.payment_gateway``; tests may replace it)."""
    gateway = services.payment_gateway
    if gateway is None:
        settings = services.settings
        if settings.yookassa_shop_id and settings.yookassa_secret_key:
            gateway = YooKassaGateway(
                settings.yookassa_shop_id, settings.yookassa_secret_key, api_url=settings.yookassa_api_url
            )
        else:
            gateway = TestModeGateway(services.db, settings.public_url)
        services.payment_gateway = gateway
    return gateway
