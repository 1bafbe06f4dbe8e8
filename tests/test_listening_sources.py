"""Listening sources that are polled: RSS and Atom feeds served by a local HTTP server (conditional GET,
size cap, timeouts, not-a-feed, redirects, private addresses refused) and Mastodon public and hashtag
timelines on a real mastodon-mock server; and the polling with back-off, through the database."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from socialdesk.clients.models import Client
from socialdesk.kit.errors import InvalidInput
from socialdesk.listening import service as listening_service
from socialdesk.listening.models import ListeningSource, Mention
from socialdesk.listening.schemas import QueryIn
from socialdesk.listening.sources import SourceError, SourceState, feeds, html_to_text, mastodon_timeline, runner
from test_cli import cli  # noqa: F401 - the fixture

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Coffee &amp; News</title><link>https://news.example.com/</link><language>en-us</language>
  <item>
    <title>Roaster opens &lt;b&gt;second&lt;/b&gt; shop</title>
    <link>https://news.example.com/roaster-second-shop</link>
    <guid isPermaLink="false">42</guid>
    <author>desk@news.example.com (Ana Desk)</author>
    <category>coffee</category><category>business</category>
    <pubDate>Tue, 03 Sep 2024 08:30:00 GMT</pubDate>
    <description><![CDATA[<p>The <b>roaster</b> &amp; caf&eacute; opened.</p><script>alert('x')</script>
      <style>p{color:red}</style><img src="x" onerror="alert(1)"><a href="javascript:alert(2)">more</a>]]></description>
  </item>
  <item>
    <title>Same story, syndicated twice</title>
    <link>https://news.example.com/roaster-second-shop</link>
    <guid isPermaLink="false">43</guid>
    <pubDate>Tue, 03 Sep 2024 09:00:00 GMT</pubDate>
  </item>
  <item>
    <title>Beans price up</title>
    <link>javascript:alert(3)</link>
    <guid>https://news.example.com/?p=7</guid>
    <pubDate>Mon, 02 Sep 2024 10:00:00 GMT</pubDate>
    <description>Plain text body with a control\x07 character</description>
  </item>
  <item>
    <title>Beans price up (repeat)</title>
    <guid>https://news.example.com/?p=7</guid>
  </item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">
  <title>Kaffee Blog</title><id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-09-03T18:30:02Z</updated>
  <entry>
    <title type="html">Neue &lt;em&gt;Bohnen&lt;/em&gt;</title>
    <link href="/posts/neue-bohnen"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2024-09-03T18:30:02Z</updated>
    <author><name>Jonas</name></author>
    <content type="html">&lt;div&gt;Frisch &lt;i&gt;geröstet&lt;/i&gt;&lt;br/&gt;heute&lt;/div&gt;</content>
  </entry>
</feed>"""


class FeedServer:
    """A local HTTP server; ``routes[path] = handler(request) -> (status, headers, body)`` where body is
    bytes or an iterator of chunks (sent chunked). Every request's path and headers are kept."""

    def __init__(self):
        self.routes: dict = {}
        self.requests: list[tuple[str, dict]] = []
        self.sent: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                handler = outer.routes.get(self.path.split("?")[0])
                if handler is None:
                    status, headers, body = 404, {}, b"no such feed"
                else:
                    status, headers, body = handler(self)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if isinstance(body, bytes | str):
                    data = body.encode() if isinstance(body, str) else body
                    if "Content-Length" not in headers:
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in body:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        outer.sent[self.path] = outer.sent.get(self.path, 0) + len(chunk)
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client hanging up is expected here
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.server_port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    with FeedServer() as s:
        yield s


def static(body: str | bytes, content_type: str = "application/rss+xml", **headers):
    return lambda request: (200, {"Content-Type": content_type, **headers}, body)


# -- reading a feed ----------------------------------------------------------------------------------

