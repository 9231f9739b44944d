"""Render a plan e-mail's HTML body to PNG with headless Chromium (the docs screenshots).

    python scripts/render_email.py                       # demo plan, en and fa
    python scripts/render_email.py plan.xlsx --lang he -o out.png

The inline chart (``cid:``) becomes a ``data:`` URI in the rendered copy, so the browser
shows what a mail app shows. Chromium runs with a throw-away profile and no network
services. The screenshot is cropped below the message card.
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
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
MAX_HEIGHT = 4000
BACKGROUND = (0xF2, 0xF4, 0xF7)  # the body's background in kpi_xl.mail.body
MARGIN = 16


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


def render(message: EmailMessage, out: Path, chromium: str, width: int = WIDTH) -> Path:
    """Screenshot the message's HTML body into ``out`` (PNG)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kpi-xl-render-") as folder:
        page = Path(folder) / "email.html"
        page.write_text(browser_html(message), encoding="utf-8")
        shot = Path(folder) / "shot.png"
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--screenshot={shot}",
            f"--window-size={width},{MAX_HEIGHT}",
            page.as_uri(),
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=180, check=False, cwd=folder
        )
        if not shot.exists():
            raise RuntimeError(f"chromium wrote no screenshot: {result.stderr[-2000:]}")
        _crop(shot)
        shutil.copyfile(shot, out)
    return out


def _demo_plan(folder: Path, lang: str) -> Path:
    from kpi_xl.pipeline import build_plan
    from kpi_xl.sample_data import load_sample

    (folder / lang).mkdir()
    return build_plan(load_sample(), folder / lang / "kpi_plan.xlsx", template="ecommerce",
                      lang=lang)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("plan", nargs="?", help="plan .xlsx (default: build the demo plan)")
    parser.add_argument("--lang", action="append", help="language(s) (default: en and fa)")
    parser.add_argument("-o", "--output", help="PNG (default: docs/images/email_<lang>.png)")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if not chromium:
        parser.error("chromium is not installed")
    langs = args.lang or ["en", "fa"]
    if args.output and len(langs) > 1:
        parser.error("-o takes one --lang")
    with tempfile.TemporaryDirectory() as folder:
        for lang in langs:
            plan = Path(args.plan) if args.plan else _demo_plan(Path(folder), lang)
            message = compose_email(plan, "manager@example.com", lang=lang,
                                    sender="analyst@example.com")  # fmt: skip
            out = Path(args.output or ROOT / "docs" / "images" / f"email_{lang}.png")
            print(f"wrote {render(message, out, chromium)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
