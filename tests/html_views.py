"""The views the table callback sends as HTML (components/html_string.py), parsed back for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from components.html_string import VOID_TAGS


@dataclass
class Element:
    tag: str
    attrs: dict = field(default_factory=dict)
    children: list = field(default_factory=list)  # Elements and text

    def find_all(self, tag: str) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                found += [child] if child.tag == tag else []
                found += child.find_all(tag)
        return found

    @property
    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text for child in self.children)

    @property
    def class_name(self) -> str | None:
        return self.attrs.get("class")


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("fragment")
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: "" if value is None else value for name, value in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.open.append(element)

    def handle_endtag(self, tag):
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data):
        self.open[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.open == [builder.root], "every element is closed"
    return builder.root


def sent_view(out: dict, container: str) -> Element:
    """One view of a table callback's answer (`out`), by the id of the container it fills."""
    return parse(out["views"][container])
