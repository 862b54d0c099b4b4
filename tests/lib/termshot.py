"""A terminal screen as a person sees it, for tests that must prove a QR code on the terminal scans.

`tmux capture-pane -p -e` gives the pane's text with the SGR sequences of its colours;
render() draws it as a greyscale PGM the way a terminal with a dark or a light theme would:
a cell is 4 x 8 pixels, the half blocks fill their half (so a module is 4 x 4 pixels), other
printable characters ink a small mark in the middle of their cell (text near the code is not
free), the default colours come from the theme and the 16 ANSI colours from xterm's palette.
decode() scans such a picture with zbarimg (Debian's zbar-tools), which reads no inverted code:
a code drawn in the wrong polarity for the theme does not decode.
"""
import os
import re
import shutil
import subprocess
import tempfile

CELL_W, CELL_H = 4, 8

# Default foreground and background of a typical dark and light theme (grey levels 0..255).
THEMES = {"dark": (229, 30), "light": (30, 250)}

# xterm's 16 colours, as grey levels (luma of the RGB values).
_PALETTE_RGB = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
                (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0),
                (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]


def _grey(rgb):
    r, g, b = rgb
    return int(0.2126 * r + 0.7152 * g + 0.0722 * b)


def _color256(n):
    if n < 16:
        return _grey(_PALETTE_RGB[n])
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return _grey((steps[n // 36], steps[(n // 6) % 6], steps[n % 6]))
    return 8 + 10 * (n - 232)


_SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def _cells(capture, theme):
    """[[(char, fg, bg)] per line] of a capture; tmux writes only the attribute changes, so the
    attributes carry over from one line to the next."""
    dfg, dbg = THEMES[theme]
    fg, bg, reverse = None, None, False
    lines = [[]]
    out = lines[0]
    line = capture
    pos = 0
    while pos < len(line):
        if line[pos] == "\n":
            out = []
            lines.append(out)
            pos += 1
            continue
        m = _SGR.match(line, pos)
        if m:
            params = [int(p) if p else 0 for p in re.split("[;:]", m.group(1))] if m.group(1) else [0]
            i = 0
            while i < len(params):
                p = params[i]
                if p == 0:
                    fg, bg, reverse = None, None, False
                elif p == 7:
                    reverse = True
                elif p == 27:
                    reverse = False
                elif 30 <= p <= 37:
                    fg = _color256(p - 30)
                elif 90 <= p <= 97:
                    fg = _color256(p - 90 + 8)
                elif 40 <= p <= 47:
                    bg = _color256(p - 40)
                elif 100 <= p <= 107:
                    bg = _color256(p - 100 + 8)
                elif p == 39:
                    fg = None
                elif p == 49:
                    bg = None
                elif p in (38, 48) and i + 2 < len(params) and params[i + 1] == 5:
                    if p == 38:
                        fg = _color256(params[i + 2])
                    else:
                        bg = _color256(params[i + 2])
                    i += 2
                elif p in (38, 48) and i + 4 < len(params) and params[i + 1] == 2:
                    v = _grey(tuple(params[i + 2:i + 5]))
                    if p == 38:
                        fg = v
                    else:
                        bg = v
                    i += 4
                i += 1
            pos = m.end()
            continue
        if line[pos] == "\x1b":  # another escape sequence: skip it
            end = re.match(r"\x1b\[[0-9;?]*[A-Za-z]", line[pos:])
            pos += end.end() if end else 1
            continue
        f, b = (fg if fg is not None else dfg), (bg if bg is not None else dbg)
        if reverse:
            f, b = b, f
        out.append((line[pos], f, b))
        pos += 1
    return lines


def render(capture, theme, cols=80, rows=24):
    """The captured screen (text of `capture-pane -p -e`) as PGM bytes on a theme."""
    dfg, dbg = THEMES[theme]
    w, h = cols * CELL_W, rows * CELL_H
    px = bytearray([dbg]) * (w * h)
    for r, cells in enumerate(_cells(capture, theme)[:rows]):
        for c, (ch, fg, bg) in enumerate(cells[:cols]):
            for y in range(CELL_H):
                for x in range(CELL_W):
                    if ch == "\u2588":
                        ink = True
                    elif ch == "\u2580":
                        ink = y < CELL_H // 2
                    elif ch == "\u2584":
                        ink = y >= CELL_H // 2
                    elif ch == " ":
                        ink = False
                    else:  # a letter: a mark in the middle of the cell
                        ink = 1 <= x <= 2 and 2 <= y <= 5
                    px[(r * CELL_H + y) * w + c * CELL_W + x] = fg if ink else bg
    return b"P5\n%d %d\n255\n" % (w, h) + bytes(px)


def decode(pgm):
    """What zbarimg reads in the picture, or None."""
    zbarimg = shutil.which("zbarimg")
    if not zbarimg:
        raise RuntimeError("zbarimg not installed (zbar-tools, scripts/deps.sh)")
    fd, path = tempfile.mkstemp(suffix=".pgm")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pgm)
        p = subprocess.run([zbarimg, "--nodbus", "-q", "--raw", path], capture_output=True,
                           text=True, timeout=60)
    finally:
        os.unlink(path)
    return p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else None
