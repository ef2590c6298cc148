"""The words the report charts draw: axis labels, legend entries, titles, the Cpk box.

:class:`ChartWords` holds them; its defaults are the English the PDF and HTML reports
have always drawn, so a chart drawn without words is the same image, byte for byte.
The web UI fills one from its message catalogue (``chart.<field>`` keys), so a German
page draws German charts. A field with ``{names}`` is a :meth:`str.format` template;
the numbers it is given are already formatted (the catalogue's entries hold no format
specifications), which keeps each language's template plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from mfg_ctl.tempco import Fit, tempco_ppm_per_c

__all__ = ["ENGLISH", "ChartWords", "word_fields"]


@dataclass(frozen=True)
class ChartWords:
    """Every text of the report charts that does not come from the data."""

    # TempCo curve
    tempco_readings: str = "readings"
    tempco_band: str = "accepted: {expected} \u00b1 {tolerance} ppm/\u00b0C"
    tempco_fit: str = "fit (r\u00b2 {r_squared})"
    tempco_points: str = "settled points (mean)"
    tempco_x: str = "chamber temperature (\u00b0C)"
    tempco_y: str = "Vout (V)"
    tempco_title: str = (
        "TempCo {measured} (expected {expected} \u00b1 {tolerance},"
        " relative to {reference} \u00b0C)"
    )
    tempco_measured: str = "{ppm} ppm/\u00b0C"
    tempco_undefined: str = "undefined (Vout is 0 at {reference} \u00b0C)"
    # a sweep's temperatures over time
    temperatures_title: str = "Chamber and DUT temperature over the sweep"
    temperatures_x: str = "elapsed time (min)"
    temperatures_y: str = "temperature (\u00b0C)"
    temperatures_setpoint: str = "setpoint"
    temperatures_chamber: str = "chamber (air)"
    temperatures_dut: str = "DUT (case)"
    # Pareto and histogram
    count: str = "count"
    pareto_cumulative: str = "cumulative"
    pareto_percent: str = "{value}%"
    pareto_top: str = "{title} (top {shown} of {total})"
    # control chart
    control_reading: str = "reading"
    control_centre: str = "centre"
    control_limits: str = "UCL/LCL"
    control_spec_low: str = "spec low"
    control_spec_high: str = "spec high"
    control_flagged: str = "flagged"
    control_x: str = "run (oldest first)"
    control_title: str = "{step} ({plan}): {classification}"
    in_control: str = "in control"
    trending: str = "trending"
    out_of_control: str = "out of control"
    # histogram and its capability box (monospaced: the labels pad to one column)
    histogram_mean: str = "mean"
    histogram_lsl: str = "LSL {limit}"
    histogram_usl: str = "USL {limit}"
    histogram_x: str = "measured ({unit})"
    histogram_x_plain: str = "measured"
    summary_n: str = "n      {n}"
    summary_mean: str = "mean   {mean}"
    summary_sigma: str = "sigma  {sigma} (within)"
    summary_cpk: str = "Cpk    {cpk}"
    summary_undefined: str = "Cpk undefined: {why}"
    summary_one_value: str = "one value gives no sigma"
    summary_no_limit: str = "no specification limit"

    def classification(self, name: str) -> str:
        """An SPC classification (``in control``, ``trending``, ``out of control``) in
        these words; any other text as it is."""
        known = {
            "in control": self.in_control,
            "trending": self.trending,
            "out of control": self.out_of_control,
        }
        return known.get(name, name)

    def tempco_heading(
        self, fit: Fit, reference_c: float, expected_ppm: float, tolerance_ppm: float
    ) -> str:
        """The TempCo chart's title: the fit's coefficient (or why it has none) and its limit."""
        try:
            ppm = tempco_ppm_per_c(fit, reference_c)
        except ValueError:  # Vout is 0 at the reference
            measured = self.tempco_undefined.format(reference=f"{reference_c:g}")
        else:
            measured = self.tempco_measured.format(ppm=f"{ppm:.2f}")
        return self.tempco_title.format(
            measured=measured,
            expected=f"{expected_ppm:g}",
            tolerance=f"{tolerance_ppm:g}",
            reference=f"{reference_c:g}",
        )


#: The reports' words: what a chart drawn without ``words=`` says.
ENGLISH = ChartWords()


def word_fields() -> tuple[str, ...]:
    """The names of the words, in their order (the catalogue's keys are ``chart.<name>``)."""
    return tuple(field.name for field in fields(ChartWords))
