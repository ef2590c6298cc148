"""Wire protocols, sans-IO: bytes in, messages out, and back.

The rule of this layer: no sockets, threads, clocks, logging or files, and
nothing else of the project is imported (``make lint`` checks it): a protocol
is a pure function of the bytes it is given, so it is tested byte by byte and
shared by the simulated devices and the clients that talk to them.

* :mod:`~simulators.protocols.lines`: the one bounded line framer of every
  line protocol (the ``dut``, SCPI);
* :mod:`~simulators.protocols.modbus`: Modbus requests and responses in the
  ``custom`` and ``modbus-tcp`` framings;
* :mod:`~simulators.protocols.scpi`: a SCPI-99 / IEEE 488.2 command engine.
"""
