"""Batches: one plan run once per serial number, on as many test sockets (slots) as asked.

:mod:`~mfg_ctl.batch.units` reads and checks the serial numbers,
:mod:`~mfg_ctl.batch.runner` tests them slot by slot, storing each unit in
one transaction and its rows in the run folder, and
:mod:`~mfg_ctl.batch.progress` tells the operator how it goes.
"""