def test_an_rss_feed_gives_plain_text_entries_each_once(server):
    server.routes["/rss"] = static(RSS)
    batch = feeds.poll({"url": server.url("/rss")}, SourceState(), allow_private=True)
    by_title = {p.text.split("\n")[0]: p for p in batch.posts}
    assert list(by_title) == ["Beans price up", "Roaster opens second shop"]  # oldest first; repeats dropped
    shop, beans = by_title["Roaster opens second shop"], by_title["Beans price up"]
    assert shop.source == "rss"
    # HTML is reduced to the text a reader sees: no tags, no script or style, entities decoded.
    assert shop.text == "Roaster opens second shop\n\nThe roaster & café opened.\n\nmore"
    assert "<" not in shop.text and "alert" not in shop.text and "color" not in shop.text
    assert shop.url == "https://news.example.com/roaster-second-shop"
    assert shop.remote_id == server.url("/rss") + "#42"  # a bare guid is made unique to its feed
    assert shop.author_name == "desk@news.example.com (Ana Desk)" and shop.author_handle == "news.example.com"
    assert shop.hashtags == ("coffee", "business") and shop.lang == "en-us"
    assert shop.created_at == datetime(2024, 9, 3, 8, 30, tzinfo=UTC)
    assert beans.remote_id == "https://news.example.com/?p=7"
    assert beans.url == ""  # a javascript: link is never kept
    assert beans.text == "Beans price up\n\nPlain text body with a control character"


def test_an_atom_feed_resolves_links_and_reads_its_language(server):
    server.routes["/atom"] = static(ATOM, "application/atom+xml")
    (entry,) = feeds.poll({"url": server.url("/atom")}, SourceState(), allow_private=True).posts
    assert entry.text == "Neue Bohnen\n\nFrisch geröstet\nheute"
    assert entry.url == server.url("/posts/neue-bohnen")
    assert entry.remote_id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert entry.author_name == "Jonas" and entry.lang == "de"


def test_a_conditional_get_sends_the_validators_and_a_304_ingests_nothing(server):
    def conditional(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"',
                     "Last-Modified": "Tue, 03 Sep 2024 10:00:00 GMT"}, RSS

    server.routes["/rss"] = conditional
    first = feeds.poll({"url": server.url("/rss")}, SourceState(), allow_private=True)
    assert first.state.etag == '"v1"' and first.state.last_modified == "Tue, 03 Sep 2024 10:00:00 GMT"
    again = feeds.poll({"url": server.url("/rss")}, first.state, allow_private=True)
    assert again.posts == () and again.state == first.state
    headers = server.requests[-1][1]
    assert headers["if-none-match"] == '"v1"' and headers["if-modified-since"] == "Tue, 03 Sep 2024 10:00:00 GMT"
    assert "if-none-match" not in server.requests[0][1]


def test_a_huge_feed_is_refused_without_reading_it_all(server):
    chunk = b"<!-- " + b"x" * (64 * 1024 - 9) + b" -->\n"
    server.routes["/endless"] = lambda request: (200, {"Content-Type": "application/rss+xml"},
                                                 (chunk for _ in range(800)))  # 50 MB, chunked
    server.routes["/declared"] = static(b"", **{"Content-Length": str(50 * 1024 * 1024)})
    with pytest.raises(SourceError) as endless:
        feeds.poll({"url": server.url("/endless")}, SourceState(), allow_private=True)
    assert "larger than 5 MB" in endless.value.message
    time.sleep(0.3)
    assert server.sent["/endless"] < 25 * 1024 * 1024  # the reader hung up long before the end
    with pytest.raises(SourceError) as declared:
        feeds.poll({"url": server.url("/declared")}, SourceState(), allow_private=True)
    assert "larger than 5 MB (52,428,800 bytes)" in declared.value.message


