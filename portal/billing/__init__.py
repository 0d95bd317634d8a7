"""Billing: tariffs, the money ledger, daily accrual, suspension for debt, promised payments and offers.

See docs/billing.md for the model and its invariants.
"""
