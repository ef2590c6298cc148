"""Running a plan: the sequencer, the events it emits and the observers that consume them.

The rule of this layer: the sequencer orders the steps, times them out,
retries them, runs the teardown and emits one event per thing that happened
(:mod:`~mfg_ctl.run.events`). It performs a step only through the step-kind
contract (:mod:`mfg_ctl.steps`): it imports no step kind, driver or
instrument module, and it never prints or writes files — observers
(:mod:`~mfg_ctl.run.observers`, the run store, reports) do, and none of them
asks the sequencer for more.
"""