@pytest.mark.parametrize("body, content_type", [
    ("<!doctype html><html><body><h1>Welcome</h1></body></html>", "text/html"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    ("/etc/passwd", "text/plain"),  # a body that reads as a path is never opened as a file
    ("https://example.com/feed.xml", "text/plain"),  # ... nor one that reads as a URL fetched
    ("", "application/rss+xml"),
])
def test_what_is_not_a_feed_is_a_clear_error(server, body, content_type):
    server.routes["/feed"] = static(body, content_type)
    with pytest.raises(SourceError) as refused:
        feeds.poll({"url": server.url("/feed")}, SourceState(), allow_private=True)
    assert refused.value.message.startswith(f"{server.url('/feed')} is not an RSS or Atom feed")
    assert refused.value.permanent


def test_broken_xml_with_entries_is_read_and_said(server):
    server.routes["/broken"] = static(RSS.replace("</channel></rss>", "<item><title>cut off"))
    batch = feeds.poll({"url": server.url("/broken")}, SourceState(), allow_private=True)
    assert len(batch.posts) >= 2
    assert any("not well-formed" in note for note in batch.notes)


def test_entity_expansion_does_not_blow_up():
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
            + ']><rss version="2.0"><channel><title>&lol9;</title><item><title>x</title><guid>g</guid></item>'
              '</channel></rss>')
    started = time.monotonic()
    posts, _, notes = feeds.parse(bomb.encode(), url="https://example.com/feed")
    assert time.monotonic() - started < 5
    # The XML parser refuses the amplification; the lenient reading that follows keeps the entry alone.
    assert [p.text for p in posts] == ["x"] and "not well-formed" in notes[0]


def test_an_entry_with_a_50000_character_body_and_control_characters(server):
    body = "word\x00 \x1b[31m" * 5_000 + "end"
    server.routes["/long"] = static(f'<rss version="2.0"><channel><title>t</title><item><guid>https://e.example/1'
                                    f'</guid><title>Long</title><description>{body}</description></item>'
                                    f'</channel></rss>')
    (post,) = feeds.poll({"url": server.url("/long")}, SourceState(), allow_private=True).posts
    assert post.text.endswith("end") and len(post.text) > 40_000
    assert "\x00" not in post.text and "\x1b" not in post.text


def test_a_slow_server_times_out(server, monkeypatch):
    monkeypatch.setattr(feeds, "READ_TIMEOUT", httpx.Timeout(0.3))

    def slow(request):
        time.sleep(1.0)
        return 200, {"Content-Type": "application/rss+xml"}, RSS

    server.routes["/slow"] = slow
    with pytest.raises(SourceError) as late:
        feeds.poll({"url": server.url("/slow")}, SourceState(), allow_private=True)
    assert "did not answer in time" in late.value.message


def test_a_server_error_says_the_status_and_honours_retry_after(server):
    server.routes["/busy"] = lambda request: (429, {"Retry-After": "120"}, b"slow down")
    with pytest.raises(SourceError) as busy:
        feeds.poll({"url": server.url("/busy")}, SourceState(), allow_private=True)
    assert "429" in busy.value.message and busy.value.retry_after == 120
    with pytest.raises(SourceError) as missing:
        feeds.poll({"url": server.url("/nothing-here")}, SourceState(), allow_private=True)
    assert "404" in missing.value.message and missing.value.permanent


def test_redirects_are_followed_to_allowed_addresses(server):
    server.routes["/old"] = lambda request: (301, {"Location": "/rss"}, b"")
    server.routes["/rss"] = static(RSS)
    assert len(feeds.poll({"url": server.url("/old")}, SourceState(), allow_private=True).posts) == 2
    server.routes["/loop"] = lambda request: (302, {"Location": "/loop"}, b"")
    with pytest.raises(SourceError) as loop:
        feeds.poll({"url": server.url("/loop")}, SourceState(), allow_private=True)
    assert "more than 5 redirects" in loop.value.message


# -- private addresses refused (settings.allow_private_urls off) ------------------------------------------

@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/feed", "http://localhost/feed", "http://[::1]/feed",
                                 "http://169.254.169.254/latest/meta-data", "http://10.0.0.8/rss",
                                 "http://0.0.0.0/rss"])
def test_a_feed_on_a_private_or_loopback_address_is_refused_naming_the_field(url):
    with pytest.raises(InvalidInput) as refused:
        feeds.validate({"url": url}, allow_private=False)
    assert refused.value.errors[0].field == "url"
    assert "private or loopback" in refused.value.errors[0].message


@pytest.mark.parametrize("url, why", [("ftp://example.com/feed", "http:// or https://"),
                                      ("file:///etc/passwd", "http:// or https://"),
                                      ("https://user:pw@example.com/feed", "user name or password"),
                                      ("not a url", "http:// or https://")])
