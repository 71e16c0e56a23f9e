"""Build static/vendor/lucide/sprite.svg from an unpacked lucide-static package.

We ship only the icons the workspace uses, as one cached sprite:

    npm pack lucide-static@1.62.0 && tar xzf lucide-static-1.62.0.tgz
    python scripts/build_icon_sprite.py package/icons

Add a name to ICONS and rerun to use a new icon.
"""

import re
import sys
from pathlib import Path

ICONS = [
    "table",
    "git-merge",
    "bell-off",
    "arrow-right-left",
    "undo-2",
    "archive-restore",
    "panels-top-left",
    "save",
    "list-plus",
    "columns-3",
    "sliders-horizontal",
    "list-filter",
    "info",
    "chevron-right",
    "grip-vertical",
    "image-off",
    "split",
    "route",
    "bot",
    "ellipsis",
    "shield-check",
    "external-link",
    "rotate-cw",
    "mail-plus",
    "file",
    "arrow-left",
    "ban",
    "briefcase",
    "building-2",
    "check",
    "chevron-down",
    "chevron-left",
    "circle-alert",
    "circle-check",
    "circle-dot",
    "circle-help",
    "circle-user",
    "clock",
    "file-text",
    "flag",
    "folder-open",
    "globe",
    "handshake",
    "history",
    "inbox",
    "keyboard",
    "languages",
    "layers",
    "list",
    "log-out",
    "mail",
    "message-square",
    "panel-right",
    "pencil",
    "phone",
    "plus",
    "search",
    "send",
    "settings",
    "shield-alert",
    "tag",
    "trash-2",
    "user-plus",
    "user-round",
    "user",
    "users",
    "x",
    "reply",
    "lock",
    "bold",
    "italic",
    "underline",
    "list-ordered",
    "link",
    "text-quote",
    "code",
    "maximize-2",
    "minimize-2",
    "file-pen-line",
    "eye",
    "send-horizontal",
    "bell",
    "at-sign",
    "paperclip",
    "book-open",
    "thumbs-up",
    "thumbs-down",
    "image",
    "receipt",
    "circle-play",
]

OUT = Path(__file__).resolve().parent.parent / "static/vendor/lucide/sprite.svg"


def main(icons_dir: str) -> None:
    symbols = []
    for name in ICONS:
        svg = (Path(icons_dir) / f"{name}.svg").read_text()
        body = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S).group(1)
        body = re.sub(r"\s+", " ", body).strip()
        symbols.append(f'<symbol id="{name}" viewBox="0 0 24 24">{body}</symbol>')
    OUT.write_text(
        "<!-- lucide-static 1.62.0, ISC licence, see LICENSE -->\n"
        '<svg xmlns="http://www.w3.org/2000/svg">\n' + "\n".join(symbols) + "\n</svg>\n"
    )


if __name__ == "__main__":
    main(sys.argv[1])
