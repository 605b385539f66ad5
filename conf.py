"""Nikola configuration for a blog written as Jupyter notebooks.

Only settings that differ from Nikola's defaults live here; `nikola default_config`
prints every other one.
"""

import os
import shlex
import sys
import time

# --- Identity --------------------------------------------------------------
BLOG_AUTHOR = "Stuart Mumford"
BLOG_TITLE = "Stuart Mumford's notebook"
SITE_URL = "https://blog.example.org/"  # where the site is served; used for absolute links in feeds and sitemap
BLOG_DESCRIPTION = "Notes on Python, packaging and scientific computing, written as notebooks."
DEFAULT_LANG = "en"
TRANSLATIONS = {DEFAULT_LANG: ""}
TIMEZONE = "UTC"
DATE_FORMAT = "d MMMM yyyy"  # babel pattern for dates shown on pages

# --- Sources ---------------------------------------------------------------
# Notebook posts (NAME.ipynb + NAME.meta, or metadata inside the notebook), text notebooks
# (Jupytext/MyST .md, percent-format .py), plain Markdown posts, and Markdown pages that
# sit at the site root (/about/, /404.html).
POSTS = (
    ("posts/*.ipynb", "posts", "post.tmpl"),
    ("posts/*.md", "posts", "post.tmpl"),
    ("posts/*.py", "posts", "post.tmpl"),
)
PAGES = (("pages/*.md", "", "page.tmpl"),)
# A .md that is a text notebook is rendered by the ipynb compiler too (plugins/scan_posts).
COMPILERS = {"ipynb": [".ipynb", ".py"], "markdown": [".md"]}
MARKDOWN_EXTENSIONS = [
    "markdown.extensions.fenced_code",
    "markdown.extensions.codehilite",
    "markdown.extensions.extra",
    "markdown.extensions.toc",
    "pymdownx.arithmatex",  # keeps $...$ maths intact for the mathml filter below
]
MARKDOWN_EXTENSION_CONFIGS = {DEFAULT_LANG: {"pymdownx.arithmatex": {"generic": True}}}
# Maths becomes MathML at build time (plugins/mathml): no MathJax, nothing from a CDN.
FILTERS = {".html": ["mathml"]}
FILES_FOLDERS = {"files": ""}
ONE_FILE_POSTS = False  # `nikola new_post` writes NAME.meta beside the notebook
# Under each notebook post: "Download notebook", reading time, and "Open in Binder/Colab"
# links once the notebooks are in a public GitHub repository (e.g. "Cadair/blog").
NOTEBOOK_REPOSITORY = {"github": "", "branch": "main"}
SHOW_SOURCELINK = False  # the "Download notebook" link replaces Nikola's "Source"
NOTEBOOK_PROMPTS = False  # In [n]: / Out[n]: labels on code cells; blog readers rarely need them
# Printed and text outputs longer than this show their first lines and fold the rest behind
# "Show all N lines" (over 100 KB: the whole text goes to a file beside the post); 0 folds none.
NOTEBOOK_OUTPUT_LINES = 40
# Notebook-rendering options live in plugins/ipynb; anything here is merged into
# nbconvert's configuration (traitlets form).
IPYNB_CONFIG = {}

# --- Executing notebooks (blog_build/execution.py) -------------------------
# A post with `.. execute: true` is run at build time and shows fresh outputs; results are
# cached by code, kernel and lock file, so unchanged posts never start a kernel.
# `make re-execute` ignores the cache; deleting cache/ is always safe.
EXECUTE_NOTEBOOKS = False  # the default for posts that do not say
EXECUTE_TIMEOUT = 120  # seconds a single cell may run
EXECUTE_CACHE = "cache/executed"
EXECUTE_ENVIRONMENT_FILES = ["requirements/site.lock"]  # a change here re-executes every post

