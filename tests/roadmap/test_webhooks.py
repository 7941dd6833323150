"""The webhook sender: its SSRF rules (without network: names resolve through the patched
`host_resolve` seam), signing, redirects, timeouts, and the delivery records with their retry
schedule. Posts that must arrive go to a receiver on 127.0.0.1, allowed through
BACKLIGHT_WEBHOOK_ALLOWED_HOSTS as an on-premise install would."""

import datetime as dt
import hashlib
import hmac
import http.server
import ipaddress
import json
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from roadmap.models import OutboundWebhook, WebhookDelivery
from roadmap.sharing import services, webhooks
from roadmap.sharing.services import (
    BACKOFF,
    MAX_ATTEMPTS,
    outbound_webhook_create,
    webhook_deliveries_resend_due,
    webhook_delivery_attempt,
    webhook_delivery_enqueue,
)
from roadmap.sharing.signing import payload_body, payload_sign, signature_verify
from roadmap.sharing.webhooks import (
    WebhookRefused,
    destination_vet,
    webhook_post,
    webhook_url_check,
)

LOCAL = ["127.0.0.1"]


# --- a receiver on 127.0.0.1 ------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """An HTTP server in a thread. `routes` maps a path to (status, headers, body); unknown
    paths answer 200. `delay` makes every answer wait."""

    routes: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    delay: float = 0.0
    arrived: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status, headers, answer = receiver.routes.get(self.path, (200, {}, b"ok"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                receiver.arrived.set()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client that timed out and hung up (the timeout test): not news

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def allow_local(settings):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = LOCAL


@pytest.fixture
def resolve_to(monkeypatch):
    """Make every name resolve to the given addresses (the seam), and count the lookups."""
    calls: list[str] = []

    def patch(*addresses: str):
        def fake(host, port):
            calls.append(host)
            return list(addresses)

        monkeypatch.setattr(webhooks, "host_resolve", fake)
        return calls

    return patch


# --- refusals: literal addresses --------------------------------------------------------------

REFUSED_LITERALS = [
    "127.0.0.1",
    "127.10.20.30",
    "10.0.0.5",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.0.8",
    "192.0.2.1",
    "[::1]",
    "[::]",
    "[fe80::1]",
    "[fe80::1%25eth0]",
    "[fc00::1]",
    "[fd12:3456:789a::1]",
    "[fec0::1]",  # site-local
    "[ff02::1]",  # multicast
    "[ff0e::1]",  # global-scope multicast
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:7f00:1]",
    "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[0:0:0:0:0:ffff:7f00:0001]",
    "[::127.0.0.1]",  # IPv4-compatible
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[64:ff9b:1::1]",  # local-use NAT64
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
    "[2001::1]",  # Teredo
    "[2001:db8::1]",  # documentation
    "[100::1]",  # discard
]


@pytest.mark.parametrize("host", REFUSED_LITERALS)
def test_literal_private_and_special_addresses_are_refused(host):
    with pytest.raises(WebhookRefused):
        destination_vet(f"https://{host}/hook")


@pytest.mark.parametrize("host", REFUSED_LITERALS)
def test_literal_addresses_are_refused_without_dns_too(host):
    """The check that forms and the admin run when an address is saved."""
    with pytest.raises(WebhookRefused):
        webhook_url_check(f"https://{host}:8443/hook")


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # 127.0.0.1 as one decimal number
        "0177.0.0.1",  # octal
        "0177.1",
        "0x7f.0.0.1",  # hex
        "0x7f000001",
        "0X7F.1",
        "127.1",  # short form
        "017700000001",
        "3232235777",  # 192.168.1.1
        "0xa9.0xfe.0xa9.0xfe",  # 169.254.169.254
        "hooks.example.0x1",
        "hooks.example.123",
    ],
)
def test_numeric_hosts_in_other_forms_are_refused_before_any_lookup(host, resolve_to):
    calls = resolve_to("93.184.216.34")

    with pytest.raises(WebhookRefused, match="non-canonical"):
        destination_vet(f"https://{host}/hook")

    assert calls == []


# --- refusals: names and their addresses ------------------------------------------------------


@pytest.mark.parametrize(
    "addresses",
    [
        ("10.0.0.7",),
        ("127.0.0.1",),
        ("169.254.169.254",),
        ("::1",),
        ("fd00::5",),
        ("::ffff:192.168.0.10",),
        ("64:ff9b::a9fe:a9fe",),
        # One private address among public ones refuses the name: a round-robin answer must
        # not get through on a lucky draw.
        ("93.184.216.34", "127.0.0.1"),
        ("2606:4700::1111", "fe80::1"),
    ],
)
def test_a_name_resolving_to_a_private_address_is_refused(addresses, resolve_to):
    calls = resolve_to(*addresses)

    with pytest.raises(WebhookRefused, match="hooks.example.com →"):
        destination_vet("https://hooks.example.com/hook")

    assert calls == ["hooks.example.com"]


def test_a_name_resolving_to_public_addresses_is_pinned_to_the_first(resolve_to):
    calls = resolve_to("93.184.216.34", "93.184.216.35")

    destination = destination_vet("https://Hooks.Example.com:8443/services/T0/B0?x=1")

    assert calls == ["hooks.example.com"]
    assert destination.ip == "93.184.216.34"
    assert destination.host == "hooks.example.com"
    assert (destination.scheme, destination.port) == ("https", 8443)
    assert destination.target == "/services/T0/B0?x=1"


@pytest.mark.parametrize("address", ["::ffff:93.184.216.34", "64:ff9b::5db8:d822"])
def test_ipv6_forms_of_a_public_ipv4_address_pass(address, resolve_to):
    resolve_to(address)

    pinned = destination_vet("https://hooks.example.com/").ip

    assert ipaddress.ip_address(pinned) == ipaddress.ip_address(address)


def test_a_public_ipv6_address_passes():
    assert destination_vet("https://[2606:4700:4700::1111]/hook").ip == "2606:4700:4700::1111"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/hook", "plain http"),
        ("ftp://hooks.example.com/hook", "only http"),
        ("file:///etc/passwd", "only http"),
        ("gopher://hooks.example.com/", "only http"),
        ("https://user:pass@hooks.example.com/hook", "user name"),
        ("https://hooks.example.com@127.0.0.1/hook", "user name"),
        ("https:///hook", "no host"),
        ("https://hooks.example.com:99999/hook", "valid address"),
        ("https://hooks.example.com /hook", "spaces"),
        ("https://hooks.example.com/hook\r\nX-Injected: 1", "control characters"),
        ("https://hooks.example.com/h\u00e9", "ASCII"),
        ("https://hooks.example.com\\@127.0.0.1/hook", "user name"),
        ("https://localhost/hook", "this machine"),
        ("https://api.localhost/hook", "this machine"),
        ("https://[not-an-ip]/hook", "IPv6"),
        ("https://exa_mple..com/hook", "valid host name"),
    ],
)
def test_malformed_or_unsafe_addresses_are_refused(url, reason, resolve_to):
    resolve_to("93.184.216.34")

    with pytest.raises(WebhookRefused, match=reason):
        destination_vet(url)


def test_an_unresolvable_name_is_a_network_error_not_a_refusal(monkeypatch):
    def fail(host, port):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(webhooks, "host_resolve", fail)

    result = webhook_post(url="https://nowhere.example/hook", body=b"{}", headers={})

    assert not result.delivered
    assert not result.permanent
    assert "gaierror" in result.error


# --- BACKLIGHT_WEBHOOK_ALLOWED_HOSTS ----------------------------------------------------------


def test_loopback_is_refused_without_the_setting(settings):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = []

    with pytest.raises(WebhookRefused):
        destination_vet("http://127.0.0.1:8000/hook")


def test_an_allowed_address_may_be_reached_over_http(allow_local):
    destination = destination_vet("http://127.0.0.1:8000/hook")

    assert (destination.ip, destination.port) == ("127.0.0.1", 8000)


def test_an_allowed_address_allows_only_itself(allow_local):
    for url in ("http://127.0.0.2/hook", "https://10.0.0.1/hook", "https://[::1]/hook"):
        with pytest.raises(WebhookRefused):
            destination_vet(url)


def test_an_allowed_address_covers_its_ipv4_mapped_form(allow_local):
    assert destination_vet("http://[::ffff:127.0.0.1]:8000/").ip == "::ffff:7f00:1"


def test_an_allowed_network_allows_names_resolving_into_it(settings, resolve_to):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = ["10.20.0.0/16"]
    resolve_to("10.20.3.4")

    assert destination_vet("http://hooks.corp.example:8080/").ip == "10.20.3.4"


def test_an_allowed_network_does_not_allow_other_private_addresses(settings, resolve_to):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = ["10.20.0.0/16"]
    resolve_to("10.20.3.4", "10.99.0.1")

    with pytest.raises(WebhookRefused, match="10.99.0.1"):
        destination_vet("https://hooks.corp.example/")


def test_an_allowed_name_allows_its_addresses(settings, resolve_to):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = ["hooks.corp.example"]
    resolve_to("192.168.7.7")

    assert destination_vet("http://HOOKS.corp.example./").ip == "192.168.7.7"


def test_an_allowed_name_does_not_allow_numeric_tricks(settings):
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = ["2130706433"]

    with pytest.raises(WebhookRefused, match="non-canonical"):
        destination_vet("http://2130706433/")


# --- posting: pinning, redirects, timeouts ----------------------------------------------------


def test_the_post_goes_to_the_vetted_address_with_the_name_as_host(receiver, settings, resolve_to):
    """The name does not exist in DNS: only a connection to the pinned address can arrive, and
    the resolver is asked once, so a second (rebinding) answer could not be used."""
    settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS = LOCAL
    calls = resolve_to("127.0.0.1")

    result = webhook_post(
        url=receiver.url(host="hooks.backlight.invalid"), body=b'{"a":1}', headers={}
    )

    assert result.delivered, result.error
    assert calls == ["hooks.backlight.invalid"]
    assert receiver.requests[0].headers["Host"] == f"hooks.backlight.invalid:{receiver.port}"
    assert receiver.requests[0].body == b'{"a":1}'


def test_a_redirect_to_a_private_address_is_refused(receiver, allow_local):
    receiver.routes["/hook"] = (307, {"Location": "http://10.0.0.1/steal"}, b"")

    result = webhook_post(url=receiver.url(), body=b"{}", headers={})

    assert not result.delivered
    assert result.permanent
    assert "refused redirect to http://10.0.0.1/steal" in result.error


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://2130706433/"],
)
def test_a_redirect_to_the_machine_or_metadata_is_refused(receiver, allow_local, location):
    receiver.routes["/hook"] = (308, {"Location": location}, b"")

    result = webhook_post(url=receiver.url(), body=b"{}", headers={})

    assert result.permanent
    assert "refused redirect" in result.error
    assert len(receiver.requests) == 1


def test_a_redirect_to_a_name_resolving_privately_is_refused(receiver, allow_local, resolve_to):
    resolve_to("192.168.0.1")
    receiver.routes["/hook"] = (307, {"Location": "https://moved.example.com/hook"}, b"")

    result = webhook_post(url=receiver.url(), body=b"{}", headers={})

    assert result.permanent
    assert "moved.example.com → 192.168.0.1" in result.error


def test_307_and_308_are_followed_with_the_same_body(receiver, allow_local):
    receiver.routes["/hook"] = (307, {"Location": "/second"}, b"")
    receiver.routes["/second"] = (308, {"Location": receiver.url("/third")}, b"")

    result = webhook_post(url=receiver.url(), body=b'{"n":1}', headers={"X-Test": "1"})

    assert result.delivered
    assert [request.path for request in receiver.requests] == ["/hook", "/second", "/third"]
    assert all(request.body == b'{"n":1}' for request in receiver.requests)
    assert all(request.headers["X-Test"] == "1" for request in receiver.requests)


def test_more_than_three_redirects_fail(receiver, allow_local):
    receiver.routes["/hook"] = (307, {"Location": "/hook"}, b"")

    result = webhook_post(url=receiver.url(), body=b"{}", headers={})

    assert result.permanent
    assert "more than 3 redirects" in result.error
    assert len(receiver.requests) == 4


@pytest.mark.parametrize("status", [301, 302, 303])
def test_redirects_that_would_drop_the_body_are_not_followed(receiver, allow_local, status):
    receiver.routes["/hook"] = (status, {"Location": receiver.url("/elsewhere")}, b"")

    result = webhook_post(url=receiver.url(), body=b"{}", headers={})

    assert result.permanent
    assert f"HTTP {status} redirect" in result.error
    assert len(receiver.requests) == 1


def test_a_slow_receiver_times_out(receiver, allow_local, monkeypatch):
    monkeypatch.setattr(webhooks, "READ_TIMEOUT", 0.2)
    receiver.delay = 1.0

    started = time.monotonic()
    result = webhook_post(url=receiver.url(), body=b"{}", headers={})

    assert time.monotonic() - started < 0.9
    assert not result.delivered
    assert not result.permanent
    assert "timed out" in result.error.lower()


def test_a_closed_port_is_a_network_error(allow_local):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = webhook_post(url=f"http://127.0.0.1:{port}/hook", body=b"{}", headers={})

    assert not result.delivered
    assert not result.permanent
    assert "ConnectionRefusedError" in result.error


def test_only_an_excerpt_of_a_failed_response_is_kept(receiver, allow_local):
    receiver.routes["/hook"] = (500, {}, b"x" * 10_000)

    result = webhook_post(url=receiver.url(), body=b"{}", headers={})

    assert result.status == 500
    assert len(result.error) <= webhooks.EXCERPT_CHARS + len("HTTP 500: ")


# --- signing ----------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = payload_body({"text": "héllo", "blocks": []})

    signature = payload_sign(secret="s3cret", timestamp="1700000000", body=body)

    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"
    assert body == '{"text":"héllo","blocks":[]}'.encode()


def test_signature_verify_checks_the_secret_the_body_and_the_age():
    body = b'{"text":"hi"}'
    now = str(int(time.time()))
    signature = payload_sign(secret="k", timestamp=now, body=body)

    assert signature_verify(secret="k", timestamp=now, body=body, signature=signature)
    assert not signature_verify(secret="other", timestamp=now, body=body, signature=signature)
    assert not signature_verify(secret="k", timestamp=now, body=b"{}", signature=signature)
    old = str(int(time.time()) - 3600)
    old_signature = payload_sign(secret="k", timestamp=old, body=body)
    assert not signature_verify(secret="k", timestamp=old, body=body, signature=old_signature)


# --- webhooks and deliveries in the database ---------------------------------------------------


@pytest.fixture
def local_webhook(db, receiver, allow_local):
    return outbound_webhook_create(name="Local", url=receiver.url())


def test_a_new_webhook_gets_a_secret(db):
    webhook = outbound_webhook_create(name="Slack", url="https://hooks.slack.com/services/T/B/X")

    assert len(webhook.secret) == 64
    int(webhook.secret, 16)
    other = outbound_webhook_create(name="Other", url="https://hooks.slack.com/services/T/B/Y")
    assert other.secret != webhook.secret


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/hook", "https://169.254.169.254/", "https://2130706433/"]
)
def test_a_webhook_to_a_refused_address_cannot_be_created(db, url):
    with pytest.raises(ValidationError, match="refused"):
        outbound_webhook_create(name="Bad", url=url)

    assert not OutboundWebhook.objects.exists()


def test_the_admin_creates_webhooks_through_the_service(client, role_admin):
    client.force_login(role_admin)

    response = client.post(
        reverse("admin:roadmap_outboundwebhook_add"),
        {"name": "Slack", "url": "https://hooks.slack.com/services/T/B/X", "is_active": "on"},
    )

    assert response.status_code == 302, response.content
    webhook = OutboundWebhook.objects.get()
    assert len(webhook.secret) == 64
    assert webhook.created_by == role_admin


def test_the_admin_refuses_a_private_address(client, role_admin):
    client.force_login(role_admin)

    response = client.post(
        reverse("admin:roadmap_outboundwebhook_add"),
        {"name": "Metadata", "url": "http://169.254.169.254/latest/", "is_active": "on"},
    )

    assert response.status_code == 200
    assert "refused" in response.content.decode()
    assert not OutboundWebhook.objects.exists()


def _delivery(webhook, *, payload=None) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        webhook=webhook,
        event="digest.weekly",
        payload=payload or {"text": "hi", "blocks": []},
        next_attempt_at=timezone.now(),
    )


def _make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_a_delivery_is_signed_and_recorded(local_webhook, receiver):
    delivery = _delivery(local_webhook, payload={"text": "Digest", "blocks": [{"type": "x"}]})

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert (delivery.attempts, delivery.response_status, delivery.error) == (1, 200, "")
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    request = receiver.requests[0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Backlight-Event"] == "digest.weekly"
    assert request.headers["X-Backlight-Delivery"] == str(delivery.pk)
    assert signature_verify(
        secret=local_webhook.secret,
        timestamp=request.headers["X-Backlight-Timestamp"],
        body=request.body,
        signature=request.headers["X-Backlight-Signature"],
    )
    assert json.loads(request.body) == {"text": "Digest", "blocks": [{"type": "x"}]}


def test_failures_are_retried_on_the_schedule_then_failed(local_webhook, receiver):
    receiver.routes["/hook"] = (503, {}, b"busy")
    delivery = _delivery(local_webhook)

    waits = []
    for _ in range(MAX_ATTEMPTS):
        before = timezone.now()
        webhook_delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        if delivery.next_attempt_at is not None:
            waits.append(delivery.next_attempt_at - before)
        _make_due(delivery)

    assert [round(wait.total_seconds() / 60) for wait in waits] == [
        round(step.total_seconds() / 60) for step in BACKOFF
    ]
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == 6
    assert (delivery.response_status, delivery.error) == (503, "HTTP 503: busy")
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None


def test_a_failed_attempt_then_a_success(local_webhook, receiver):
    receiver.routes["/hook"] = (500, {}, b"oops")
    delivery = _delivery(local_webhook)
    webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 1)

    receiver.routes.clear()
    _make_due(delivery)
    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("delivered", 2, "")


def test_a_delivery_that_is_not_due_is_left_alone(local_webhook, receiver):
    delivery = _delivery(local_webhook)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=3)
    )

    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None

    delivery.refresh_from_db()
    assert delivery.attempts == 0
    assert receiver.requests == []


def test_a_refused_destination_fails_at_once(db, allow_local):
    webhook = outbound_webhook_create(name="Local", url="http://127.0.0.1:9/hook")
    OutboundWebhook.objects.filter(pk=webhook.pk).update(url="http://10.1.2.3/hook")
    delivery = _delivery(webhook)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.FAILED, 1)
    assert delivery.error.startswith("refused: 10.1.2.3")


def test_a_switched_off_webhook_fails_its_deliveries(local_webhook, receiver):
    delivery = _delivery(local_webhook)
    OutboundWebhook.objects.filter(pk=local_webhook.pk).update(is_active=False)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert receiver.requests == []


def test_the_beat_finds_due_deliveries_and_fails_lost_ones(local_webhook):
    due = _delivery(local_webhook)
    _make_due(due)
    later = _delivery(local_webhook)
    WebhookDelivery.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(hours=1)
    )
    lost = _delivery(local_webhook)
    WebhookDelivery.objects.filter(pk=lost.pk).update(attempts=MAX_ATTEMPTS)
    _make_due(lost)

    ids = webhook_deliveries_resend_due()

    assert ids == [due.pk]
    lost.refresh_from_db()
    assert lost.status == WebhookDelivery.Status.FAILED
    assert "lost" in lost.error


def test_the_resend_task_sends_what_is_due(local_webhook, receiver):
    from roadmap.sharing.tasks import webhook_deliveries_resend

    delivery = _delivery(local_webhook)
    _make_due(delivery)

    assert webhook_deliveries_resend.delay().get() == 1

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_an_enqueued_delivery_is_sent_after_commit(
    local_webhook, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_delivery_enqueue(
            webhook=local_webhook, event=services.TEST_EVENT, payload={"text": "t", "blocks": []}
        )

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert receiver.requests[0].headers["X-Backlight-Event"] == "test.ping"
