"""Who said it: match a respondent to a contact and an account.

Loaded once per import or API batch into dictionaries, so matching a row costs a few lookups and no
query. The order is the one people expect: the exact contact email, then the email's domain, then
the account's external id. `load_for` loads only what one batch's emails and account references
need (a few small queries per chunk instead of every contact and account); its matcher also knows
accounts by name, as people type them in a touchpoint log.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Lower

from insights.models import Contact, Customer

# Addresses at these domains say nothing about the account a person works for.
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "web.de",
        "mail.com",
    }
)


@dataclass(frozen=True, slots=True)
class Match:
    customer_id: int | None
    contact_id: int | None


NO_MATCH = Match(None, None)


class CustomerMatcher:
    def __init__(
        self,
        *,
        contacts: dict[str, tuple[int, int]],
        domains: dict[str, int],
        external_ids: dict[str, int],
        names: dict[str, int | None] | None = None,
    ) -> None:
        self._contacts = contacts
        self._domains = domains
        self._external_ids = external_ids
        self._names = names or {}  # lower-case name → account, None when several share it

    @classmethod
    def none(cls) -> "CustomerMatcher":
        """A matcher that matches nothing, for batches whose store matches by itself."""
        return cls(contacts={}, domains={}, external_ids={})

    @classmethod
    def load(cls) -> "CustomerMatcher":
        contacts = {
            email.lower(): (customer_id, contact_id)
            for contact_id, email, customer_id in Contact.objects.values_list(
                "id", "email", "customer_id"
            ).iterator(chunk_size=10_000)
        }
        external_ids: dict[str, int] = {}
        customers = Customer.objects.values_list("id", "domain", "external_id")
        domain_rows = []
        for customer_id, domain, external_id in customers.iterator(chunk_size=10_000):
            external_ids[external_id] = customer_id
            domain_rows.append((customer_id, domain))
        return cls(contacts=contacts, domains=_domains(domain_rows), external_ids=external_ids)

    @classmethod
    def load_for(
        cls, *, emails: Iterable[str] = (), references: Iterable[str] = ()
    ) -> "CustomerMatcher":
        """A matcher for these emails and account references (external ids or names) only."""
        emails = {email.strip().lower() for email in emails if "@" in email}
        references = {reference.strip() for reference in references if reference.strip()}
        contacts: dict[str, tuple[int, int]] = {}
        if emails:
            contacts = {
                email: (customer_id, contact_id)
                for contact_id, email, customer_id in Contact.objects.annotate(
                    email_lower=Lower("email")
                )
                .filter(email_lower__in=emails)
                .values_list("id", "email_lower", "customer_id")
            }
        wanted_domains = {email.rpartition("@")[2] for email in emails} - PUBLIC_EMAIL_DOMAINS
        domain_rows = []
        if wanted_domains:
            domain_rows = list(
                Customer.objects.annotate(domain_lower=Lower("domain"))
                .filter(domain_lower__in=wanted_domains)
                .values_list("id", "domain")
            )
        external_ids: dict[str, int] = {}
        names: dict[str, int | None] = {}
        if references:
            lowered = {reference.lower() for reference in references}
            for customer_id, external_id, name in (
                Customer.objects.annotate(name_lower=Lower("name"))
                .filter(Q(external_id__in=references) | Q(name_lower__in=lowered))
                .values_list("id", "external_id", "name")
            ):
                if external_id in references:
                    external_ids[external_id] = customer_id
                name = name.lower()
                if name in lowered:
                    names[name] = None if name in names else customer_id
        return cls(
            contacts=contacts,
            domains=_domains(domain_rows),
            external_ids=external_ids,
            names=names,
        )

    def match(self, *, email: str = "", customer_external_id: str = "") -> Match:
        if email:
            email = email.strip().lower()
            found = self._contacts.get(email)
            if found:
                return Match(*found)
            domain = email.rpartition("@")[2]
            customer_id = self._domains.get(domain)
            if customer_id:
                return Match(customer_id, None)
        if customer_external_id:
            customer_id = self._external_ids.get(customer_external_id.strip())
            if customer_id:
                return Match(customer_id, None)
        return NO_MATCH

    def customer_id_for(self, external_id: str) -> int | None:
        return self._external_ids.get(external_id.strip())

    def customer_id_for_reference(self, reference: str) -> int | None:
        """The account with this external id, else the one account with this name (any case);
        None for no account, or for a name several accounts share."""
        reference = reference.strip()
        return self._external_ids.get(reference) or self._names.get(reference.lower())


def _domains(rows: Iterable[tuple[int, str]]) -> dict[str, int]:
    """Email domain → account, leaving out public mail domains and domains shared by accounts."""
    domains: dict[str, int] = {}
    ambiguous: set[str] = set()
    for customer_id, domain in rows:
        domain = domain.strip().lower()
        if not domain or domain in PUBLIC_EMAIL_DOMAINS:
            continue
        if domain in domains and domains[domain] != customer_id:
            ambiguous.add(domain)
        domains[domain] = customer_id
    # A domain shared by two accounts identifies neither.
    for domain in ambiguous:
        del domains[domain]
    return domains