def test_a_feed_url_that_is_not_a_web_address_is_refused(url, why):
    with pytest.raises(InvalidInput) as refused:
        feeds.validate({"url": url}, allow_private=True)
    assert why in refused.value.errors[0].message and refused.value.errors[0].field == "url"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_fetching_from_loopback_is_refused_when_not_allowed(server, host):
    server.routes["/rss"] = static(RSS)
    with pytest.raises(SourceError) as refused:
        feeds.poll({"url": server.url("/rss", host)}, SourceState(), allow_private=False)
    assert "private or loopback" in refused.value.message and refused.value.permanent
    assert server.requests == []  # checked at fetch time, before connecting


def test_a_redirect_to_a_loopback_address_is_refused(server):
    """A public server (played by a transport: no test reaches the internet) answers with a redirect to
    the local server; the hop is checked before it is followed, so the local server is never asked."""
    server.routes["/secret"] = static(RSS)
    real = httpx.HTTPTransport()

    def public_then_real(request: httpx.Request) -> httpx.Response:
        if request.url.host == "feeds.example.com":
            return httpx.Response(302, headers={"Location": server.url("/secret", "localhost")})
        return real.handle_request(request)

    with pytest.raises(SourceError) as refused:
        feeds.poll({"url": "https://feeds.example.com/rss"}, SourceState(), allow_private=False,
                   transport=httpx.MockTransport(public_then_real))
    assert "refused http://localhost:" in refused.value.message
    assert "private or loopback" in refused.value.message
    assert server.requests == []


def test_a_feed_whose_name_rebinds_to_loopback_after_the_check_is_refused(server, monkeypatch):
    """DNS rebinding: the name is public when the URL is checked and loopback when the connection is
    made; the connection goes only to an address checked as it is made, so the local server is never asked."""
    from test_netguard import PUBLIC, Resolver

    server.routes["/rss"] = static(RSS)
    resolver = Resolver(monkeypatch, **{"news.example": [PUBLIC, "127.0.0.1"]})
    with pytest.raises(SourceError) as refused:
        feeds.poll({"url": server.url("/rss", "news.example")}, SourceState(), allow_private=False)
    assert "news.example is a private or loopback address (127.0.0.1)" in refused.value.message
    assert refused.value.permanent and server.requests == [] and len(resolver.asked) == 2


def test_html_to_text_never_returns_markup():
    assert html_to_text("<p>a &lt;script&gt; b</p><script>evil()</script><b>c</b>") == "a <script> b\nc"
    assert html_to_text("x<br>y<br/>z") == "x\ny\nz"
    assert html_to_text("unclosed <a href='x") == "unclosed"
    assert html_to_text("<style>a{}</style><!-- hidden -->text") == "text"


# -- Mastodon timelines on mastodon-mock ----------------------------------------------------------------

def test_mastodon_config_is_checked_and_errors_name_the_field():
    with pytest.raises(InvalidInput) as bad_tag:
        mastodon_timeline.validate({"instance": "https://mastodon.example", "tags": ["ok", "not ok!"]},
                                   allow_private=True)
    assert bad_tag.value.errors[0].field == "tags"
    with pytest.raises(InvalidInput) as private:
        mastodon_timeline.validate({"instance": "http://localhost:3000"}, allow_private=False)
    assert private.value.errors[0].field == "instance"
    with pytest.raises(InvalidInput) as too_many:
        mastodon_timeline.validate({"instance": "https://m.example", "tags": [f"t{i}" for i in range(9)]},
                                   allow_private=True)
    assert "at most 8" in too_many.value.errors[0].message
    assert mastodon_timeline.validate({"instance": "https://m.example/about", "tags": "#Coffee, latte"},
                                      allow_private=True) == {
        "instance": "https://m.example", "public": False, "local": False, "tags": ["coffee", "latte"]}


