"""Who said it: match a respondent to a contact and an account.

Loaded once per import or API batch into dictionaries, so matching a row costs a few lookups and no
query. The order is the one people expect: the exact contact email, then the email's domain, then
the account's external id.
"""

from dataclasses import dataclass

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
    ) -> None:
        self._contacts = contacts
        self._domains = domains
        self._external_ids = external_ids

    @classmethod
    def load(cls) -> "CustomerMatcher":
        contacts = {
            email.lower(): (customer_id, contact_id)
            for contact_id, email, customer_id in Contact.objects.values_list(
                "id", "email", "customer_id"
            ).iterator(chunk_size=10_000)
        }
        domains: dict[str, int] = {}
        ambiguous: set[str] = set()
        external_ids: dict[str, int] = {}
        for customer_id, domain, external_id in Customer.objects.values_list(
            "id", "domain", "external_id"
        ).iterator(chunk_size=10_000):
            external_ids[external_id] = customer_id
            domain = domain.strip().lower()
            if not domain or domain in PUBLIC_EMAIL_DOMAINS:
                continue
            if domain in domains:
                ambiguous.add(domain)
            domains[domain] = customer_id
        # A domain shared by two accounts identifies neither.
        for domain in ambiguous:
            del domains[domain]
        return cls(contacts=contacts, domains=domains, external_ids=external_ids)

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
