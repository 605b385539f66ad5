"""The notebook model: a notebook file read once, checked, and turned into what the build needs.

`checked_notebook` parses and checks a notebook's bytes; `make_model` turns the checked
notebook into a NotebookModel: its `nikola` metadata, the
checked images (decoded once, kept in the image store), the files it refers to, the
browser libraries its outputs need, the warnings for the author, and the notebook ready to
render (outputs rewritten for a static page, images pointing at files). Everything after
it (scanning, execution, the compiler, interactive outputs) takes the model instead of
reading the notebook again; pipeline.py keeps models by content so an unchanged notebook
is never parsed twice.

Problems are sorted by whether the post can still be published honestly:
- the file is not a notebook, a cell is malformed, the metadata is wrong: SourceError, one
  line naming the file and the cell, and the build stops before output/ changes;
- one output cannot be shown (damaged image data, an output with missing or wrongly typed
  keys, widget state that does not parse, a broken attachment): a warning naming the file,
  cell and output, and a visible placeholder on the page where the output was.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from blog_build import cross_references, html_safety, interactive_outputs, references, text_notebooks
from blog_build.html_safety import outside_code
from blog_build.images import IMAGE_TYPES, ImageError, ImageStore, text_of
from blog_build.metadata import SourceError, notebook_entry
from blog_build.notebook_checks import check_notebook

# Bumped whenever what a model holds, or how it is made, changes: older models are not reused.
MODEL_VERSION = "10"
PLACEHOLDER = '<p class="nb-unavailable">{what} could not be shown: {why}.</p>'
INLINE_PLACEHOLDER = '<span class="nb-unavailable">{what} could not be shown: {why}.</span>'
# `attachment:NAME` as the target of a Markdown image or link, or as an HTML src; not in code.
ATTACHMENT = re.compile(r"""(?<=\]\()(\s*<?)attachment:([^\s)>]+)|(?<=src=["'])attachment:([^"']+)""")
# A Markdown image whose attachment could not be kept (`point` left it as attachment-missing:NAME).
MISSING_IMAGE = re.compile(r"!\[([^\]]*)\]\(attachment-missing:([^\s)]*)\)")
# A Markdown image of an attachment, `![alt](attachment:NAME "title")`: made an <img> with size and lazy loading.
ATTACHED_IMAGE = re.compile(r"""!\[([^\]]*)\]\(\s*<?attachment:([^\s)>]+)>?(?:\s+["']([^"']*)["'])?\s*\)""")
# An HTML <img> of an attachment (`<img src="attachment:NAME" ...>`), for the attributes it lacks.
ATTACHED_HTML_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc=["']attachment:([^"']+)["'][^>]*>""", re.I)
# An <img> whose image is inline base64 (widget snapshots, pasted HTML, some libraries' outputs).
INLINE_IMAGE = re.compile(
    r"""<img\b[^>]*?\bsrc\s*=\s*(?:(?P<quote>["'])(?P<url>data:(?P<mime>image/(?:png|jpeg|gif));base64,"""
    r"""(?P<data>[A-Za-z0-9+/=\s]+))(?P=quote)"""
    r"""|(?P<bare>data:(?P<bare_mime>image/(?:png|jpeg|gif));base64,(?P<bare_data>[A-Za-z0-9+/=]+)))[^>]*>""",
    re.I,
)  # the src quoted (base64 may then hold line breaks) or, as ipywidgets 5's snapshots have it, not
# An HTML <img> with no alt attribute at all: a screen reader reads out its file name.
IMAGE_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt\s*=)", re.I)
IMAGE_FILE = "nb-image-file:"  # an image file beside the post, until point_images knows the post's URL
# An alt text that is only a file name (`image.png`, what Jupyter names a pasted image) describes nothing.
FILE_NAME_ALT = re.compile(r"[\w. -]*\.(png|jpe?g|gif|svg|webp|bmp)", re.I)
MAX_REPAIRS = 200  # outputs repaired in one notebook before giving up on it as a whole


@dataclass
class NotebookModel:
    """What the build needs from one notebook; `notebook` is the form ready to render."""

    source: str
    key: str  # content hash of what the model was made from
    metadata: dict[str, str]
    images: list[str]  # image names (in the image store) the page shows
    references: list[tuple[int, str]]  # (cell number, relative path) of files it refers to
    libraries: list[str]  # browser libraries its outputs need
    warnings: list[str]
    kernel: str
    code_digest: str  # the code cells' sources, for the execution cache
    findings: list[dict]  # what the check before publishing found (notebook_checks)
    notebook: dict | None = field(default=None, repr=False)

    def facts(self) -> dict:
        """Everything but the notebook itself: small, JSON, kept between builds."""
        return {name: getattr(self, name) for name in FACT_FIELDS}

    @classmethod
    def from_facts(cls, facts: dict) -> NotebookModel:
        model = cls(**{name: facts[name] for name in FACT_FIELDS})
        model.references = [tuple(reference) for reference in model.references]
        return model


FACT_FIELDS = (
    "source", "key", "metadata", "images", "references", "libraries", "warnings", "kernel", "code_digest", "findings",
)  # fmt: skip


def content_key(data: bytes, libraries: set[str], source: str, framed: dict[str, bytes] | None = None) -> str:
    """The cache key of a notebook's model: its bytes and path, the model version, the libraries the site serves.

    `framed`: the bytes of the files its outputs frame, by path (references.framed_paths).
    """
    digest = hashlib.sha256(f"{MODEL_VERSION}|{','.join(sorted(libraries))}|{source}|".encode())
    digest.update(data)
    for path, content in sorted((framed or {}).items()):
        digest.update(f"\0{path}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def decoded(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def parse(data: bytes, source: str) -> dict:
    """The notebook JSON in `data`, or a SourceError saying why it is not one."""
    text = decoded(data, source)
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise SourceError(
            f"{source}: not valid notebook JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise SourceError(f"{source}: not valid notebook JSON (nested too deeply)") from None
    if not isinstance(notebook, dict):
        raise SourceError(f"{source}: not a Jupyter notebook (no list of 'cells')")
    if notebook.get("nbformat") == 3 and isinstance(notebook.get("worksheets"), list):
        notebook = upgraded(notebook, source)
    if notebook.get("nbformat") != 4:
        raise SourceError(f"{source}: nbformat {notebook.get('nbformat')!r} is not supported; save it as version 4")
    if not isinstance(notebook.get("cells"), list):
        raise SourceError(f"{source}: not a Jupyter notebook (no list of 'cells')")
    return notebook


def upgraded(notebook: dict, source: str) -> dict:
    """A version 3 notebook (IPython 2 and earlier) converted to version 4 by nbformat, cells without ids.

    nbformat gives the converted cells random ids; give_cells_ids gives them stable ones.
    """
    import nbformat

    try:
        # Version 3 saves text as lists of lines; nbformat's reader joins them before converting
        # (its converter calls str methods on them), so join them as it does.
        from nbformat.v3.rwbase import rejoin_lines

        joined = rejoin_lines(nbformat.from_dict(notebook))
        converted = json.loads(json.dumps(nbformat.convert(joined, 4)))
    except Exception as error:  # nbformat's converter on a damaged version 3 file
        raise SourceError(f"{source}: a version 3 notebook that nbformat cannot convert ({error})") from None
    for cell in converted.get("cells", []):
        cell.pop("id", None)
    return converted


def give_cells_ids(notebook: dict) -> None:
    """Ids for cells saved without one, made from the cell's place and content, so every build gives the same.

    nbformat invents random ids for them on every read, which changed the page, the home
    page, the feeds and the search index on every clean build.
    """
    minor = notebook.get("nbformat_minor")
    if not isinstance(minor, int) or minor < 5:
        notebook["nbformat_minor"] = 5
    seen: set[str] = set()
    for number, cell in enumerate(notebook["cells"], 1):
        if not isinstance(cell, dict):
            continue
        given = cell.get("id")
        if not isinstance(given, str) or not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", given) or given in seen:
            content = json.dumps([number, cell.get("source")], sort_keys=True, default=str)
            given = f"cell-{number}-{hashlib.sha256(content.encode()).hexdigest()[:8]}"
        cell["id"] = given
        seen.add(given)


def placeholder_output(what: str, why: str) -> dict:
    html = PLACEHOLDER.format(what=what, why=why.rstrip("."))
    return {"output_type": "display_data", "data": {"text/html": html}, "metadata": {}}


def describe(error) -> str:
    """nbformat's validation message, shortened to one line."""
    message = " ".join(str(error.message).split())
    return message if len(message) <= 160 else message[:157] + "..."


CELL_TYPES = ("markdown", "code", "raw")
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")


def tidy_output_metadata(notebook: dict) -> None:
    """Per-type output metadata must be an object: some kernels (Wolfram) save `"text/html": []`.

    The schema allows it, but nbconvert's templates call .get() on it and fail.
    """
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            metadata = output.get("metadata")
            if isinstance(metadata, dict):
                for key in [key for key, value in metadata.items() if "/" in key and not isinstance(value, dict)]:
                    metadata[key] = {}


def check_kinds(notebook: dict, source: str, warnings: list[str]) -> None:
    """Cells and outputs must say what they are before the schema can judge them.

    nbformat's validator itself fails (TypeError) on a cell or output whose type is not a string.
    """
    for number, cell in enumerate(notebook["cells"], 1):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in CELL_TYPES:
            raise SourceError(
                f"{source}: cell {number} is malformed: its cell_type is {kind!r}, not one of {CELL_TYPES}"
            )
        outputs = cell.get("outputs")
        if kind != "code" or not isinstance(outputs, list):
            continue
        for index, output in enumerate(outputs):
            if not isinstance(output, dict) or output.get("output_type") not in OUTPUT_TYPES:
                warnings.append(
                    f"{source}: cell {number}, output {index + 1} is malformed (no known output_type);"
                    " a placeholder is shown"
                )
                outputs[index] = placeholder_output("This output", "the notebook saved it damaged")


def validate(notebook: dict, source: str, warnings: list[str]) -> None:
    """Check the notebook against its schema; replace outputs that fail with placeholders, stop on the rest."""
    from nbformat.validator import iter_validate

    check_kinds(notebook, source, warnings)
    for _ in range(MAX_REPAIRS):
        try:
            error = next(iter(iter_validate(notebook)), None)
        except Exception as failure:  # nbformat's own bug on a shape it did not expect: still this file's fault
            raise SourceError(
                f"{source}: not a valid notebook ({type(failure).__name__} in nbformat's check)"
            ) from None
        if error is None:
            return
        path = list(error.absolute_path)
        if len(path) >= 4 and path[0] == "cells" and path[2] == "outputs" and isinstance(path[3], int):
            cell, output = path[1], path[3]
            warnings.append(
                f"{source}: cell {cell + 1}, output {output + 1} is malformed ({describe(error)});"
                " a placeholder is shown"
            )
            notebook["cells"][cell]["outputs"][output] = placeholder_output(
                "This output", "the notebook saved it damaged"
            )
            continue
        if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
            where = "/".join(str(part) for part in path[2:]) or "the cell itself"
            raise SourceError(f"{source}: cell {path[1] + 1} is malformed at {where}: {describe(error)}")
        if path[:1] == ["metadata"] and path[1:2] == ["widgets"]:
            warnings.append(f"{source}: metadata.widgets is malformed ({describe(error)}); widgets are shown static")
            del notebook["metadata"]["widgets"]
            continue
        where = "/".join(str(part) for part in path) or "top level"
        raise SourceError(f"{source}: not a valid notebook at {where}: {describe(error)}")
    raise SourceError(f"{source}: more than {MAX_REPAIRS} malformed outputs; is this file a notebook?")


def views_only(models: object) -> bool:
    """ipywidgets 5's saved state: for each model only where its views were shown, no values to draw from."""
    return (
        isinstance(models, dict)
        and bool(models)
        and all(isinstance(model, dict) and set(model) == {"views"} for model in models.values())
    )


def is_widget_model(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("model_name"), str) and "state" in value


def check_widget_state(notebook: dict, source: str, warnings: list[str]) -> None:
    """Saved widget state must be a map of models each with a name, module and state; otherwise drop it.

    Two other forms seen in real notebooks are read as the standard one: the models saved
    without the wrapper (Colab), and the wrapper saved without its MIME type (ipywidgets 5-6).
    """
    widgets = notebook.get("metadata", {}).get("widgets")
    if widgets is None:
        notebook.get("metadata", {}).pop("widgets", None)  # `"widgets": null` is no widget state
        return
    if isinstance(widgets, dict) and interactive_outputs.WIDGET_STATE not in widgets:
        if isinstance(widgets.get("state"), dict):
            widgets = {interactive_outputs.WIDGET_STATE: widgets}
        elif widgets and all(is_widget_model(value) for value in widgets.values()):
            widgets = {interactive_outputs.WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": widgets}}
        notebook["metadata"]["widgets"] = widgets
    state = widgets.get(interactive_outputs.WIDGET_STATE) if isinstance(widgets, dict) else None
    models = state.get("state") if isinstance(state, dict) else None
    if isinstance(models, dict) and state.get("version_major") == 1:
        upgrade_widget_state(state)
    well_formed = isinstance(models, dict) and all(
        isinstance(model, dict)
        and isinstance(model.get("model_name"), str)
        and isinstance(model.get("model_module"), str)
        and isinstance(model.get("state"), dict)
        for model in models.values()
    )
    if not well_formed and views_only(models):
        warnings.append(
            f"{source}: the saved widget state (metadata.widgets) is ipywidgets 5's, which keeps no widget values;"
            " widgets are shown as their saved snapshots"
        )
        del notebook["metadata"]["widgets"]
    elif not well_formed:
        warnings.append(f"{source}: the saved widget state (metadata.widgets) is malformed; widgets are shown static")
        del notebook["metadata"]["widgets"]
    else:
        clean_widget_html(models, source, warnings)


# Models whose `value` the widget manager writes into the page as HTML (innerHTML).
HTML_VALUE_MODELS = frozenset({"HTMLModel", "HTMLMathModel"})


def clean_widget_html(models: dict, source: str, warnings: list[str]) -> None:
    """The HTML saved widgets put on the page, cleaned by html_safety.clean_html (in place); one warning if it changed.

    The widget manager writes as HTML an HTML or HTMLMath widget's `value`, a description
    where `description_allow_html` is set (ipywidgets 8) and every description in
    ipywidgets 7 (controls 1.x, which had no such switch), and the text/html of the outputs
    an Output widget saved; without cleaning, `widgets.HTML('<img src=x onerror=...>')`
    would run on the site. ipywidgets 7's Combobox writes its options into attribute values
    as HTML: their quotes are written as `&quot;`, which the browser reads back as quotes.
    """
    findings = html_safety.Findings()

    def clean(values: dict, key: str) -> None:
        if isinstance(values.get(key), str):
            values[key], found = html_safety.clean_html(values[key])
            findings.add(found)

    for model in models.values():
        values = model["state"]
        if model["model_name"] in HTML_VALUE_MODELS:
            clean(values, "value")
        ipywidgets_7 = str(model.get("model_module_version", "")).startswith("1.")
        if values.get("description_allow_html") is True or ipywidgets_7:
            clean(values, "description")
        options = values.get("options") if model["model_name"] == "ComboboxModel" and ipywidgets_7 else None
        if isinstance(options, list):  # written into `<option value="...">` as HTML: a quote would end the value
            values["options"] = [
                option.replace('"', "&quot;") if isinstance(option, str) else option for option in options
            ]
        outputs = values.get("outputs") if model["model_name"] == "OutputModel" else None
        for output in outputs if isinstance(outputs, list) else []:
            data = output.get("data") if isinstance(output, dict) else None
            if isinstance(data, dict) and isinstance(data.get("text/html"), list | str):
                data["text/html"] = "".join(data["text/html"])
                clean(data, "text/html")
    removed = ["scripts removed"] if findings.scripts else []
    if findings.remote:
        urls = ", ".join(dict.fromkeys(findings.remote))
        removed.append(f"images or frames from other sites shown as links ({urls})")
    if removed:
        warnings.append(
            f"{source}: the saved widgets' HTML (metadata.widgets): {' and '.join(removed)};"
            " the site runs no script a notebook brings and loads nothing from elsewhere"
        )


# ipywidgets 6 (2017) saved its models as module "jupyter-js-widgets" ~2.0, state format 1; ipywidgets 7
# split that module into controls and these two, whose 1.x releases the site's widget manager still draws.
WIDGETS_6_MODULE = "jupyter-js-widgets"
WIDGETS_7_MODULES = {
    "LayoutModel": ("@jupyter-widgets/base", "1.2.0"),
    "OutputModel": ("@jupyter-widgets/output", "1.0.0"),
}
WIDGETS_7_CONTROLS = ("@jupyter-widgets/controls", "1.5.0")


def upgrade_widget_state(state: dict) -> None:
    """Saved state of ipywidgets 6 (format 1) in the form of ipywidgets 7 (format 2), which the page can draw.

    The models kept their names and, saved sparsely, only the values that differ from
    their defaults; what changed is which module holds them and the version numbers.
    """
    for model in state["state"].values():
        if not isinstance(model, dict) or model.get("model_module") != WIDGETS_6_MODULE:
            continue
        module, version = WIDGETS_7_MODULES.get(model.get("model_name"), WIDGETS_7_CONTROLS)
        model["model_module"], model["model_module_version"] = module, version
        values = model.get("state")
        if model.get("model_name") == "ProgressModel":  # one model for both kinds of bar in 6, two in 7
            floats = isinstance(values, dict) and any(
                isinstance(values.get(key), float) for key in ("value", "min", "max", "step")
            )
            model["model_name"] = "FloatProgressModel" if floats else "IntProgressModel"
        if isinstance(values, dict):
            for key in ("_model_module_version", "_view_module_version", "_model_module", "_view_module"):
                values.pop(key, None)
    state["version_major"], state["version_minor"] = 2, 0


def prepare_outputs(
    notebook: dict, source: str, available: set[str], warnings: list[str], framed: dict[str, str] | None = None
) -> set[str]:
    """Rewrite outputs for a static page (interactive_outputs.py); an output that defeats it gets a placeholder."""

    def broken(number: int, index: int, error: Exception) -> dict:
        warnings.append(
            f"{source}: cell {number}, output {index} could not be read ({type(error).__name__}: {error});"
            " a placeholder is shown"
        )
        return placeholder_output("This output", "its saved data is not in a form the site knows")

    prepared = interactive_outputs.prepare(notebook, available, broken, framed)
    warnings.extend(prepared.warnings(source))
    return prepared.libraries


def extract_images(notebook: dict, source: str, store: ImageStore, warnings: list[str]) -> list[str]:
    """Check every image output and keep it in `store`; point the output at its file name.

    Sets the metadata nbconvert's templates read: filenames (the name alone; the compiler
    adds the post's URL), width, height and alt (a default naming the cell when the author
    gave none). An image that is not whole becomes a placeholder.
    """
    names = []
    for number, cell in enumerate(notebook["cells"], 1):
        for index, output in enumerate(cell.get("outputs", []), 1):
            data = output.get("data", {})
            for mime in [mime for mime in IMAGE_TYPES if mime in data]:
                try:
                    image = store.checked(mime, data[mime])
                except ImageError as error:
                    warnings.append(f"{source}: cell {number}, output {index}: {mime} {error}; a placeholder is shown")
                    output["data"] = placeholder_output("This figure", f"its {mime} data is damaged")["data"]
                    break
                names.append(image.name)
                metadata = output.setdefault("metadata", {})
                metadata.setdefault("filenames", {})[mime] = image.name
                size = metadata.setdefault(mime, {})
                if not isinstance(size, dict):
                    size = metadata[mime] = {}
                if image.width and "width" not in size and "width" not in metadata:
                    size["width"], size["height"] = image.width, image.height
                if not (metadata.get("alt") or size.get("alt") or cell.get("metadata", {}).get("alt")):
                    metadata["alt"] = f"Figure produced by code cell {number}"
                data[mime] = ""  # the file holds it now; keeps the model and the page small
    return names


def extract_attachments(notebook: dict, source: str, store: ImageStore, warnings: list[str]) -> list[str]:
    """Markdown-cell attachments (pasted images) as image files, like output figures.

    `attachment:NAME` in the cell becomes `attachment-file:FILE`, which the compiler points at
    the copy beside the post; a broken or missing attachment is named and shown as a placeholder.
    """
    names = []
    for number, cell in enumerate(notebook["cells"], 1):
        if cell["cell_type"] not in ("markdown", "raw"):
            continue
        if "attachment:" not in text_of(cell["source"]):
            cell.pop("attachments", None)  # nothing shows them: their base64 need not travel further
            continue
        attachments = cell.get("attachments") or {}
        files: dict[str, str | None] = {}
        for name, bundle in attachments.items():
            mime = next((mime for mime in IMAGE_TYPES if mime in bundle), None)
            if mime is None:
                warnings.append(f"{source}: cell {number}: attachment {name!r} holds no image; a placeholder is shown")
                files[name] = None
                continue
            try:
                image = store.checked(mime, bundle[mime])
            except ImageError as error:
                warnings.append(f"{source}: cell {number}: attachment {name!r}: {error}; a placeholder is shown")
                files[name] = None
                continue
            names.append(image.name)
            files[name] = image.name

        def image_tag(match: re.Match, number: int = number, files: dict = files) -> str:
            alt, name, title = match.groups()
            if not files.get(name):
                return match.group(0)  # `point` and `unavailable` name what is wrong with it
            return attachment_img(files[name], store.sizes.get(files[name]), alt, title, number)

        def html_image_tag(match: re.Match, number: int = number, files: dict = files) -> str:
            tag, name = match.group(0), match.group(1)
            if not files.get(name):
                return tag
            missing = ' loading="lazy" decoding="async"' if "loading=" not in tag.lower() else ""
            size = store.sizes.get(files[name]) or [None, None]
            if all(size) and "width=" not in tag.lower() and "height=" not in tag.lower():
                missing += f' width="{size[0]}" height="{size[1]}"'
            if not re.search(r"\balt=", tag, re.I):
                missing += f' alt="Image pasted into markdown cell {number}"'
            return tag[:4] + missing + tag[4:]

        def point(match: re.Match, number: int = number, files: dict = files) -> str:
            lead, name = match.group(1) or "", match.group(2) or match.group(3)
            if files.get(name):
                return f"{lead}attachment-file:{files[name]}"
            if name not in files:
                warnings.append(f"{source}: cell {number} shows attachment {name!r}, which the notebook does not hold")
            return f"{lead}attachment-missing:{name}"

        def unavailable(match: re.Match, files: dict = files) -> str:
            why = "the notebook holds no such attachment" if match.group(2) not in files else "its data is damaged"
            return INLINE_PLACEHOLDER.format(what=f"The image {match.group(1) or match.group(2)!r}", why=why)

        def rewrite(text: str, point=point, unavailable=unavailable, image=image_tag, html=html_image_tag) -> str:
            text = ATTACHED_HTML_IMAGE.sub(html, ATTACHED_IMAGE.sub(image, text))
            return MISSING_IMAGE.sub(unavailable, ATTACHMENT.sub(point, text))

        cell["source"] = outside_code(text_of(cell["source"]), rewrite)
        cell.pop("attachments", None)
    return names


def attachment_img(file: str, size: list | None, alt: str, title: str | None, number: int) -> str:
    """The <img> of a pasted image: what output figures get (size, lazy loading, an alt that says something)."""
    from html import escape

    if not alt.strip() or FILE_NAME_ALT.fullmatch(alt.strip()):
        alt = f"Image pasted into markdown cell {number}"
    width, height = size or (None, None)
    tag = f'<img src="attachment-file:{escape(file)}" loading="lazy" decoding="async"'
    if width and height:
        tag += f' width="{width}" height="{height}"'
    if title:
        tag += f' title="{escape(title)}"'
    return tag + f' alt="{escape(alt)}">'


def extract_inline_images(notebook: dict, source: str, store: ImageStore, warnings: list[str]) -> list[str]:
    """Base64 `<img>`s in HTML outputs and markdown cells as image files, with size, lazy loading and an alt;
    any other `<img>` there without an alt attribute gets one naming the cell.

    They are a page's weight twice over (base64, and again in every index page and feed that
    shows the cell), and old widget snapshots have no alt at all.
    """
    names = []
    for number, cell in enumerate(notebook["cells"], 1):
        where = "markdown cell" if cell["cell_type"] == "markdown" else "code cell"

        def to_file(match: re.Match, number: int = number, where: str = where) -> str:
            url = "bare" if match.group("bare") is not None else "url"  # the data: URL, quoted or not
            tag, mime = match.group(0), match.group(f"{url}_mime" if url == "bare" else "mime").lower()
            payload = match.group("bare_data" if url == "bare" else "data")
            try:
                image = store.checked(mime, "".join(payload.split()))
            except ImageError as error:
                warnings.append(f"{source}: cell {number}: an inline {mime} image: {error}; a placeholder is shown")
                return INLINE_PLACEHOLDER.format(what="An image", why=f"its {mime} data is damaged")
            names.append(image.name)
            start, end = match.start(url) - match.start(), match.end(url) - match.start()
            tag = f"{tag[:start]}{IMAGE_FILE}{image.name}{tag[end:]}"
            extra = "" if re.search(r"\bloading=", tag, re.I) else ' loading="lazy" decoding="async"'
            if image.width and not re.search(r"\b(width|height)=", tag, re.I):
                extra += f' width="{image.width}" height="{image.height}"'
            if not re.search(r"\balt=", tag, re.I):
                extra += f' alt="Image in {where} {number}"'
            return tag[:4] + extra + tag[4:]

        def named(text: str, to_file=to_file, alt: str = f'<img alt="Image in {where} {number}"') -> str:
            return IMAGE_WITHOUT_ALT.sub(alt, INLINE_IMAGE.sub(to_file, text) if "data:image/" in text else text)

        if cell["cell_type"] == "markdown" and "<img" in cell["source"].lower():
            cell["source"] = outside_code(cell["source"], named)
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if isinstance(html, str) and "<img" in html.lower():
                output["data"]["text/html"] = named(html)
    return names


def code_digest(notebook: dict) -> str:
    code = [text_of(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    return hashlib.sha256(json.dumps(code).encode()).hexdigest()


def kernel_name(notebook: dict) -> str:
    kernelspec = notebook.get("metadata", {}).get("kernelspec")
    name = kernelspec.get("name") if isinstance(kernelspec, dict) else None
    return name if isinstance(name, str) and name else "python3"


def join_lines(notebook: dict) -> None:
    """Multi-line strings saved as lists of lines made whole, as nbformat's reader does (rejoin_lines)."""

    def joined(bundle: dict) -> None:
        for mime, value in bundle.items():
            if isinstance(value, list) and not mime.endswith("json"):
                bundle[mime] = "".join(value)

    for cell in notebook["cells"]:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        for bundle in (cell.get("attachments") or {}).values():
            joined(bundle)
        for output in cell.get("outputs", []):
            if output["output_type"] in ("execute_result", "display_data"):
                joined(output["data"])
            elif isinstance(output.get("text"), list):
                output["text"] = "".join(output["text"])


def checked_notebook(data: bytes, source: str, warnings: list[str], paired: bytes | None = None) -> dict:
    """The notebook in `data`, parsed, given stable cell ids, checked against its schema, lines joined.

    A text notebook (`.md`, `.py`: text_notebooks.py) is read by Jupytext; `paired` is then
    the content of its paired `.ipynb`, whose outputs it shows.
    """
    if text_notebooks.is_candidate(Path(source)):
        pair = None if paired is None else parse(paired, str(text_notebooks.pair_of(Path(source))))
        notebook = text_notebooks.read(decoded(data, source), source, pair)
    else:
        notebook = parse(data, source)
    give_cells_ids(notebook)
    validate(notebook, source, warnings)
    join_lines(notebook)
    tidy_output_metadata(notebook)
    return notebook


def make_model(notebook: dict, source: str, key: str, available: set[str], store: ImageStore,
               warnings: list[str] | None = None, keep: bool = True,
               framed: dict[str, bytes] | None = None) -> NotebookModel:  # fmt: skip
    """The model of a checked notebook (`checked_notebook`).

    With `keep` the notebook dict is left as it was (for a post that may be executed);
    without, the model's notebook is made from it in place, sparing a deep copy. `framed`:
    the HTML files beside it that its outputs frame (references.framed_paths), which `key`
    must cover.
    """
    warnings = list(warnings or [])
    metadata = notebook_entry(notebook.get("metadata", {}).get("nikola", {}), source)
    kernel, code = kernel_name(notebook), code_digest(notebook)
    findings = check_notebook(notebook, source)  # before outputs are prepared: as the author saved them
    page = copy.deepcopy(notebook) if keep else notebook
    check_widget_state(page, source, warnings)
    texts = {path: data.decode("utf-8", "replace") for path, data in (framed or {}).items()}
    libraries = prepare_outputs(page, source, available, warnings, texts)
    images = extract_images(page, source, store, warnings)
    images += extract_attachments(page, source, store, warnings)
    images += extract_inline_images(page, source, store, warnings)
    cross_references.number(page, source, warnings)
    return NotebookModel(
        source=source,
        key=key,
        metadata=metadata,
        images=sorted(set(images)),
        references=list(references.references(page)),
        libraries=sorted(libraries),
        warnings=warnings,
        kernel=kernel,
        code_digest=code,
        findings=findings,
        notebook=page,
    )


def point_images(page: dict, url: str) -> None:
    """Prefix the image file names in a model's notebook with the URL of the post's folder."""
    for cell in page["cells"]:
        for output in cell.get("outputs", []):
            filenames = output.get("metadata", {}).get("filenames", {})
            for mime, name in filenames.items():
                filenames[mime] = url + name
            html = output.get("data", {}).get("text/html")
            if isinstance(html, str) and IMAGE_FILE in html:
                output["data"]["text/html"] = html.replace(IMAGE_FILE, url)
        if cell["cell_type"] in ("markdown", "raw"):
            source = text_of(cell["source"])
            if IMAGE_FILE in source:
                cell["source"] = source = source.replace(IMAGE_FILE, url)
            if "attachment-" in source:
                source = source.replace("attachment-file:", url)
                cell["source"] = re.sub(r"attachment-missing:\S*?(?=[\s)\"'>]|$)", "#attachment-missing", source)


def render_ready(page: dict):
    """The model's notebook as nbformat's NotebookNode (a new object), which nbconvert's templates expect."""
    from nbformat import from_dict

    return from_dict(page)