def test_public_and_hashtag_timelines_page_from_the_cursor_each_status_once(mastodon_peer):
    bob = mastodon_peer.client("bob")
    config = mastodon_timeline.validate({"instance": mastodon_peer.base_url, "public": True,
                                         "tags": ["espresso", "decaf"]}, allow_private=True)
    bob.status_post("before the source existed #espresso")
    first = mastodon_timeline.poll(config, SourceState(), allow_private=True)
    cursor = json.loads(first.state.cursor)
    assert set(cursor) == {"public", "#espresso", "#decaf"}
    tagged = bob.status_post("<b>Bold</b> claim: our #Espresso is the best &amp; cheapest", language="en",
                             spoiler_text="hot take")
    plain = [bob.status_post(f"plain status {i}") for i in range(45)]  # more than a page of 40
    decaf = bob.status_post("only #decaf here")
    bob.status_post("unlisted #decaf", visibility="unlisted")  # on no public timeline: not listened to
    batch = mastodon_timeline.poll(config, first.state, allow_private=True)
    uris = [p.remote_id for p in batch.posts]
    assert len(uris) == len(set(uris))  # the #espresso status is on two timelines: one mention
    assert set(uris) == {tagged["uri"], decaf["uri"], *(s["uri"] for s in plain)}
    post = next(p for p in batch.posts if p.remote_id == tagged["uri"])
    # The instance escaped the typed text into HTML; what was typed comes back, as text.
    assert post.text == "hot take\n\n<b>Bold</b> claim: our #Espresso is the best &amp; cheapest"
    assert post.source == "mastodon" and post.url == tagged["url"] and post.lang == "en"
    host = mastodon_peer.base_url.split("//")[1].split(":")[0]
    assert post.author_handle == f"bob@{host}"
    assert "espresso" in [t.lower() for t in post.hashtags]
    again = mastodon_timeline.poll(config, batch.state, allow_private=True)
    assert again.posts == ()
    newer = bob.status_post("one more #espresso")
    assert [p.remote_id for p in mastodon_timeline.poll(config, again.state, allow_private=True).posts] \
        == [newer["uri"]]


def test_mastodon_status_html_is_reduced_to_text(mastodon_peer):
    bob = mastodon_peer.client("bob")
    config = mastodon_timeline.validate({"instance": mastodon_peer.base_url, "tags": ["markupcheck"]},
                                        allow_private=True)
    start = mastodon_timeline.poll(config, SourceState(), allow_private=True).state
    status = bob.status_post("Tea & <cake> at 5?\nSecond line #markupcheck")
    (post,) = mastodon_timeline.poll(config, start, allow_private=True).posts
    assert "<" in status["content"]  # the instance sends HTML ...
    assert post.text == "Tea & <cake> at 5?\nSecond line #markupcheck"  # ... and the text that was posted is kept


def test_a_mastodon_instance_on_loopback_is_refused_when_not_allowed(mastodon_peer):
    config = {"instance": mastodon_peer.base_url.replace("127.0.0.1", "localhost"), "public": True, "tags": []}
    with pytest.raises(SourceError) as refused:
        mastodon_timeline.poll(config, SourceState(), allow_private=False)
    assert "private or loopback" in refused.value.message


def test_a_mastodon_instance_whose_name_rebinds_to_loopback_is_refused(mastodon_peer, monkeypatch):
    """As for feeds: public when checked, loopback when connecting; the peer is never asked."""
    from test_netguard import PUBLIC, Resolver

    port = mastodon_peer.base_url.rsplit(":", 1)[1].strip("/")
    resolver = Resolver(monkeypatch, **{"social.example": [PUBLIC, "127.0.0.1"]})
    config = {"instance": f"http://social.example:{port}", "public": True, "tags": []}
    with pytest.raises(SourceError) as refused:
        mastodon_timeline.poll(config, SourceState(), allow_private=False)
    assert "social.example is a private or loopback address (127.0.0.1)" in refused.value.message
    assert refused.value.permanent and len(resolver.asked) >= 2  # checked, then looked up to connect (refused)


