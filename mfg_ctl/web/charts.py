"""The dashboards' charts as ``data:`` image addresses (the pages' CSP allows ``img data:``).

The yield Paretos, control charts and TempCo curve are the report's own charts
(:mod:`mfg_ctl.report.plots`), so a page and a PDF show the same picture, in the words
of the page's language (:func:`chart_words`, from the catalogue's ``chart.*`` keys);
the sweep's temperatures over time too (:mod:`mfg_ctl.report.sweep_plot`). Heat
buckets turn a count into the CSS class of its cell. matplotlib is imported by the
drawing functions, when a chart is drawn.

Drawing is most of a dashboard's time, so each app keeps the images it drew in a
:class:`ChartCache` (:func:`chart_cache`): a page seen again with the same data is not
drawn again, and a new run changes the data, so the key, so the image.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar, cast

from flask import current_app

from mfg_ctl.analytics.trends import StepTrend
from mfg_ctl.report.chart_words import ChartWords, word_fields
from mfg_ctl.report.compose import TempcoFigures
from mfg_ctl.report.plots import control_chart_png, pareto_png, tempco_curve_png
from mfg_ctl.report.sweep_plot import temperatures_png
from mfg_ctl.run.events import SweepReading
from mfg_ctl.web.messages import Catalogue

__all__ = [
    "HEAT_BUCKETS",
    "ChartCache",
    "chart_cache",
    "chart_words",
    "control_chart_uri",
    "data_uri",
    "digest",
    "heat_class",
    "pareto_uri",
    "tempco_curve_uri",
    "temperatures_uri",
]

#: How many shades a heatmap cell with failures can take (``heat-1`` .. ``heat-4``).
HEAT_BUCKETS = 4
#: The resolution of the pages' charts (the report's default).
_DPI = 110
#: Where an app keeps its :class:`ChartCache` (``app.extensions``).
_EXTENSION = "mfg_ctl.charts"
#: A drawn image, or None for a chart with nothing to show (a Pareto without failures).
_Image = TypeVar("_Image", bound=bytes | None)


def _plain(value: object) -> object:
    """``value`` as JSON values, the same for equal inputs whatever their identity.

    Dataclasses by class name and fields, mappings as key-sorted pairs, numpy arrays
    and scalars by their lists; TypeError for anything else (it has no canonical form).
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return [type(value).__qualname__, [_plain(getattr(value, f.name)) for f in fields]]
    if isinstance(value, Mapping):
        pairs = [[str(key), _plain(item)] for key, item in value.items()]
        return sorted(pairs, key=lambda pair: str(pair[0]))
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    listed = getattr(value, "tolist", None)  # numpy
    if callable(listed):
        return _plain(listed())
    raise TypeError(f"no canonical form for a {type(value).__name__}")


def digest(inputs: object) -> str:
    """A SHA-256 of ``inputs`` in canonical form: equal inputs, equal digests (TypeError for
    an input :func:`_plain` does not know)."""
    text = json.dumps(_plain(inputs), separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class ChartCache:
    """Drawn images by the digest of everything that drew them; least recently used first out.

    At most ``most_images`` images and ``most_bytes`` bytes (a larger image is drawn,
    never kept). Thread-safe: waitress serves pages from many threads. Drawing happens
    outside the cache's lock (the drawing itself is serialised by the report's lock).
    """

    def __init__(self, most_images: int = 64, most_bytes: int = 24 * 2**20) -> None:
        self.most_images = most_images
        self.most_bytes = most_bytes
        self._images: OrderedDict[str, bytes | None] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._images)

    @property
    def size(self) -> int:
        """The bytes of the images kept."""
        with self._lock:
            return self._bytes

    def image(self, inputs: object, draw: Callable[[], _Image]) -> _Image:
        """The image ``draw`` gives for ``inputs``: kept from an earlier call, or drawn now."""
        try:
            key = digest(inputs)
        except TypeError:  # an input without a canonical form: draw it every time
            return draw()
        with self._lock:
            if key in self._images:
                self._images.move_to_end(key)
                return cast(_Image, self._images[key])
        drawn = draw()
        self._keep(key, drawn)
        return drawn

    def _keep(self, key: str, image: bytes | None) -> None:
        size = len(image or b"")
        if size > self.most_bytes:
            return
        with self._lock:
            if key in self._images:  # another thread drew it meanwhile
                return
            self._images[key] = image
            self._bytes += size
            while len(self._images) > self.most_images or self._bytes > self.most_bytes:
                _key, dropped = self._images.popitem(last=False)
                self._bytes -= len(dropped or b"")


def chart_words(text: Catalogue) -> ChartWords:
    """The charts' words in the language of ``text`` (its ``chart.<field>`` entries)."""
    return ChartWords(**{name: text(f"chart.{name}") for name in word_fields()})


def chart_cache() -> ChartCache:
    """The current app's cache of drawn charts (made on first use)."""
    found = current_app.extensions.get(_EXTENSION)
    if not isinstance(found, ChartCache):
        found = current_app.extensions.setdefault(_EXTENSION, ChartCache())
    assert isinstance(found, ChartCache)
    return found


def data_uri(image: bytes, media_type: str = "image/png") -> str:
    """``image`` as a ``data:`` address for an ``<img src>``."""
    return f"data:{media_type};base64,{base64.b64encode(image).decode('ascii')}"


def heat_class(count: int, most: int) -> str:
    """The CSS class of a heatmap cell: ``heat-0`` for none, up to ``heat-4`` for the most."""
    if count <= 0 or most <= 0:
        return "heat-0"
    return f"heat-{max(1, math.ceil(HEAT_BUCKETS * count / most))}"


def pareto_uri(entries: Sequence[Mapping[str, Any]], title: str, words: ChartWords) -> str | None:
    """The Pareto chart of ``entries`` (the yield report's list), or None with nothing failing."""
    image = chart_cache().image(
        ("pareto", entries, title, words, _DPI),
        lambda: pareto_png(entries, title=title, dpi=_DPI, words=words),
    )
    return None if image is None else data_uri(image)


def control_chart_uri(trend: StepTrend, words: ChartWords) -> str | None:
    """The control chart of an analysed step; None for a step without (too few, constant)."""
    if trend.analysis is None:
        return None
    image = chart_cache().image(
        ("control", trend, words, _DPI),
        lambda: control_chart_png(trend, dpi=_DPI, words=words),
    )
    return data_uri(image)


def tempco_curve_uri(
    found: TempcoFigures, readings: Sequence[SweepReading], words: ChartWords
) -> str:
    """Vout against temperature with the fit and the acceptance band (the report's curve)."""
    raw = [(reading.chamber_c, reading.vout_v) for reading in readings]
    limits = (found.expected_ppm, found.tolerance_ppm)
    image = chart_cache().image(
        ("tempco", found.points, found.fit, limits, raw, words, _DPI),
        lambda: tempco_curve_png(
            found.points,
            found.fit,
            expected_ppm=found.expected_ppm,
            tolerance_ppm=found.tolerance_ppm,
            dpi=_DPI,
            readings=raw,
            words=words,
        ),
    )
    return data_uri(image)


def temperatures_uri(readings: Sequence[SweepReading], words: ChartWords) -> str:
    """The sweep's setpoint, chamber and DUT temperatures against time (see
    :func:`~mfg_ctl.report.sweep_plot.temperatures_png`)."""
    image = chart_cache().image(
        ("temperatures", readings, words, _DPI),
        lambda: temperatures_png(readings, dpi=_DPI, words=words),
    )
    return data_uri(image)
