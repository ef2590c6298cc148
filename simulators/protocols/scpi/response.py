"""Response formatting: what a query handler returns, as SCPI response data.

``bool`` becomes ``1``/``0``, ``int`` NR1, ``float`` NR3 with nine significant
digits the way many bench instruments answer (``+5.00000000E+00``), with
SCPI-99's 9.91E+37 for not-a-number and +/-9.9E+37 for infinities. A ``str``
is sent as it is, so character data (``DC``) stays bare; wrap text in
:func:`quote` to send string data; it must not contain a newline, which
would end the reply early. A tuple or list becomes a comma-separated list of
the above.

>>> format_response(True), format_response(42), format_response(5.0)
('1', '42', '+5.00000000E+00')
>>> format_response((1.5e-3, "DC", quote('a "b" c')))
'+1.50000000E-03,DC,"a ""b"" c"'
>>> format_response(float("nan")), format_response(float("-inf"))
('9.91E+37', '-9.9E+37')
"""

from __future__ import annotations

import math

NAN_RESPONSE = "9.91E+37"
INFINITY_RESPONSE = "9.9E+37"


def quote(text: str) -> str:
    """Return ``text`` as SCPI string response data: in double quotes, inner ones doubled."""
    escaped = text.replace('"', '""')
    return f'"{escaped}"'


def format_response(value: object) -> str:
    """Format a query handler's return value; TypeError for ``None`` (a handler bug)."""
    if value is None:
        raise TypeError("a query handler returned None; return the value to send")
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, tuple | list):
        return ",".join(format_response(item) for item in value)
    return str(value)


def _format_float(value: float) -> str:
    """NR3 with nine significant digits, or SCPI-99's stand-ins for NaN and infinities."""
    if math.isnan(value):
        return NAN_RESPONSE
    if math.isinf(value):
        return INFINITY_RESPONSE if value > 0 else "-" + INFINITY_RESPONSE
    return f"{value:+.8E}"