def test_a_guarded_mastodon_session_reaches_the_checked_address_under_the_instance_name(mastodon_peer, monkeypatch):
    """With loopback counted as public, the guarded session does reach the instance (by its name)."""
    from test_netguard import Resolver

    from socialdesk.kit import netguard

    port = mastodon_peer.base_url.rsplit(":", 1)[1].strip("/")
    Resolver(monkeypatch, **{"social.example": ["127.0.0.1"]})
    monkeypatch.setattr(netguard, "is_public", lambda address: address == "127.0.0.1")
    bob = mastodon_peer.client("bob")
    config = mastodon_timeline.validate({"instance": f"http://social.example:{port}", "tags": ["pinnedcheck"]},
                                        allow_private=False)
    start = mastodon_timeline.poll(config, SourceState(), allow_private=False).state
    status = bob.status_post("reached through the guard #pinnedcheck")
    (post,) = mastodon_timeline.poll(config, start, allow_private=False).posts
    assert post.text == "reached through the guard #pinnedcheck" and status["uri"] == post.remote_id


def test_an_unreachable_instance_is_an_error_not_a_crash():
    config = {"instance": "http://127.0.0.1:9", "public": True, "tags": []}
    with pytest.raises(SourceError) as down:
        mastodon_timeline.poll(config, SourceState(), allow_private=True)
    assert "could not reach http://127.0.0.1:9" in down.value.message


# -- polling through the database, with back-off -------------------------------------------------------

def _listening_client(session, words: str) -> int:
    client = Client(name=f"Cafe {words}", name_key=f"cafe {words}")
    session.add(client)
    session.flush()
    listening_service.create_query(session=session, client_id=client.id,
                                   data=QueryIn(name="q", topic="industry", text=words), user_id=None)
    session.commit()
    return client.id


def test_a_feed_polled_into_listening_then_not_modified_then_failing_backs_off(database, session, settings, server):
    _listening_client(session, "roaster OR beans")
    state = {"up": True}

    def feed(request):
        if not state["up"]:
            return 503, {}, b"down for maintenance"
        if request.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, RSS

    server.routes["/rss"] = feed
    source = listening_service.source_state(session=session, name="news", kind="rss",
                                            config=feeds.validate({"url": server.url("/rss")}, allow_private=True))
    session.commit()
    t0 = datetime(2024, 9, 3, 12, 0, tzinfo=UTC)
    with database.session() as s:
        assert runner.claim_due(session=s, now=t0) == [source.id]
        assert runner.claim_due(session=s, now=t0) == []  # claimed: not queued twice

    def poll(now):
        return runner.poll_by_id(source.id, unit_of_work=database.session, settings=settings, now=now)

    first = poll(t0)
    assert first.ok and first.result.stored == 2 and first.next_at == t0 + timedelta(minutes=15)
    assert poll(t0 + timedelta(minutes=15)).result.received == 0  # 304
    state["up"] = False
    waits = []
    for i in range(8):
        now = t0 + timedelta(hours=i + 1)
        outcome = poll(now)
        assert not outcome.ok and "503" in outcome.report
        waits.append((outcome.next_at - now).total_seconds())
    assert 0.8 * 60 <= waits[0] <= 60 and 0.8 * 120 <= waits[1] <= 120 and 0.8 * 240 <= waits[2] <= 240
    assert all(0.8 * 3600 <= w <= 3600 for w in waits[6:])  # capped at an hour
    with database.session() as s:
        row = s.get(ListeningSource, source.id)
        assert "503" in row.last_error and row.last_error_at is not None
        assert runner.schedule(row)[1] == 8
        assert runner.user_config(row.config) == {"url": server.url("/rss")}
        assert s.query(Mention).filter(Mention.source == "rss").count() == 2
    state["up"] = True
    back = poll(t0 + timedelta(hours=10))
    assert back.ok
    with database.session() as s:
        row = s.get(ListeningSource, source.id)
        assert row.last_error == "" and runner.schedule(row)[1] == 0


def test_a_source_refused_at_fetch_time_waits_long_and_says_why(database, session, settings, server):
    server.routes["/rss"] = static(RSS)
    # Stored while private addresses were allowed, polled after they no longer are (or DNS changed).
    source = listening_service.source_state(session=session, name="was allowed", kind="rss",
                                            config={"url": server.url("/rss", "localhost")})
    session.commit()
    strict = settings.model_copy(update={"allow_private_urls": False})
    now = datetime(2024, 9, 3, 12, 0, tzinfo=UTC)
    outcome = runner.poll_by_id(source.id, unit_of_work=database.session, settings=strict, now=now)
    assert not outcome.ok and "private or loopback" in outcome.report
    assert outcome.next_at == now + timedelta(seconds=runner.PERMANENT_RETRY)
    assert server.requests == []