# --- Look ------------------------------------------------------------------
THEME = "notebook-blog"
THEME_COLOR = "#1f5f8b"
FAVICONS = (("icon", "/favicon.svg", "any"),)
# The theme ships its own syntax colours (light and dark) and notebook styles scoped to
# notebook content, instead of Nikola's ipython.min.css, which restyles every <code>.
GLOBAL_CONTEXT = {"needs_ipython_css": False}
NAVIGATION_LINKS = {
    DEFAULT_LANG: (
        ("/search/", "Search"),
        ("/archive.html", "Archive"),
        ("/categories/", "Tags"),
        ("/about/", "About"),
        ("/rss.xml", "RSS"),
    ),
}

# Link previews: Open Graph and Twitter/Mastodon cards, with the card image plugins/post_cards draws.
TWITTER_CARD = {"use_twitter_cards": True, "card": "summary_large_image"}

# After each build, plugins/page_size_report names the pages (with what they load) that
# weigh more than this, in bytes.
PAGE_SIZE_BUDGET = 1_000_000

# --- Index pages and feeds -------------------------------------------------
INDEX_TEASERS = True  # index pages stop at <!-- TEASER_END -->
FEED_TEASERS = True  # so do RSS and Atom entries
INDEX_DISPLAY_POST_COUNT = 10
GENERATE_RSS = True
GENERATE_ATOM = True
CREATE_SINGLE_ARCHIVE = True  # one /archive.html listing every post
FEED_LINKS_APPEND_QUERY = False
# Nikola's default adds "(N min remaining to read)", which costs a parse of every post.
FEED_READ_MORE_LINK = '<p><a href="{link}">{read_more}…</a></p>'

# --- Footer and licence ----------------------------------------------------
LICENSE = (
    '<a rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    "Creative Commons Attribution 4.0 International License</a>"
)
CONTENT_FOOTER = (
    "Contents &copy; {date} {author}, under a {license}. "
    'Powered by <a href="https://getnikola.com" rel="nofollow">Nikola</a>.'
)
CONTENT_FOOTER_FORMATS = {
    DEFAULT_LANG: (
        (),
        {"author": BLOG_AUTHOR, "date": time.gmtime().tm_year, "license": LICENSE},
    )
}
RSS_COPYRIGHT = "Contents © {date} {author}, CC BY 4.0"
RSS_COPYRIGHT_PLAIN = RSS_COPYRIGHT
RSS_COPYRIGHT_FORMATS = CONTENT_FOOTER_FORMATS

# --- Start-up ----------------------------------------------------------------
# `nikola build` renders on every core (like `nikola build -n N`); a single process left
# the second core idle for most of a full build.
DOIT_CONFIG = {"num_process": os.cpu_count() or 1}

# --- Comments and privacy --------------------------------------------------
COMMENT_SYSTEM = ""  # no third-party comment widget

# --- Deploying -------------------------------------------------------------
# `nikola deploy` uploads output/ with plugins/ftp_deploy. Each key can be overridden by an
# environment variable (FTP_HOST, FTP_PORT, FTP_USER, FTP_REMOTE_DIR, FTP_TLS, FTP_CAFILE,
# FTP_CONNECTIONS). The password is read only from FTP_PASSWORD or ~/.netrc.
FTP_DEPLOY = {
    "host": "ftp.example.org",
    "user": "stuart",
    "remote_dir": "/public_html",
    "tls": "explicit",  # explicit FTPS (AUTH TLS); "implicit" for port 990; "off" only if you must
    "connections": 4,  # parallel uploads
}
# Drafts and future-dated posts are built for their author to look at but not uploaded
# (the build lists them in cache/unpublished.json; a post already online is taken down).
DEPLOY_DRAFTS = False
DEPLOY_FUTURE = False
# The same Python that runs `nikola deploy` runs the upload (`nikola ftp_deploy`'s code, without
# starting Nikola a second time), activated venv or not.
DEPLOY_COMMANDS = {"default": [f"{shlex.quote(sys.executable)} -m plugins.ftp_deploy"]}
