"""``mfg-ctl``: run YAML test plans against instruments, judge, report and record the results.

Layers, each allowed to import only those above it (``make lint`` checks the
rules with import-linter; doc/architecture.rst draws them):

* :mod:`~mfg_ctl.steps` — step kinds (plan model + ``run``), thresholds, the
  step contract and registry; :mod:`~mfg_ctl.plan` — a plan file, validated;
* :mod:`~mfg_ctl.clients`, :mod:`~mfg_ctl.drivers`, :mod:`~mfg_ctl.connect`,
  :mod:`~mfg_ctl.stations` — reaching devices, simulated or real, over the wire;
* :mod:`~mfg_ctl.run` — the sequencer, its events and observers (no step kind);
* :mod:`~mfg_ctl.store`, :mod:`~mfg_ctl.report` — what the events become;
* :mod:`~mfg_ctl.cli` — the click commands, a thin shell nothing imports.

The controller reaches the simulators only through the wire (clients,
drivers) and the plugin registry, when it serves simulated devices itself.
"""