# -- the API: sources per client and agency-wide -------------------------------------------------------

def test_sources_are_added_listed_and_removed_per_client_and_checked(client, world, server):
    server.routes["/rss"] = static(RSS)
    base = f"/api/clients/{world.a_id}/listening/sources"
    manager = world["manager"].headers
    made = client.post(base, json={"kind": "rss", "url": server.url("/rss"), "every_minutes": 30}, headers=manager)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["kind"] == "rss" and body["client_id"] == world.a_id and body["enabled"]
    assert body["config"] == {"url": server.url("/rss"), "every_minutes": 30} and body["failures"] == 0
    timeline = client.post(base, json={"kind": "mastodon", "instance": "https://mastodon.example/",
                                       "tags": ["#Cider", "orchard"]}, headers=manager)
    assert timeline.status_code == 201 and timeline.json()["config"]["tags"] == ["cider", "orchard"]
    listed = client.get(base, headers=world["content_creator"].headers)
    assert [s["id"] for s in listed.json()] == [body["id"], timeline.json()["id"]]
    # Errors name the field.
    for payload, field in [({"kind": "rss"}, "url"), ({"kind": "rss", "url": "ftp://x.example/feed"}, "url"),
                           ({"kind": "mastodon", "instance": "https://m.example", "tags": ["no spaces"]}, "tags"),
                           ({"kind": "rss", "url": "https://e.example/f", "tags": ["x"]}, "tags"),
                           ({"kind": "bluesky"}, "kind")]:
        refused = client.post(base, json=payload, headers=manager)
        assert refused.status_code == 422, (payload, refused.text)
        assert field in refused.text, refused.text
    clash = client.post(base, json={"kind": "rss", "url": server.url("/rss"), "name": body["name"].upper()},
                        headers=manager)
    assert clash.status_code == 409 and "name" in clash.text
    # Another client's people see nothing of A's sources; an approver is refused; a creator cannot add.
    assert client.get(f"/api/clients/{world.b_id}/listening/sources", headers=world["outsider"].headers).json() == []
    assert client.get(base, headers=world["outsider"].headers).status_code == 404
    assert client.delete(f"/api/clients/{world.b_id}/listening/sources/{body['id']}",
                         headers=world["outsider"].headers).status_code == 404
    assert client.get(base, headers=world["client_approver"].headers).status_code in (403, 404)
    assert client.post(base, json={"kind": "rss", "url": server.url("/x")},
                       headers=world["content_creator"].headers).status_code == 403
    assert client.delete(f"{base}/{body['id']}", headers=manager).status_code == 204
    assert [s["id"] for s in client.get(base, headers=manager).json()] == [timeline.json()["id"]]


def test_agency_sources_are_for_directors(client, world):
    url = "/api/listening/sources"
    made = client.post(url, json={"kind": "bluesky"}, headers=world["director"].headers)
    assert made.status_code == 201, made.text
    assert made.json()["config"] == {"url": "wss://jetstream2.us-east.bsky.network/subscribe"}
    assert made.json()["client_id"] is None
    assert client.post(url, json={"kind": "bluesky", "url": "https://not-a-socket.example"},
                       headers=world["owner"].headers).status_code == 422
    assert client.get(url, headers=world["manager"].headers).status_code == 403
    assert client.post(url, json={"kind": "rss", "url": "https://e.example/f"},
                       headers=world["manager"].headers).status_code == 403
    assert [s["id"] for s in client.get(url, headers=world["owner"].headers).json()] == [made.json()["id"]]
    # An agency source is not a client's, nor the other way round.
    assert client.delete(f"/api/clients/{world.a_id}/listening/sources/{made.json()['id']}",
                         headers=world["manager"].headers).status_code == 404
    assert client.delete(f"{url}/{made.json()['id']}", headers=world["director"].headers).status_code == 204


