"""The web UI: ``mfg-ctl serve-web``, a Flask app over the same plans, sequencer and run store.

The rule of this layer: views are thin shells. A page or a JSON endpoint
parses its request, calls the library (plans, the run store, analytics,
reports) and renders; runs started here go through the same
:class:`~mfg_ctl.run.sequencer.Sequencer` as the command line
(:mod:`~mfg_ctl.web.launcher`), and their events reach browsers through
numbered channels (:mod:`~mfg_ctl.web.live`) served as Server-Sent Events.
Every text a user reads comes from the message catalogue
(:mod:`~mfg_ctl.web.messages`). :func:`create_app` builds the app from a
:class:`WebSettings`, so tests build their own.
"""

from mfg_ctl.web.app import create_app
from mfg_ctl.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
