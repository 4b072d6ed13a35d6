"""A browser, as far as the demo app's forms need one: cookies, and Django's CSRF token.

    browser = Browser(cfg.django_url)
    seconds, landed_on = browser.submit("/comments/", author="sam", text="Hi @alice")
    seconds, status, answer = browser.upload("/gallery/", "original", "cat.jpg", data)

Django refuses a form POST without the token that its own page put in the form (and in a
cookie): `submit` reads the page first, as a browser does, then posts the form to it.
"""

from __future__ import annotations

import json
import mimetypes
import re
import time
import urllib.error
import urllib.request
import uuid
from http.cookiejar import CookieJar
from urllib.parse import urlencode

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self._token: str | None = None

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            headers={"Referer": self.base_url + path, **(headers or {})},
        )
        return self._opener.open(request, timeout=self.timeout)

    def json(self, path: str):
        """GET `path`, asking for JSON, and return it decoded: browser.json("/tasks/<id>/")."""
        with self.open(path, headers={"Accept": "application/json"}) as answer:
            return json.loads(answer.read())

    def token(self, page: str) -> str:
        """The CSRF token of the form on that page (read once: it holds for the session)."""
        if self._token is None:
            with self.open(page) as answer:
                found = _TOKEN.search(answer.read().decode())
            if not found:
                raise ValueError(f"{self.base_url + page} has no form with a CSRF token.")
            self._token = found[1]
        return self._token

    def submit(self, path: str, from_page: str | None = None, **fields) -> tuple[float, str]:
        """Post a form to `path` as a browser does, with the token of the page that shows the
        form (`from_page`, by default `path` itself). Returns (seconds until the answer page
        was read, the address it ended at, after redirects). Only the POST is timed."""
        form = urlencode({"csrfmiddlewaretoken": self.token(from_page or path), **fields})
        start = time.perf_counter()
        with self.open(path, data=form.encode()) as answer:
            answer.read()
        return time.perf_counter() - start, answer.url

    def login(self, username: str, password: str, path: str = "/admin/login/") -> None:
        """Log in through Django's login form, as a person does in the admin. Raises
        PermissionError when the form is shown again: a wrong password, or no staff rights."""
        self._token = None
        _, landed = self.submit(path, username=username, password=password, next="/admin/")
        self._token = None  # Django gives a new CSRF token at login
        if "/login/" in landed:
            raise PermissionError(
                f"{self.base_url + path} did not accept {username!r}: a wrong password, or a "
                "user who is not staff."
            )

    def page(self, path: str) -> str:
        """GET `path` and return the page's HTML."""
        with self.open(path) as answer:
            return answer.read().decode()

    def upload(
        self, path: str, field: str, filename: str, content: bytes, **fields
    ) -> tuple[float, int, dict]:
        """Post a form with one file, as a browser does (multipart/form-data), and ask for a
        JSON answer. Returns (seconds until the answer was read, its HTTP status, its JSON).
        An answer of 4xx or 5xx is returned, not raised: it says what was wrong."""
        boundary = uuid.uuid4().hex
        kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        head = f"--{boundary}\r\nContent-Disposition: form-data; name="
        parts = [
            f'{head}"{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in {"csrfmiddlewaretoken": self.token(path), **fields}.items()
        ]
        parts.append(
            f'{head}"{field}"; filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'.encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
        }
        start = time.perf_counter()
        try:
            with self.open(path, data=b"".join(parts), headers=headers) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            with error:
                status, body = error.code, error.read()
        seconds = time.perf_counter() - start
        try:
            return seconds, status, json.loads(body)
        except ValueError:
            return seconds, status, {"error": body.decode(errors="replace")[:500]}
