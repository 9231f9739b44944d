"""Render a plan e-mail's HTML body to PNG with headless Chromium (the docs screenshots).

    python scripts/render_email.py                       # demo plan, en and fa, 900 and 390 px
    python scripts/render_email.py plan.xlsx --lang he -o out.png --width 390

The inline chart (``cid:``) becomes a ``data:`` URI in the rendered copy, so the browser
shows what a mail app shows. Chromium runs with a throw-away profile and no network
services. The screenshot is cropped below the message card.

Headless Chromium makes no window narrower than 500 px (a page in a 390 px window is
still laid out 500 px wide), so a phone's width is given by a frame instead: the message
is loaded into an ``<iframe>`` exactly that wide, whose document has a 390 px viewport as
on a phone (media queries and percentages see 390 px). :func:`measure` reads each
document's ``scrollWidth`` that way: more than the frame's width means horizontal
scrolling.
"""

from __future__ import annotations

import argparse
import base64
import html as html_text
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi_xl.mail import compose_email  # noqa: E402

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
WIDTH = 900
MOBILE_WIDTH = 390  # an iPhone 12-15's screen, in CSS px
NARROWEST_WINDOW = 500  # headless Chromium's: narrower pages are rendered in a frame
MAX_HEIGHT = 6000
BACKGROUND = (0xF2, 0xF4, 0xF7)  # the body's background in kpi_xl.mail.body
MARGIN = 16
#: Written into the page by :func:`measure`'s script, read back from the dumped DOM.
RESULT = re.compile(r'<pre id="kpi-xl-result">(.*?)</pre>', re.S)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def browser_html(message: EmailMessage) -> str:
    """The HTML body with every ``cid:`` image inlined as a ``data:`` URI."""
    body = message.get_body(preferencelist=("html",))
    assert body is not None, "the message has no HTML body"
    html = str(body.get_content())
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            uri = f"data:{part.get_content_type()};base64,{base64.b64encode(data).decode()}"
            html = html.replace(f"cid:{cid.strip('<>')}", uri)
    return html


def _crop(png: Path) -> None:
    """Cut the empty background below the message card."""
    from PIL import Image

    with Image.open(png) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    column = [rgb.getpixel((width // 2, y)) for y in range(height)]
    last = max((y for y, pixel in enumerate(column) if pixel != BACKGROUND), default=height - 1)
    rgb.crop((0, 0, width, min(height, last + 1 + MARGIN))).save(png, optimize=True)


def _frame(page: str, width: int, height: int, index: int = 0) -> str:
    """An ``<iframe>`` of ``width`` x ``height`` px showing the HTML document ``page``."""
    return (
        f'<iframe id="kpi-xl-frame-{index}" srcdoc="{html_text.escape(page, quote=True)}" '
        f'style="display:block;border:0;margin:0;width:{width}px;height:{height}px;"></iframe>'
    )


def _framed(frames: str, script: str = "") -> str:
    color = "#{:02X}{:02X}{:02X}".format(*BACKGROUND)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>'
        f'<body style="margin:0;background:{color};">{frames}{script}</body></html>\n'
    )


def render(message: EmailMessage, out: Path, chromium: str, width: int = WIDTH) -> Path:
    """Screenshot the message's HTML body into ``out`` (PNG), ``width`` CSS px wide."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    page = browser_html(message)
    if width < NARROWEST_WINDOW:
        page = _framed(_frame(page, width, MAX_HEIGHT))
    with tempfile.TemporaryDirectory(prefix="kpi-xl-render-") as folder:
        shot = Path(folder) / "shot.png"
        result = _run(chromium, Path(folder), page, f"--screenshot={shot}",
                      f"--window-size={width},{MAX_HEIGHT}")  # fmt: skip
        if not shot.exists():
            raise RuntimeError(f"chromium wrote no screenshot: {result.stderr[-2000:]}")
        _crop(shot)
        shutil.copyfile(shot, out)
    return out


#: Reads every frame's document width once the page (frames and images) has loaded.
MEASURE_SCRIPT = """<script>
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("iframe").forEach(function (frame) {
    var root = frame.contentDocument.documentElement;
    out.push({scrollWidth: root.scrollWidth, clientWidth: root.clientWidth});
  });
  var pre = document.createElement("pre");
  pre.id = "kpi-xl-result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def measure(
    pages: Sequence[str], chromium: str, width: int | Sequence[int] = MOBILE_WIDTH
) -> list[dict[str, int]]:
    """Each HTML document's ``scrollWidth`` and ``clientWidth`` (its viewport) in a frame
    ``width`` px wide (one width, or one per page), from one Chromium run:
    ``scrollWidth > clientWidth`` means the page scrolls sideways."""
    widths = [width] * len(pages) if isinstance(width, int) else list(width)
    if len(widths) != len(pages):
        raise ValueError("give one width, or one per page")
    frames = "".join(
        _frame(page, w, 800, i) for i, (page, w) in enumerate(zip(pages, widths, strict=True))
    )
    with tempfile.TemporaryDirectory(prefix="kpi-xl-measure-") as folder:
        result = _run(chromium, Path(folder), _framed(frames, MEASURE_SCRIPT), "--dump-dom",
                      "--virtual-time-budget=10000", f"--window-size={WIDTH},900")  # fmt: skip
    found = RESULT.search(result.stdout)
    if not found:
        raise RuntimeError(f"chromium gave no measurement: {result.stderr[-2000:]}")
    measured: list[dict[str, int]] = json.loads(html_text.unescape(found.group(1)))
    if len(measured) != len(pages):
        raise RuntimeError(f"measured {len(measured)} of {len(pages)} pages")
    return measured


def _run(chromium: str, folder: Path, page: str, *options: str) -> subprocess.CompletedProcess[str]:
    """Chromium on ``page`` (HTML text) with a throw-away profile in ``folder``."""
    path = folder / "page.html"
    path.write_text(page, encoding="utf-8")
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={folder / 'profile'}", *options,
               path.as_uri()]  # fmt: skip
    return subprocess.run(
        command, capture_output=True, text=True, timeout=180, check=False, cwd=folder
    )


