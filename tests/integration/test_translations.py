"""The English catalog is complete: every string the sources mark for translation has an English text.

Vietnamese is the source language (the msgids); English comes from
``app/translations/en/LC_MESSAGES/messages.po``. To bring the catalog up to date after adding strings::

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \\
        -o app/translations/messages.pot .
    .venv/bin/pybabel update -i app/translations/messages.pot -d app/translations -l en \\
        --no-fuzzy-matching --ignore-obsolete

then fill in the empty ``msgstr`` entries. If strings of a template are still reported missing after
that, babel.cfg probably lacks a Jinja extension the template uses (see ``TEMPLATE_EXTENSIONS``).
"""

import re
from collections import Counter
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# Python-format placeholders: %(name)s (with any flags, width, precision) and the bare %s / %d.
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[sd]")
# The Jinja extensions the templates are written for (app.web.register_template_helpers adds them). The
# extractor must load them too, or it silently skips every template using one of their tags; babel.cfg
# should name them (``extensions = jinja2.ext.do`` in its jinja2 section) so that ``pybabel extract``
# does not miss the strings of such templates (macros.html).
TEMPLATE_EXTENSIONS = "jinja2.ext.do"


def _catalog():
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="en")


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _extracted_msgids() -> dict[str, list[str]]:
    """Msgids marked in the sources, extracted as ``pybabel extract -F babel.cfg`` does, by file."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    for pattern, method in method_map:
        if method == "jinja2":
            options = options_map[pattern]
            known = {name.strip() for name in options.get("extensions", "").split(",") if name.strip()}
            options["extensions"] = ",".join(sorted(known | {TEMPLATE_EXTENSIONS}))
            # A template the extractor cannot parse must fail here, not lose its strings silently.
            options["silent"] = "false"
    # Walk only the top-level folders the patterns can match (not .venv or node_modules).
    tops = {pattern.split("/", 1)[0] for pattern, _method in method_map}

    def wanted(path: str) -> bool:
        relative = Path(path).relative_to(ROOT).parts
        return not relative[-1].startswith((".", "_")) and relative[0] in tops

    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=wanted
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(filename)
    return found


def test_every_message_has_an_english_translation_with_the_same_placeholders():
    problems = []
    for message in _catalog():
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy (check the text, then remove the flag): {message.id!r}")
        if not all(s.strip() for s in _strings(message)):
            problems.append(f"untranslated: {message.id!r}")
            continue
        expected = Counter(PLACEHOLDER.findall(_ids(message)[0]))
        for text in _strings(message):
            if Counter(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"placeholders differ: {message.id!r} -> {text!r}")
    assert not problems, "English catalog problems:\n" + "\n".join(problems)


def test_every_string_in_the_sources_is_in_the_english_catalog():
    catalog = _catalog()
    known = {msgid for message in catalog if message.id for msgid in _ids(message)}
    missing = {msgid: files for msgid, files in _extracted_msgids().items() if msgid not in known}
    listing = "\n".join(
        f"  {msgid!r}  ({', '.join(sorted(set(files)))})" for msgid, files in sorted(missing.items())
    )
    assert not missing, (
        f"Strings marked for translation but missing from {CATALOG.relative_to(ROOT)} "
        f"(run the commands in this test's docstring, then translate them):\n{listing}"
    )
