"""``mfg-ctl``: click commands, thin shells over the plan, run, store and report layers.

The rule of this layer: a command parses its options, calls the library and
turns a failure into one line and an exit status (:mod:`~mfg_ctl.cli.support`,
doc/exit_codes.rst); no measurement, judgement or storage logic lives here.
Nothing outside this package imports it.
"""
