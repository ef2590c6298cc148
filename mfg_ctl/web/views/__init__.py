"""The pages and JSON endpoints, one feature per module; each module exports ``bp``."""

from mfg_ctl.web.views import health, history, live, plans, units

#: Every blueprint the app registers, in this order.
BLUEPRINTS = [plans.bp, live.bp, health.bp, history.bp, units.bp]

__all__ = ["BLUEPRINTS"]