#: Notes typed on the demo plan's Targets sheet for the screenshots, as a marketer would.
DEMO_NOTES = {
    "en": {
        ("revenue", "all"): "Autumn sale starts 25 October: the last week should close the gap.",
        ("roas", "paid_social"): "New creatives go live on 22 October.",
    },
    "fa": {
        ("revenue", "all"): "حراج پاییزه از ۲۵ اکتبر شروع می‌شود؛ هفته آخر فاصله را جبران می‌کند.",
        ("roas", "paid_social"): "تبلیغات جدید از ۲۲ اکتبر منتشر می‌شوند.",
    },
}


def _demo_plan(folder: Path, lang: str) -> Path:
    """The demo plan in ``lang``, with the notes of :data:`DEMO_NOTES`."""
    from kpi_xl.pipeline import plan_model, write_plan
    from kpi_xl.plan.spec import load_template
    from kpi_xl.sample_data import load_sample

    (folder / lang).mkdir()
    spec = load_template("ecommerce").with_choices(lang=lang)
    model = plan_model(load_sample(spec.grain), spec, notes=DEMO_NOTES.get(lang, {}))
    return write_plan(model, folder / lang / "kpi_plan.xlsx", data_source="sample:ecommerce")


def default_output(lang: str, width: int) -> Path:
    """docs/images/email_<lang>.png at 900 px, email_mobile_<lang>.png at 390 px."""
    kind = {WIDTH: "", MOBILE_WIDTH: "mobile_"}.get(width, f"{width}_")
    return ROOT / "docs" / "images" / f"email_{kind}{lang}.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("plan", nargs="?", help="plan .xlsx (default: build the demo plan)")
    parser.add_argument("--lang", action="append", help="language(s) (default: en and fa)")
    parser.add_argument(
        "--width", action="append", type=int, help=f"width(s) in px ({WIDTH}, {MOBILE_WIDTH})"
    )
    parser.add_argument("-o", "--output", help="PNG (default: docs/images/email_<lang>.png)")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if not chromium:
        parser.error("chromium is not installed")
    langs = args.lang or ["en", "fa"]
    widths = args.width or [WIDTH, MOBILE_WIDTH]
    if args.output and len(langs) * len(widths) > 1:
        parser.error("-o takes one --lang and one --width")
    with tempfile.TemporaryDirectory() as folder:
        for lang in langs:
            plan = Path(args.plan) if args.plan else _demo_plan(Path(folder), lang)
            message = compose_email(plan, "manager@example.com", lang=lang,
                                    sender="analyst@example.com")  # fmt: skip
            for width in widths:
                out = Path(args.output) if args.output else default_output(lang, width)
                print(f"wrote {render(message, out, chromium, width)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
