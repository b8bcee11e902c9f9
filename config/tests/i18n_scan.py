"""A pragmatic scanner of the templates for visible text not marked for translation.

Template tags are masked first (same length, so offsets stay those of the source): a `{{ variable }}`
by VAR, any other tag, a `{# comment #}`, a `{% comment %}` block and a whole `{% blocktranslate %}`
block by BLOCK; `<script>`, `<style>` and `<pre>` (sample data) bodies are masked too. What is left
between HTML tags, and the human attributes (aria-label, title, placeholder, alt, ...), is text a
reader sees: any of it with a word in it (two letters or more), outside the allowlist, is a finding.

`python -m config.tests.i18n_scan` prints the findings (file:line: text)."""

import re
import sys
from dataclasses import dataclass
from pathlib import Path

VAR, BLOCK = "\x01", "\x02"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# The API docs pages are drf-spectacular's (Swagger UI and ReDoc speak English).
SKIPPED = ("drf_spectacular/",)
# Words that read the same in every language the product speaks: the product's name, formats, units.
ALLOWLIST = {
    "Timetrack",
    "API",
    "REST API",
    "CSV",
    "XLSX",
    "iCal",
    "CalDAV",
    "JSON",
    "ID",
    "Esc",
    "OK",
    "TOTP",
    "SSO",
    "h",
    "min",
    "%",
}
HUMAN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt", "aria-description", "aria-roledescription")

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_RANGES = [
    (re.compile(r"\{%\s*comment\b.*?%\}"), re.compile(r"\{%\s*endcomment\s*%\}")),
    (re.compile(r"\{%\s*blocktrans(late)?\b.*?%\}"), re.compile(r"\{%\s*endblocktrans(late)?\s*%\}")),
    (re.compile(r"\{%\s*verbatim\b.*?%\}"), re.compile(r"\{%\s*endverbatim\s*%\}")),
]
_HTML_TAG = re.compile(r"<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.DOTALL)
_RAW = re.compile(r"<(script|style|pre)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_ATTRIBUTE = re.compile(r"\s(" + "|".join(HUMAN_ATTRIBUTES) + r")\s*=\s*(\"([^\"]*)\"|'([^']*)')")
_ENTITY = re.compile(r"&#?\w+;")
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str
    start: int  # offsets in the source
    end: int
    has_variable: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def mask(source: str) -> str:
    masked = list(source)

    def blank(start: int, end: int, char: str) -> None:
        masked[start:end] = char * (end - start)

    for opening, closing in _RANGES:
        position = 0
        while match := opening.search(source, position):
            end = closing.search(source, match.end())
            stop = end.end() if end else len(source)
            blank(match.start(), stop, BLOCK)
            position = stop
    for match in _TAG.finditer(source):
        if masked[match.start()] in (VAR, BLOCK):
            continue
        blank(match.start(), match.end(), VAR if match.group().startswith("{{") else BLOCK)
    text = "".join(masked)
    for match in _RAW.finditer(text):
        opening_end = text.index(">", match.start()) + 1
        closing_start = text.rindex("<", match.start(), match.end())
        blank(opening_end, closing_start, BLOCK)
    return "".join(masked)


def visible(text: str) -> bool:
    text = _ENTITY.sub(" ", text.replace(VAR, " ").replace(BLOCK, " ")).strip()
    if not text or text in ALLOWLIST:
        return False
    return any(word not in ALLOWLIST for word in _WORD.findall(text))


def _segments(masked: str, start: int, end: int):
    """The runs of a text node between BLOCK tags (an {% if %} branch is translated on its own;
    words around a {{ variable }} are one sentence)."""
    position = start
    for match in re.finditer(BLOCK + "+", masked[start:end]):
        yield position, start + match.start()
        position = start + match.end()
    yield position, end


def scan_source(source: str, path: str = "", html: bool = True) -> list[Finding]:
    masked = mask(source)
    findings = []

    def found(start: int, end: int) -> None:
        piece = masked[start:end]
        if not visible(piece):
            return
        # Trim the whitespace around the text (the finding is the text itself).
        stripped_start = start + (len(piece) - len(piece.lstrip()))
        stripped_end = end - (len(piece) - len(piece.rstrip()))
        findings.append(
            Finding(
                path=path,
                line=source.count("\n", 0, stripped_start) + 1,
                text=source[stripped_start:stripped_end],
                start=stripped_start,
                end=stripped_end,
                has_variable=VAR in masked[stripped_start:stripped_end],
            )
        )

    if not html:
        for start, end in _segments(masked, 0, len(masked)):
            found(start, end)
        return findings
    position = 0
    for tag in _HTML_TAG.finditer(masked):
        for start, end in _segments(masked, position, tag.start()):
            found(start, end)
        for attribute in _ATTRIBUTE.finditer(masked, tag.start(), tag.end()):
            group = 3 if attribute.group(3) is not None else 4
            for start, end in _segments(masked, attribute.start(group), attribute.end(group)):
                found(start, end)
        position = tag.end()
    for start, end in _segments(masked, position, len(masked)):
        found(start, end)
    return findings


def template_files():
    for path in sorted(TEMPLATES.rglob("*")):
        relative = path.relative_to(TEMPLATES).as_posix()
        if path.is_file() and path.suffix in (".html", ".txt") and not relative.startswith(SKIPPED):
            yield path, relative


def scan() -> list[Finding]:
    findings = []
    for path, relative in template_files():
        findings += scan_source(path.read_text(), relative, html=path.suffix == ".html")
    return findings


if __name__ == "__main__":
    results = scan()
    for finding in results:
        print(finding)
    print(f"{len(results)} unmarked strings", file=sys.stderr)
