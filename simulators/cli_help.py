"""The help and usage text of ``discos-simulator``, laid out as it always has been.

The command moved from argparse to click; its ``--help`` did not change: a
lower-case ``usage:`` line wrapped option by option, the description, the
commands and the options in two columns (``-s NAME, --system NAME``), the
epilog. :func:`help_text` and :func:`usage` write a click command that way.
"""

from __future__ import annotations

import re
import shutil
import textwrap

import click

__all__ = ["help_option", "help_text", "usage"]

_INDENT = 2


def _show_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        click.echo(ctx.get_help())
        ctx.exit(0)


def help_option() -> click.Option:
    """``-h, --help``: print this command's help and exit 0."""
    return click.Option(
        ["-h", "--help"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_show_help,
        help="show this help message and exit",
    )


def _width() -> int:
    return shutil.get_terminal_size().columns - 2


def _normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def usage(command: click.Command, ctx: click.Context) -> str:
    """The usage line, as argparse wraps it: options first, positionals on their own line."""
    width = _width()
    prog = ctx.command_path
    options = [f"[{_usage_part(param)}]" for param in _visible(command, ctx)]
    positionals = ["COMMAND ..."] if isinstance(command, click.Group) else []
    one_line = f"usage: {prog} " + " ".join(options + positionals)
    if len(one_line) <= width:
        return one_line.rstrip()
    if len(f"usage: {prog}") <= 0.75 * width:  # the options beside the program's name
        indent = " " * len(f"usage: {prog} ")
        lines = _lines(options, indent, width) + _lines(positionals, indent, width)
        return f"usage: {prog} " + "\n".join(lines)[len(indent) :]
    indent = " " * len("usage: ")  # a long name: the options below it
    lines = _lines(options + positionals, indent, width)
    if len(lines) > 1:
        lines = _lines(options, indent, width) + _lines(positionals, indent, width)
    return "\n".join([f"usage: {prog}", *lines])


def help_text(command: click.Command, ctx: click.Context) -> str:
    """Usage, description, commands, options and epilog, separated by blank lines."""
    width = _width()
    blocks = [usage(command, ctx)]
    if command.help:
        blocks.append(textwrap.fill(_normalized(command.help), width))
    positional, options = _rows(command, ctx)
    longest = max(len(first) for _, first, _ in (*positional, *options))
    position = min(longest + _INDENT + 2, 24, max(width - 20, _INDENT * 2))
    for heading, section in (("positional arguments", positional), ("options", options)):
        if section:
            lines = [f"{heading}:"]
            lines += [_row(row, position, width) for row in section]
            blocks.append("\n".join(lines))
    if command.epilog:
        blocks.append(textwrap.fill(_normalized(command.epilog), width))
    return "\n\n".join(blocks) + "\n"


def _visible(command: click.Command, ctx: click.Context) -> list[click.Option]:
    return [
        param
        for param in command.get_params(ctx)
        if isinstance(param, click.Option) and not param.hidden
    ]


Row = tuple[int, str, str]  # indent, invocation, help


def _rows(command: click.Command, ctx: click.Context) -> tuple[list[Row], list[Row]]:
    """The rows of the positional arguments (a group's commands) and of the options."""
    positional: list[Row] = []
    if isinstance(command, click.Group):
        positional.append((_INDENT, "COMMAND", ""))
        positional += [
            (_INDENT * 2, name, sub.get_short_help_str(limit=1000))
            for name, sub in command.commands.items()
        ]
    options = [(_INDENT, _invocation(param), param.help or "") for param in _visible(command, ctx)]
    return positional, options


def _lines(parts: list[str], indent: str, width: int) -> list[str]:
    """Fill ``parts`` into lines no wider than ``width``, never breaking a part."""
    lines: list[str] = []
    line: list[str] = []
    length = len(indent) - 1
    for part in parts:
        if line and length + 1 + len(part) > width:
            lines.append(indent + " ".join(line))
            line, length = [], len(indent) - 1
        line.append(part)
        length += len(part) + 1
    if line:
        lines.append(indent + " ".join(line))
    return lines


def _invocation(param: click.Option) -> str:
    """``-s NAME, --system NAME`` (or ``-v, --verbose`` for a flag)."""
    if param.is_flag:
        return ", ".join(param.opts)
    return ", ".join(f"{flag} {param.metavar}" for flag in param.opts)


def _usage_part(param: click.Option) -> str:
    flag = param.opts[0]
    return flag if param.is_flag else f"{flag} {param.metavar}"


def _row(row: Row, position: int, width: int) -> str:
    indent, first, text = row
    if not text:
        return " " * indent + first
    room = position - indent - 2
    lines = textwrap.wrap(_normalized(text), max(width - position, 11))
    if len(first) <= room:
        head = " " * indent + first.ljust(room) + "  " + lines[0]
        lines = lines[1:]
    else:
        head = " " * indent + first
    return "\n".join([head, *(" " * position + line for line in lines)])
