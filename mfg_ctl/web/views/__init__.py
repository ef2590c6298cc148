"""The pages and JSON endpoints, one feature per module; each module exports ``bp``."""

from mfg_ctl.web.views import dashboards, health, history, live, operator, plans, units

#: Every blueprint the app registers, in this order.
BLUEPRINTS = [plans.bp, live.bp, health.bp, history.bp, units.bp, operator.bp, dashboards.bp]

__all__ = ["BLUEPRINTS"]
