"""Sharing broadly (issue #8): weekly digests and alerts on emerging pain points, by email and
through signed outbound webhooks, to the people and teams who subscribed.

webhooks.py   the sender and its SSRF rules (no ORM)    signing.py    HMAC signatures (no ORM)
services.py   the writes, and sending once              selectors.py  the reads
alerts.py     emerging-theme alerts                     digests.py    the weekly digest
tasks.py      thin Celery tasks                         views.py, forms.py, urls.py  the pages
"""
