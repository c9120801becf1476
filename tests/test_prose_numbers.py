"""Numbers in prose come from the runs (issue 35, item 5).

Every digit in the prose of ``book/*.md`` and in the Markdown cells of ``notebooks/*.py`` must be one of:

- glued: inside a myst-nb ``{glue:...}`` role (the value comes from an executed notebook), or in a code span or code
  block (code, not prose), or in Markdown a notebook generates from library code (not in these files at all);
- a reference, not a figure: a table, figure, section or equation number ("Table 3", "Sec. 4.1", "eq. 6"), a
  network's or data set's name ("ResNet-18", "ChestX-ray14", "MedMNIST v2"), a citation's year or arXiv number, a
  list item's number, a part's position ("(2/4)");
- a figure of the papers, or a fixed convention of the book, listed with its source in
  ``src/synthmed/reference/prose_numbers.yaml`` (a phrase that must occur around the digits).

Anything else (a count of images, a profile's number of steps, a run's result) is typed into prose and goes stale
when the runs change: glue it from the notebook that produces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ALLOW_FILE = ROOT / "src" / "synthmed" / "reference" / "prose_numbers.yaml"

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# References that are not figures: what they number is named beside them.
REFERENCE = re.compile(
    r"(?:Tables?|Figs?\.|Figures?|Secs?\.|Sections?|[Ee]qs?\.|Experiments?|Appendix)"
    r"\s*[A-Z]?\d+(?:\.\d+)*(?:\s*(?:[–-]|,|and|or)\s*[A-Z]?\d+(?:\.\d+)*)*"
    r"|(?:ResNet|DenseNet|VGG|Inception)-v?\d+|ChestX-ray14|MedMNIST v2|NIH1000|nih1000|arXiv:\d+\.\d+"
    r"|(?:et al\.,?|\(|, |[A-Z][A-Za-z]+ )(?:19|20)\d\d(?=[);,.])"  # a citation's year
    r"|\bMD5\b|\b8-bit\b|\buint8\b|\bL2\b|\btop-\d+\b|\b(?:replicate|class) \d\b"  # names, labels
    r"|^\s*\d+\.\s"  # a numbered list item
    r"|\(\d+/\d+\)"  # a part's position: "GAN ensembles (2/4)"
    r"|\(\w+-exp\d\)="  # a MyST target
    , re.M)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)  # inline code, glue roles' arguments included
LINK_TARGET = re.compile(r"\]\([^)]*\)")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True)
class Hit:
    file: str
    line: int
    number: str
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.number!r} in {self.text.strip()!r}"


def markdown_of_notebook(source: str) -> str:
    """The Markdown cells of a jupytext percent file, comment markers removed; other lines blank (line numbers
    stay those of the .py file)."""
    out, markdown = [], False
    for line in source.splitlines():
        if line.startswith("# %%"):
            markdown = "[markdown]" in line
            out.append("")
        elif markdown and (line.startswith("# ") or line == "#"):
            out.append(line[2:])
        else:
            out.append("")
    return "\n".join(out)


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def prose(markdown: str) -> str:
    """``markdown`` with code blocks, code spans, glue roles, link targets and comments blanked (same length, same
    line breaks), so that only prose keeps its digits."""
    lines, fence = [], None
    for line in markdown.splitlines():
        stripped = line.lstrip()
        opener = re.match(r"(`{3,}|~{3,})(.*)", stripped)
        if fence is None and opener:
            info = opener.group(2).strip()
            # a directive's body ({note}, {admonition}) is prose; a code block's is not
            fence = (opener.group(1), not info.startswith("{") or info.startswith(("{code", "{glue")))
            lines.append("")
            continue
        if fence is not None and stripped.startswith(fence[0]) and stripped.strip() == fence[0]:
            fence = None
            lines.append("")
            continue
        lines.append(" " * len(line) if fence is not None and fence[1] else line)
    text = "\n".join(lines)
    for pattern in (HTML_COMMENT, CODE_SPAN, LINK_TARGET):
        text = pattern.sub(_blank, text)
    return text


def load_allowed() -> list[dict]:
    entries = yaml.safe_load(ALLOW_FILE.read_text())["allowed"]
    for entry in entries:
        assert entry.get("phrase") and entry.get("source"), f"{ALLOW_FILE.name}: every entry needs phrase and source"
        assert NUMBER.search(entry["phrase"]), f"{ALLOW_FILE.name}: {entry['phrase']!r} has no digit to allow"
    return entries


def _constant(spec: str) -> float:
    """The value of ``"module:NAME"`` or ``"module:NAME * factor"``."""
    import importlib

    target, _, factor = spec.partition("*")
    module, name = target.strip().split(":")
    return float(getattr(importlib.import_module(module), name)) * float(factor or 1)


def test_allowed_conventions_match_the_code():
    """A convention typed into prose (a 95 % interval, a retry count) equals the library constant it names."""
    for entry in load_allowed():
        if entry.get("equals"):
            typed = float(NUMBER.search(entry["phrase"]).group(0).replace(",", ""))
            assert abs(typed - _constant(entry["equals"])) < 1e-9, (entry["phrase"], entry["equals"])


def _phrase_pattern(phrase: str) -> re.Pattern:
    """A phrase matches across line breaks and repeated spaces."""
    return re.compile(r"\s+".join(re.escape(word) for word in phrase.split()))


def unexplained_numbers(name: str, markdown: str, allowed: list[dict]) -> list[Hit]:
    """The numbers in ``markdown``'s prose that are neither glued, nor references, nor allowed figures."""
    text = prose(markdown)
    covered = bytearray(len(text))
    spans = [m.span() for m in REFERENCE.finditer(text)]
    for entry in allowed:
        if entry.get("files") and name not in entry["files"]:
            continue
        spans += [m.span() for m in _phrase_pattern(entry["phrase"]).finditer(text)]
    for start, end in spans:
        covered[start:end] = b"\x01" * (end - start)
    hits = []
    for m in NUMBER.finditer(text):
        if not all(covered[m.start():m.end()]):
            line = text.count("\n", 0, m.start()) + 1
            hits.append(Hit(name, line, m.group(0), markdown.splitlines()[line - 1]))
    return hits