def test_with_private_addresses_not_allowed_the_api_refuses_loopback_feeds(settings, database, world, server):
    from fastapi.testclient import TestClient

    from socialdesk.web.app import create_app

    strict = settings.model_copy(update={"allow_private_urls": False})
    with TestClient(create_app(strict, database)) as strict_client:
        base = f"/api/clients/{world.a_id}/listening/sources"
        for url in (server.url("/rss"), server.url("/rss", "localhost")):
            refused = strict_client.post(base, json={"kind": "rss", "url": url}, headers=world["manager"].headers)
            assert refused.status_code == 422 and "private or loopback" in refused.text
            assert '"url"' in refused.text or "url:" in refused.text
        refused = strict_client.post(base, json={"kind": "mastodon", "instance": "http://localhost:3000"},
                                     headers=world["manager"].headers)
        assert refused.status_code == 422 and "instance" in refused.text
    assert server.requests == []


# -- the background task and the command line --------------------------------------------------------------

def test_the_minute_task_polls_the_due_sources_into_listening(settings, monkeypatch, database, session, server):
    from conftest import point_settings_at

    from socialdesk.config import get_settings
    from socialdesk.tasks import load_tasks

    point_settings_at(monkeypatch, settings)
    monkeypatch.setenv("SOCIALDESK_ALLOW_PRIVATE_URLS", "true")
    get_settings.cache_clear()
    try:
        load_tasks()
        from socialdesk.listening import tasks

        monkeypatch.setattr(tasks.huey, "immediate", True)
        _listening_client(session, "roaster")
        server.routes["/rss"] = static(RSS)
        server.routes["/down"] = lambda request: (500, {}, b"oops")
        good = listening_service.source_state(session=session, name="good", kind="rss",
                                              config={"url": server.url("/rss")})
        bad = listening_service.source_state(session=session, name="bad", kind="rss",
                                             config={"url": server.url("/down")})
        off = listening_service.source_state(session=session, name="off", kind="rss",
                                             config={"url": server.url("/rss")})
        off.enabled = False
        session.commit()
        assert tasks.poll_due.call_local() == 2
        assert tasks.poll_due.call_local() == 0  # nothing due until the interval or the back-off has passed
        with database.session() as s:
            assert s.query(Mention).filter(Mention.source == "rss").count() == 1
            assert "1 stored" in s.get(ListeningSource, good.id).last_report
            failed = s.get(ListeningSource, bad.id)
            assert "500" in failed.last_error and runner.schedule(failed)[1] == 1
            assert s.get(ListeningSource, off.id).last_run_at is None
    finally:
        get_settings.cache_clear()


def test_socialdesk_listening_poll_says_what_each_source_gave(cli, monkeypatch, session, server):
    monkeypatch.setenv("SOCIALDESK_ALLOW_PRIVATE_URLS", "true")  # the feed is served on loopback
    server.routes["/rss"] = static(RSS)
    source = listening_service.source_state(session=session, name="cli feed", kind="rss",
                                            config={"url": server.url("/rss")})
    session.commit()
    result = cli("listening", "poll")
    assert result.exit_code == 0, result.output
    assert "cli feed" in result.output and "ok" in result.output and "2 received" in result.output
    missing = cli("listening", "poll", "--source", str(source.id + 100))
    assert missing.exit_code != 0 and "no enabled feed" in missing.output


def test_a_mastodon_redirect_to_a_loopback_address_is_refused(server):
    """As for feeds: a public instance (played by an adapter on the requests session) redirects to the
    local server; the hop is checked before requests follows it."""
    import requests
    from mastodon import MastodonNetworkError

    server.routes["/api/v1/timelines/public"] = static("[]", "application/json")

    class RedirectingAdapter(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            response = requests.Response()
            response.status_code, response.url, response.request = 302, request.url, request
            response.headers["Location"] = server.url("/api/v1/timelines/public", "localhost")
            response.raw = __import__("io").BytesIO(b"")
            return response

        def close(self):
            pass

    refused: list[str] = []
    api = mastodon_timeline._client("https://mastodon.example", allow_private=False, refused=refused)
    api.session.mount("https://mastodon.example/", RedirectingAdapter())
    with pytest.raises(MastodonNetworkError):
        api.timeline_public(limit=1)
    assert refused and "refused the redirect to http://localhost:" in refused[0]
    assert server.requests == []
