"""The pages and JSON endpoints, one feature per module; each module exports ``bp``."""

from mfg_ctl.web.views import dashboards, health, live, operator, plans

#: Every blueprint the app registers, in this order.
BLUEPRINTS = [plans.bp, live.bp, health.bp, operator.bp, dashboards.bp]

__all__ = ["BLUEPRINTS"]
