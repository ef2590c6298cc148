"""Where a run's events go beyond this machine: an MQTT broker (:mod:`mfg_ctl.events.mqtt`).

Network publishers live here, not in :mod:`mfg_ctl.run`: the sequencer emits
events and does no I/O of this kind. Only the command line imports this package.
"""
