"""Find the @username mentions in a comment's text."""

import re

# A mention is @ and a username (letters, digits, _ + - and inner dots), not preceded by a
# character of a word: "bob@example.com" mentions nobody, "thanks @alice." mentions alice.
MENTION = re.compile(r"(?<![\w.+@-])@([\w+-]+(?:\.[\w+-]+)*)")


def parse_mentions(text: str) -> list[str]:
    """The usernames that `text` mentions, each once, in the order they first appear."""
    return list(dict.fromkeys(MENTION.findall(text)))
