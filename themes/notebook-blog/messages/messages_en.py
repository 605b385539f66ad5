"""The theme's own words, added to Nikola's (base theme) messages."""

MESSAGES = {
    "Category": "Category",  # the label before a post's category (templates/post_nav.tmpl)
}
