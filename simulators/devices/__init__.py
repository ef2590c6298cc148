"""The built-in simulators: one package per plugin, each a ``servers`` list and a ``System``.

The rule of this layer: a device wires a model (its own, or one from
:mod:`simulators.physics`) to a protocol (:mod:`simulators.protocols`) through
the plugin contract (:mod:`simulators.common`, :mod:`simulators.session`),
with what devices share taken from :mod:`simulators.devicekit` and register
maps from :mod:`simulators.profiles`. It never imports the serving layers
(server, handlers, host, launcher, runtime, CLI), the clients or the
controller; ``make lint`` checks it. Models speak engineering units and know
no wire format.
"""
