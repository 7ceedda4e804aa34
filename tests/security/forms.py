"""Find the forms on a page and fill them as a browser would (stdlib HTML parser).

The security walks submit every form the application shows: with XSS payloads,
extra fields, swapped hidden ids and fuzzed values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

#: Input types a person types free text into.
TEXT_TYPES = {"text", "search", "textarea", "tel", "url", ""}
NO_VALUE_TYPES = {"submit", "button", "reset", "image", "file"}


@dataclass
class Field:
    name: str
    type: str
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)
    #: the page the form was found on (for messages)
    page: str = ""
    #: name/value of the first submit button with a name (buttons choose actions)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return {f.name for f in self.fields} | {name for name, _ in self.buttons}

    def text_fields(self) -> list[Field]:
        return [f for f in self.fields if f.type in TEXT_TYPES and f.name != "csrf_token"]

    def defaults(self) -> dict[str, list[str]]:
        """What a browser sends when the form is submitted unchanged (first named button)."""
        data: dict[str, list[str]] = {}
        for f in self.fields:
            if f.type in NO_VALUE_TYPES:
                continue
            if f.type in ("checkbox", "radio"):
                if f.checked:
                    data.setdefault(f.name, []).append(f.value or "on")
                continue
            if f.type == "select":
                chosen = f.selected or f.options[:1]
                if chosen:
                    data.setdefault(f.name, []).extend(chosen if f.multiple else chosen[:1])
                continue
            data.setdefault(f.name, []).append(f.value)
        if self.buttons:
            name, value = self.buttons[0]
            data.setdefault(name, []).append(value)
        return data

    def filled(self) -> dict[str, list[str]]:
        """Defaults, plus a plausible choice for every empty radio group, select and required text."""
        data = self.defaults()
        for f in self.fields:
            if f.type == "radio" and f.name not in data:
                data[f.name] = [f.value]
            elif f.type == "checkbox" and f.name not in data:
                data[f.name] = [f.value or "on"]
            elif f.type == "select" and not any(data.get(f.name, [])):
                real = [o for o in f.options if o]
                if real:
                    data[f.name] = real[:1]
        return data

    def __str__(self) -> str:
        return f"{self.method} {self.action} (form on {self.page})"


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: str | None = None
        self._option_selected = False
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=(a.get("method") or "get").upper())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image"):
                form.buttons.append((name, a.get("value", "")))
                return
            form.fields.append(Field(name=name, type=kind, value=a.get("value", ""), checked="checked" in a))
        elif tag == "button" and name and (a.get("type") or "submit").lower() == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = Field(name=name, type="textarea")
            form.fields.append(self._textarea)
        elif tag == "select" and name:
            self._select = Field(name=name, type="select", multiple="multiple" in a)
            form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            self._option_selected = "selected" in a
            if self._option is not None:
                self._add_option(self._option)

    def _add_option(self, value: str) -> None:
        assert self._select is not None
        self._select.options.append(value)
        if self._option_selected:
            self._select.selected.append(value)
        self._option = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def find_forms(html: str, page_url: str) -> list[Form]:
    """Every form on the page, with its action resolved to a path (query kept)."""
    parser = _Parser()
    parser.feed(html)
    forms = []
    for form in parser.forms:
        target = urlsplit(urljoin("http://localhost" + page_url, form.action or page_url))
        if target.netloc != "localhost":
            continue
        form.action = target.path + (f"?{target.query}" if target.query else "")
        form.page = page_url
        forms.append(form)
    return forms