def prose_files() -> dict[str, str]:
    """{name: Markdown} for every book page and every notebook's Markdown cells."""
    files = {f"book/{p.name}": p.read_text() for p in sorted((ROOT / "book").glob("*.md"))}
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        if path.name != "conftest.py":
            files[f"notebooks/{path.name}"] = markdown_of_notebook(path.read_text())
    return files


def test_every_number_in_prose_is_glued_a_reference_or_an_allowed_figure():
    allowed = load_allowed()
    hits = [hit for name, text in prose_files().items() for hit in unexplained_numbers(name, text, allowed)]
    assert not hits, ("numbers typed into prose (glue them from the notebook that computes them, or, for a paper's "
                      f"own figure, list it with its source in {ALLOW_FILE.name}):\n" + "\n".join(map(str, hits)))


def test_every_allowed_phrase_is_still_used():
    """An allow-list entry that no prose uses any more is stale: remove it."""
    files = {name: prose(text) for name, text in prose_files().items()}
    unused = [e["phrase"] for e in load_allowed()
              if not any(_phrase_pattern(e["phrase"]).search(text) for name, text in files.items()
                         if not e.get("files") or name in e["files"])]
    assert not unused, f"allow-list entries no prose uses: {unused}"


@pytest.mark.parametrize("markdown, caught", [
    ("The quick profile takes 4 ascent steps.", ["4"]),
    ("It trains on 1,000 images at 64×64.", ["1,000", "64", "64"]),
    ("Table 3 and Sec. 4.1 (Niemeijer et al., 2024) use a ResNet-18.", []),
    ("It takes {glue:text}`steps` ascent steps and `n_train = 600` images.", []),
    ("```python\nx = 5\n```\nand 7 more", ["7"]),
    (":::{note}\n", []),
    ("```{note}\nA note with 12 images.\n```", ["12"]),
    ("1. **first**: item\n2. second", []),
])
def test_typed_numbers_are_caught(markdown, caught):
    assert [h.number for h in unexplained_numbers("t.md", markdown, [])] == caught


def test_an_allowed_phrase_covers_only_its_own_digits():
    allowed = [{"phrase": "212 : 700", "source": "the paper"}]
    assert [h.number for h in unexplained_numbers("t.md", "a 212 : 700 ratio, then 212 positives", allowed)] == ["212"]


def test_notebook_markdown_cells_only():
    source = "# %%\nx = 3\n\n# %% [markdown]\n# We ran 17 seeds.\n\n# %%\ny = 4\n"
    assert [h.number for h in unexplained_numbers("n.py", markdown_of_notebook(source), [])] == ["17"]


GLUE_REF = re.compile(r"\{glue(?::\w+)?\}`(?:(?P<doc>[^`:]+)::)?(?P<key>[^`:]+)(?::[^`]*)?`")


@pytest.mark.parametrize("profile", ["smoke", "quick", "paper"])
def test_every_glued_setting_exists_under_every_profile(profile):
    """A book page's ``{glue:text}`executed/<notebook>.ipynb::<key>``` names a value the notebook's settings glue
    (:meth:`synthmed.profiles.Settings.glue_values`) under every profile, so no build fails on a missing key."""
    from synthmed import profiles

    refs = [(name, m["doc"], m["key"]) for name, text in prose_files().items() if name.startswith("book/")
            for m in GLUE_REF.finditer(text) if m["doc"]]
    assert refs, "the book's prose glues nothing"
    for name, doc, key in refs:
        notebook = Path(doc).stem
        assert key in profiles.resolve(notebook, profile).glue_values(), f"{name}: {notebook} glues no {key!r}"


def test_settings_glue_their_values_as_plain_text():
    from IPython.core.formatters import format_display_data

    from synthmed import profiles

    values = profiles.resolve("tsynd", "quick").glue_values()
    assert values["profile"] == "quick" and values["seeds_count"] == str(len(profiles.resolve("tsynd", "quick").seeds))
    assert values["ascent_steps"] == str(profiles.resolve("tsynd", "quick").ascent_steps)
    assert format_display_data(profiles._Plain("0, 1"))[0]["text/plain"] == "0, 1"  # no quotes


def test_glue_text_roles_from_another_document_name_a_format():
    """myst-nb's ``{glue:text}`` splits its argument at the last colon into key and format, so
    ``path::key`` without a format reads as the key ``path:`` and the page loses the value (a build warning);
    ``path::key:s`` (or another format) pastes it."""
    role = re.compile(r"\{glue:text\}`([^`]*)`")
    bad = [(p.name, arg) for p in sorted((ROOT / "book").glob("*.md")) for arg in role.findall(p.read_text())
           if "::" in arg and ":" not in arg.split("::", 1)[1]]
    assert not bad, f"glue:text roles without a format: {bad[:5]}"
