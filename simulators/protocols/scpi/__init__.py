"""SCPI-99 / IEEE 488.2 command engine, sans-IO: bytes in, reply lines out.

An instrument builds a :class:`ScpiEngine`, registers handlers under command
patterns written the way manuals write them, and feeds it received bytes::

    engine = ScpiEngine(idn="ACME,PSU-1,0001,1.0", reset=psu.reset)
    engine.command("[SOURce]:VOLTage[:LEVel]", psu.set_volts,
                   params=[Numeric(unit="V", min=0, max=30, default=0)])
    engine.query("[SOURce]:VOLTage[:LEVel]?", lambda: psu.volts)
    engine.query("MEASure:VOLTage[:DC]?", psu.measure_volts)
    engine.command("OUTPut[1][:STATe]", psu.set_output, params=[Boolean()])
    replies = engine.feed(data)   # list of b"...\\n" lines

The engine answers the IEEE 488.2 common commands (``*IDN?``, ``*RST``,
``*CLS``, ``*ESE``, ``*ESR?``, ``*SRE``, ``*STB?``, ``*OPC``, ``*WAI``,
``*TST?``) and ``SYSTem:ERRor[:NEXT]?``, ``SYSTem:ERRor:COUNt?`` and
``SYSTem:VERSion?`` itself. Modules, one concept each:

``tree``      command patterns, program headers, the command tree
``parser``    splitting a program message; tokens and numbers
``params``    parameter declarations: Numeric, Boolean, Choice, String, Raw
``response``  formatting query results
``errors``    ScpiError, the standard messages, the bounded error queue
``common``    status registers and the common commands
``session``   ScpiEngine, which ties them together
"""

from .common import Esr, Status, Stb
from .errors import STANDARD_MESSAGES, ErrorEntry, ErrorQueue, ScpiError
from .params import Boolean, Choice, Numeric, Parameter, Raw, String
from .response import format_response, quote
from .session import MAX_LINE, ScpiCommand, ScpiEngine
from .tree import CommandTree, Header, Mnemonic, Pattern, parse_header, parse_pattern

__all__ = [
    "MAX_LINE",
    "STANDARD_MESSAGES",
    "Boolean",
    "Choice",
    "CommandTree",
    "ErrorEntry",
    "ErrorQueue",
    "Esr",
    "Header",
    "Mnemonic",
    "Numeric",
    "Parameter",
    "Pattern",
    "Raw",
    "ScpiCommand",
    "ScpiEngine",
    "ScpiError",
    "Status",
    "Stb",
    "String",
    "format_response",
    "parse_header",
    "parse_pattern",
    "quote",
]
