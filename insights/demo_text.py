"""What demo customers say: eleven planted pain points, their time curves, and a text generator.

Pure Python, no ORM, so it is testable without a database and reusable by the touchpoint demo. The
planted pain points are the ground truth the NLP pipeline should rediscover. Every text is built
from templates with slots (numbers, feature names, customer context), so that few are repeated
verbatim, and every function takes the caller's `random.Random`: the same seed, the same words.
"""

import calendar
import datetime as dt
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# How many months before --today the backlog item that fixes slow exports shipped.
EXPORT_FIX_MONTHS_BEFORE_TODAY = 5


@dataclass(frozen=True)
class PainPoint:
    key: str
    label: str
    feature: str
    keywords: tuple[str, ...]
    severity: float  # how far a mention pulls an NPS score down, in points
    ticket_affinity: float  # how much more often it turns into a support ticket than a comment
    segment_affinity: Mapping[str, float]
    core: tuple[str, ...]
    details: tuple[str, ...]
    asks: tuple[str, ...]
    tiny: tuple[str, ...]
    subjects: tuple[str, ...]
    slots: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


PAIN_POINTS: tuple[PainPoint, ...] = (
    PainPoint(
        key="slow_exports",
        label="Slow CSV and report exports",
        feature="export",
        keywords=("export", "csv", "excel", "xlsx", "pdf", "download"),
        severity=0.8,
        ticket_affinity=1.0,
        segment_affinity={"smb": 0.8, "mid_market": 1.2, "enterprise": 1.1},
        core=(
            "Exporting {report} to {fmt} takes {minutes} minutes.",
            "The {fmt} export of {report} times out {freq}.",
            "Exports are painfully slow {since}.",
            "Downloading {report} as {fmt} never finishes once it has more than {rows} rows.",
            "I click export and then wait. And wait. {report_cap} took {minutes} minutes today.",
            "Report exports keep spinning and then fail with a timeout.",
            "Our {team} team can't get {report} out as {fmt} without it timing out.",
            "Exports got slower {since}, {report} used to take seconds.",
            "The export button is basically useless for anything over {rows} rows.",
            "Every {fmt} export I start ends in a blank file or a timeout.",
        ),
        details=(
            "We export {report} {when} for {recipient}.",
            "It's {rows} rows, not exactly big data.",
            "I've had to split the export into {n_parts} date ranges to get it out.",
            "Sometimes the download just stops at {pct}%.",
            "The {fmt} that does come out is missing the last few columns.",
        ),
        asks=(
            "Please let us schedule exports or email them when they're ready.",
            "A background export with a download link would solve this.",
            "Can exports run in the background so I can keep working?",
            "Just email me the file when the export is done.",
        ),
        tiny=(
            "exports too slow",
            "export keeps timing out",
            "slow csv exports",
            "exports take forever",
            "fix the exports please",
        ),
        subjects=(
            "Export of {report} times out",
            "CSV export never finishes",
            "Report download stuck at {pct}%",
            "{fmt} export failing for large reports",
            "Slow exports blocking month-end",
        ),
        slots={
            "report": (
                "the monthly revenue report",
                "the pipeline report",
                "our audit log",
                "the usage report",
                "the inventory list",
                "the timesheet report",
                "all open work orders",
                "the customer list",
                "the SLA report",
                "last quarter's invoice report",
            ),
            "report_cap": (
                "The revenue report",
                "The audit log",
                "Our timesheet export",
                "The SLA report",
                "The inventory list",
            ),
            "fmt": ("CSV", "Excel", "XLSX", "PDF", "CSV"),
            "freq": ("every time", "half the time", "most mornings", "at month end"),
            "recipient": (
                "our board pack",
                "the finance team",
                "our auditors",
                "the weekly ops review",
                "a client",
            ),
        },
    ),
    PainPoint(
        key="sso_login_loops",
        label="SSO/SAML login loops",
        feature="login",
        keywords=("sso", "saml", "login", "log in", "sign in", "signed", "redirect", "locked out"),
        severity=1.6,
        ticket_affinity=1.7,
        segment_affinity={"smb": 0.3, "mid_market": 1.0, "enterprise": 2.2},
        core=(
            "Since the {month} update our users get stuck in an SSO login loop.",
            "Logging in through {idp} redirects back to the login page over and over.",
            "SAML login bounces between {idp} and your sign-in page until the browser gives up.",
            "Half of our {team} team could not log in on {weekday} because of the SSO loop.",
            "SSO is broken again: sign in, redirect, sign in, redirect.",
            "Users with {idp} accounts keep getting logged out and sent back to the SSO page.",
            "The SAML login loop is back after the latest release.",
            "We're locked out every morning until someone clears cookies, SSO just loops.",
        ),
        details=(
            "Clearing cookies fixes it for a day at most.",
            "It only happens in {browser}, as far as we can tell.",
            "Our IT admin confirmed the {idp} config has not changed.",
            "{n_users} people were blocked for {hours} hours.",
            "Incognito works, normal windows don't.",
        ),
        asks=(
            "Please fix SSO before our renewal.",
            "We need a fallback login that isn't SSO.",
            "Can someone look at our SAML setup with us?",
            "Please roll back whatever changed in the login flow.",
        ),
        tiny=(
            "sso login loop",
            "can't log in with SSO",
            "SAML redirect loop again",
            "login loop!!",
        ),
        subjects=(
            "SSO login loop with {idp}",
            "Users stuck in SAML redirect loop",
            "Cannot sign in via SSO since update",
            "Login redirects back to login page",
            "URGENT: team locked out by SSO loop",
        ),
        slots={
            "idp": ("Okta", "Azure AD", "Entra ID", "Google Workspace", "OneLogin", "JumpCloud"),
            "browser": ("Chrome", "Safari", "Edge", "Firefox"),
        },
    ),
    PainPoint(
        key="confusing_invoices",
        label="Confusing invoices and billing",
        feature="billing",
        keywords=("invoice", "billing", "billed", "charge", "prorat", "vat", "seats"),
        severity=0.7,
        ticket_affinity=1.5,
        segment_affinity={"smb": 1.6, "mid_market": 1.0, "enterprise": 0.5},
        core=(
            "Our invoice this {period} had line items nobody here understands.",
            "I can't reconcile the invoice with the number of seats we actually use.",
            "We were charged for {n_seats} extra seats and I still don't know why.",
            "The proration on the last invoice makes no sense to our {team} team.",
            "Billing is confusing: {n_charges} separate charges for one plan change.",
            "The invoice doesn't show {missing_field}, so finance rejects it every {period}.",
            "Took me {hours} hours to figure out what we were billed for.",
            "Why does the invoice total differ from the price on the billing page?",
        ),
        details=(
            "Our PO number isn't on it either.",
            "Finance needs VAT shown separately.",
            "The credit from the downgrade never showed up.",
            "We got two invoices for the same {period}.",
            "Seats we removed in {month} are still billed.",
        ),
        asks=(
            "Please add a plain breakdown per seat to the invoice.",
            "Let us put our PO number on invoices.",
            "A billing history page we can download would help a lot.",
            "Can someone walk our accountant through the invoice?",
        ),
        tiny=("invoices are confusing", "billing makes no sense", "wrong invoice again"),
        subjects=(
            "Question about invoice INV-{invoice_no}",
            "Charged for seats we removed",
            "Invoice missing PO number",
            "Proration on latest invoice unclear",
            "Duplicate invoice for {month}",
        ),
        slots={
            "period": ("month", "quarter", "year"),
            "missing_field": (
                "our PO number",
                "the VAT breakdown",
                "the billing period",
                "per-seat pricing",
                "our registration number",
            ),
        },
    ),
    PainPoint(
        key="mobile_upload_crash",
        label="Mobile app crashes on photo upload",
        feature="mobile_upload",
        keywords=("app", "mobile", "photo", "upload", "crash", "camera"),
        severity=1.0,
        ticket_affinity=1.4,
        segment_affinity={"smb": 1.4, "mid_market": 1.0, "enterprise": 0.7},
        core=(
            "The mobile app crashes every time I attach a photo.",
            "Uploading photos from the {device} app closes the app and the job notes are lost.",
            "Our field techs lose their work when the app crashes during photo upload.",
            "Photo upload on {device} crashes the app {freq}.",
            "Attach {n_photos} photos and the app just quits.",
            "Since {os_version} the app crashes as soon as the camera opens.",
            "The app freezes on 'Uploading photo' and then closes.",
        ),
        details=(
            "It's worse on weak 4G.",
            "Single photos work, several at once never do.",
            "We've reinstalled the app on {n_devices} phones, same result.",
            "Our techs now email photos instead, which defeats the point.",
        ),
        asks=(
            "Please save the draft before uploading.",
            "Let photo uploads retry in the background.",
            "Fix the photo upload and our field teams will be happy again.",
        ),
        tiny=("app crashes on upload", "mobile app keeps crashing", "photo upload crash"),
        subjects=(
            "App crashes when uploading photos ({device})",
            "Mobile crash on photo attach",
            "Photos lost after app crash",
            "App closes during upload on {os_version}",
        ),
        slots={
            "device": ("iPhone", "Android", "iPad", "Samsung", "Pixel"),
            "os_version": ("iOS 18", "iOS 18.1", "Android 15", "the latest iOS update"),
            "freq": ("every time", "about half the time", "several times a day"),
        },
    ),
    PainPoint(
        key="search_misses",
        label="Search doesn't find things",
        feature="search",
        keywords=("search", "find", "results"),
        severity=0.5,
        ticket_affinity=0.8,
        segment_affinity={"smb": 1.0, "mid_market": 1.0, "enterprise": 1.0},
        core=(
            "Search never finds {thing} unless I type the exact title.",
            "I typed {query} and search returned nothing, even though it's right there.",
            "Search results are useless, {thing} I created {when_past} don't show up.",
            "Search can't find partial names or anything with a typo.",
            "Finding {thing} takes longer than scrolling, search misses most of them.",
            "Search only seems to look at titles, not at notes or attachments.",
        ),
        details=(
            "New items take hours to appear in search results.",
            "Filters reset every time I search.",
            "Searching by customer number finds nothing.",
        ),
        asks=(
            "Please make search match partial words.",
            "Search inside attachments would be a big help.",
            "A fuzzy search like every other tool has, please.",
        ),
        tiny=("search is useless", "search doesn't find anything", "better search please"),
        subjects=(
            "Search not returning {thing}",
            "Search misses recent items",
            "Search by customer number finds nothing",
        ),
        slots={
            "thing": (
                "old work orders",
                "customer records",
                "my own notes",
                "projects",
                "contacts",
                "invoices",
                "tickets",
            ),
            "query": (
                '"Q3 forecast"',
                "a customer's postcode",
                "the order number",
                '"warehouse 4"',
                "the client's last name",
            ),
            "old_tool": (
                "spreadsheets",
                "our old system",
                "the last tool we tried",
                "pen and paper",
                "our in-house tool",
            ),
            "when_past": ("yesterday", "last week", "this morning", "two days ago"),
        },
    ),
    PainPoint(
        key="notification_spam",
        label="Too many notifications",
        feature="notifications",
        keywords=("notification", "email", "alert", "spam", "inbox", "digest"),
        severity=0.3,
        ticket_affinity=0.6,
        segment_affinity={"smb": 1.0, "mid_market": 1.1, "enterprise": 0.9},
        core=(
            "I get {n_notifs} notification emails a day and almost none are relevant.",
            "The notifications are pure spam, our team has muted them all.",
            "Every tiny change sends an email to the whole {team} team.",
            "Too many alerts: I can't find the important ones any more.",
            "My inbox is flooded with notifications about things I don't own.",
            "We turned notifications off completely and now we miss the ones that matter.",
        ),
        details=(
            "There's no way to get a daily digest.",
            "Unsubscribing from one type doesn't stop the others.",
            "Push and email notifications both fire for the same thing.",
        ),
        asks=(
            "Give us a daily digest option.",
            "Let each user choose which notifications they get.",
            "Please only notify the assignee.",
        ),
        tiny=("too many notifications", "notification spam", "stop the email spam"),
        subjects=(
            "How to reduce notification emails",
            "Users complaining about notification volume",
            "Turn off notifications for the {team} team",
        ),
    ),
    PainPoint(
        key="slow_dashboards",
        label="Slow dashboards",
        feature="dashboards",
        keywords=("dashboard", "load", "spinner", "chart"),
        severity=0.5,
        ticket_affinity=0.8,
        segment_affinity={"smb": 0.7, "mid_market": 1.1, "enterprise": 1.4},
        core=(
            "Dashboards take {seconds} seconds to load in the morning.",
            "The {dashboard} dashboard just shows a spinner for ages.",
            "Loading any dashboard with more than {n_charts} charts is painfully slow.",
            "Dashboards got noticeably slower {since}.",
            "Our wall-screen dashboard times out several times a day.",
            "Changing a filter on the dashboard means another {seconds} seconds of waiting.",
        ),
        details=(
            "It's fine with a week of data, unusable with a year.",
            "Our {team} stand-up starts with everyone waiting for the dashboard to load.",
            "Charts load one by one and the last ones never come.",
        ),
        asks=(
            "Please cache the dashboards or something.",
            "Load the numbers first and the charts later.",
            "Let us pick a smaller default date range on dashboards.",
        ),
        tiny=("dashboards slow", "dashboard loading forever", "slow dashboards"),
        subjects=(
            "Dashboard '{dashboard}' not loading",
            "Dashboards very slow since {month}",
            "Timeout on team dashboard",
        ),
        slots={"dashboard": ("team overview", "sales", "operations", "executive", "SLA", "KPI")},
    ),
    PainPoint(
        key="coarse_permissions",
        label="Roles and permissions too coarse",
        feature="permissions",
        keywords=("permission", "role", "access", "admin", "restrict"),
        severity=0.6,
        ticket_affinity=1.0,
        segment_affinity={"smb": 0.4, "mid_market": 1.1, "enterprise": 2.0},
        core=(
            "Permissions are all or nothing: someone is either an admin or can't do their job.",
            "We need a role that can {action} without being a full admin.",
            "There's no way to hide {sensitive} from {people}.",
            "We had to make {n_admins} people admins just so they could {action}.",
            "Roles are far too coarse for a company our size.",
            "Contractors see everything, we can't restrict their access to their own projects.",
        ),
        details=(
            "Our auditors flagged it.",
            "Security asked us to review who has admin, and it's half the company.",
            "We'd pay more for custom roles.",
        ),
        asks=(
            "Please add custom roles.",
            "Field-level permissions would solve this.",
            "Let us restrict access per team or project.",
        ),
        tiny=("need custom roles", "permissions too coarse", "roles too limited"),
        subjects=(
            "Custom role for {people}?",
            "Restrict access to {sensitive}",
            "Too many admins needed to {action}",
        ),
        slots={
            "action": (
                "edit templates",
                "approve timesheets",
                "export reports",
                "manage users in their team",
                "see billing",
            ),
            "sensitive": (
                "salary fields",
                "pricing",
                "customer contracts",
                "billing details",
                "HR notes",
            ),
            "people": (
                "contractors",
                "external partners",
                "our interns",
                "regional managers",
                "read-only users",
            ),
        },
    ),
    PainPoint(
        key="api_rate_limits",
        label="API rate limits",
        feature="integrations",
        keywords=("api", "rate limit", "429", "requests", "throttl", "limit"),
        severity=0.7,
        ticket_affinity=1.3,
        segment_affinity={"smb": 0.3, "mid_market": 1.0, "enterprise": 2.0},
        core=(
            "We keep hitting the API rate limit during our nightly sync.",
            "The API returns 429 after {n_requests} requests and our integration falls over.",
            "API rate limits are far too low for an account with {n_users} users.",
            "Our {system} integration gets throttled by the API {when}.",
            "API limits make bulk updates impossible, we have to sleep between calls.",
            "Getting 429 Too Many Requests on API endpoints we barely use.",
        ),
        details=(
            "The limit isn't documented anywhere we could find.",
            "There's no Retry-After header, so we guess.",
            "Our developer spent {n_days} days building around it.",
        ),
        asks=(
            "Please raise the limit or offer a higher tier.",
            "A bulk endpoint would avoid most of these API calls.",
            "Document the rate limits and send Retry-After.",
        ),
        tiny=("api rate limits too low", "getting 429s from the API", "API throttling again"),
        subjects=(
            "429 errors from API",
            "Rate limit too low for nightly sync",
            "API throttling breaks {system} integration",
        ),
        slots={"system": ("ERP", "data warehouse", "BI", "Snowflake", "NetSuite", "payroll")},
    ),
    PainPoint(
        key="crm_sync_delays",
        label="CRM sync delays",
        feature="integrations",
        keywords=("crm", "salesforce", "hubspot", "pipedrive", "dynamics", "sync"),
        severity=1.0,
        ticket_affinity=1.4,
        segment_affinity={"smb": 0.7, "mid_market": 1.6, "enterprise": 1.0},
        core=(
            "The {crm} sync is hours behind, our reps see stale data.",
            "Changes in {crm} take {hours} hours to sync over here.",
            "The {crm} integration silently stops syncing and nobody notices for days.",
            "The sync with {crm} duplicated {n_records} contacts last week.",
            "Deals closed in {crm} don't sync until the next day.",
            "Our CRM and your app disagree about half our accounts because the sync lags.",
        ),
        details=(
            "There's no sync log we can check.",
            "Re-connecting the integration fixes it for a while.",
            "Our sales ops lead rebuilds the field mapping every month.",
        ),
        asks=(
            "Please make the CRM sync near real-time.",
            "At least alert us when the sync fails.",
            "Show a sync status page with the errors.",
        ),
        tiny=("crm sync delayed", "salesforce sync broken", "hubspot sync lagging"),
        subjects=(
            "{crm} sync delayed by {hours} hours",
            "CRM integration stopped syncing",
            "Duplicate contacts after {crm} sync",
        ),
        slots={"crm": ("Salesforce", "HubSpot", "Pipedrive", "Dynamics", "Salesforce")},
    ),
    PainPoint(
        key="onboarding_confusion",
        label="Onboarding and setup confusion",
        feature="onboarding",
        keywords=("setup", "set up", "onboarding", "getting started", "configure", "start"),
        severity=0.4,
        ticket_affinity=1.2,
        segment_affinity={"smb": 1.3, "mid_market": 1.0, "enterprise": 0.7},
        core=(
            "Setting up the account was confusing, we didn't know where to start.",
            "Onboarding took us {n_weeks} weeks instead of the few days we were promised.",
            "The setup steps are unclear: do we start with {setup_a} or {setup_b}?",
            "Our new admins get lost during setup every time.",
            "Getting started was hard without someone from your team on a call.",
            "We only found out about {setup_a} after we'd set up everything else.",
        ),
        details=(
            "The help articles describe screens that no longer exist.",
            "We had to redo the initial import {times}.",
            "A setup checklist would have saved us a lot of time.",
        ),
        asks=(
            "Please add a setup checklist.",
            "A guided setup for new admins would help.",
            "Better getting-started docs, please.",
        ),
        tiny=("setup was confusing", "onboarding confusing", "hard to get started"),
        subjects=(
            "Help with initial setup",
            "Where do we configure {setup_a}?",
            "Import failing during onboarding",
        ),
        slots={
            "setup_a": ("user import", "team structure", "templates", "SSO", "custom fields"),
            "setup_b": ("the integrations", "roles", "notifications", "billing", "data import"),
        },
    ),
)
PAIN_POINTS_BY_KEY: Mapping[str, PainPoint] = {p.key: p for p in PAIN_POINTS}

_SHARED_SLOTS: Mapping[str, tuple[str, ...]] = {
    "team": (
        "finance",
        "ops",
        "sales",
        "support",
        "field",
        "marketing",
        "RevOps",
        "warehouse",
        "customer success",
        "accounting",
        "compliance",
        "dispatch",
    ),
    "times": ("twice", "three times", "four times", "a few times", "half a dozen times"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "when": (
        "every morning",
        "at month end",
        "on Mondays",
        "during quarter close",
        "when we onboard new hires",
        "most days",
        "every single week",
    ),
    "since": (
        "since the last update",
        "since the {month} release",
        "for the past {n_weeks} weeks",
        "since we moved to the {plan} plan",
        "since we added the {team} team",
    ),
    "month": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "plan": ("Growth", "Business", "Enterprise"),
    "colleague": (
        "My manager",
        "Our CFO",
        "The ops lead",
        "Our IT admin",
        "Two of my colleagues",
        "Every new hire",
        "Our VP of Sales",
    ),
    "industry": (
        "logistics",
        "facilities",
        "construction",
        "healthcare",
        "property management",
        "retail",
        "field service",
        "manufacturing",
        "agency",
        "hospitality",
    ),
    "job": (
        "tracking field work",
        "running our weekly ops review",
        "keeping projects on schedule",
        "client reporting",
        "scheduling our crews",
        "managing site inspections",
    ),
    "feature_nice": (
        "the dashboards",
        "the mobile app",
        "bulk edit",
        "the templates",
        "the scheduling view",
        "the new reporting",
        "the integrations",
        "the audit trail",
        "the calendar view",
    ),
    "meeting": (
        "Monday stand-up",
        "weekly ops review",
        "quarterly business review",
        "month-end close",
        "board reporting",
    ),
    "old_tool": (
        "spreadsheets",
        "our old system",
        "the last tool we tried",
        "pen and paper",
        "our in-house tool",
    ),
    "when_past": ("yesterday", "last week", "this morning", "two days ago"),
    "support_person": ("Maria", "Tom", "Aisha", "Kenji", "Lucas", "Priyanka", "Jonas", "Fatima"),
}

_NUMBER_SLOTS: Mapping[str, tuple[int, int]] = {
    "minutes": (3, 45),
    "seconds": (12, 90),
    "hours": (2, 14),
    "n_users": (8, 900),
    "n_weeks": (2, 9),
    "n_months": (2, 30),
    "n_parts": (3, 8),
    "pct": (35, 97),
    "n_seats": (3, 40),
    "n_charges": (3, 6),
    "n_photos": (3, 12),
    "n_devices": (2, 15),
    "n_notifs": (30, 220),
    "n_charts": (6, 20),
    "n_admins": (5, 40),
    "n_days": (2, 10),
    "n_records": (40, 900),
    "n_requests": (60, 600),
    "n_tools": (2, 5),
    "invoice_no": (10000, 99999),
}

_OPENERS = (
    "We're a {n_users}-person {industry} company.",
    "I run {team} for a team of {n_users}.",
    "As the admin for {n_users} users, here's my honest take.",
    "Context: we use it mainly for {job}.",
    "Honest feedback after {n_months} months:",
    "Speaking for our {team} team here.",
    "We've been customers for {n_months} months.",
)
_IMPACTS = (
    "{colleague} has complained about it {times}.",
    "This costs our {team} team about {hours} hours a week.",
    "It's becoming a real problem for us.",
    "We've raised it with our CSM {times} already.",
    "Honestly it's the main reason my score isn't higher.",
    "It makes us look bad in front of our own clients.",
    "Everything else is fine, but this one hurts.",
)
# Said by accounts that are close to leaving: a signal a churn model may pick up from text.
_THREATS = (
    "If this isn't fixed by renewal we'll look at alternatives.",
    "We're already evaluating other tools because of this.",
    "Not sure we'll renew if this keeps happening.",
    "Our leadership is asking why we're still paying for this.",
)
_PRAISE = (
    "Love {feature_nice}, saves our {team} team about {hours} hours a week.",
    "Best tool we've used for {job}.",
    "Support is fantastic, {support_person} sorted our issue in {minutes} minutes.",
    "Great product, we rolled it out to {n_users} people with almost no training.",
    "{feature_nice_cap} made our {meeting} so much easier.",
    "Really happy with it, {n_months} months in and it just works.",
    "We replaced {n_tools} other tools with this and haven't looked back.",
    "Simple, fast, and our {team} team actually enjoys using it.",
    "The {meeting} takes half the time it used to.",
    "Everyone from the {team} team to our execs uses it daily.",
    "Onboarding our {industry} crews was painless.",
    "Keep doing what you're doing, especially with {feature_nice}.",
)
_PRAISE_TAILS = (
    "Thanks, {support_person}!",
    "{n_months} months in and still happy.",
    "Would recommend it to any {industry} business.",
    "Keep it up!",
    "Recommended you to {n_tools} friends in {industry} already.",
    "Our {team} team says thanks.",
)
_PRAISE_SHORT = (
    "Love {feature_nice}",
    "The product is great overall",
    "Really like {feature_nice}",
    "Support has been great",
    "Our {team} team loves it",
    "Solid product for {job}",
    "Honestly, {feature_nice} made a big difference",
)
# Tacked onto short complaints, the way people add "still broken" to a survey answer.
_TAGS = (
    "Still happening as of {weekday}.",
    "Happened {times} this week alone.",
    "Going on {since}.",
    "Affects {n_users} of our users.",
    "{colleague} agrees.",
    "Same as in my last survey.",
    "Please look into it.",
    "{n_months} months and counting.",
    "Not great for a {plan} plan customer.",
)
_SOFTENERS = ("Honestly, ", "Again, ", "Ugh, ", "FYI ", "As before, ", "Still: ", "Biggest issue: ")
_CONNECTORS = (" but ", ", however ", ". That said, ", ". Only complaint: ", "; unfortunately ")
_GENERIC = (
    "It's fine for what our {team} team needs.",
    "Does the job for our {team} team.",
    "Good value for {n_users} seats.",
    "Pricing is a bit steep for a team of {n_users}.",
    "Works well most of the time, {n_months} months in.",
    "Haven't used it enough to say yet, only {n_weeks} weeks in.",
    "Solid product, a few rough edges in {feature_nice}.",
    "Okay overall, nothing special compared to {old_tool}.",
    "Would be a 10 if it were a bit cheaper at {n_users} seats.",
    "We're still rolling it out across the {team} team.",
    "Too early to tell, we only started {n_weeks} weeks ago.",
    "Mostly used by our {team} team, they seem happy enough.",
    "No strong opinion, our {team} team uses it more than I do.",
    "It does what it says. We use it mostly for {job}.",
)
_GENERIC_TAILS = (
    "Would like a few more reports for the {team} team.",
    "A dark mode would be nice.",
    "The new look is fine.",
    "Keep it simple.",
    "Hope prices stay where they are.",
    "We'll see at renewal in {month}.",
    "Our {team} team has a few requests, we'll send them over.",
    "Ask me again in {n_months} months.",
    "Maybe more once {colleague_lower} has used it.",
)
_TICKET_GREETINGS = ("Hi,", "Hello,", "Hi team,", "Hi support,", "Good morning,", "")
_TICKET_SIGNOFFS = ("Thanks,", "Thank you,", "Best,", "Regards,", "Cheers,")
_HOWTO = (
    "add a new user to the {team} team",
    "change the owner of a project",
    "reset a user's password",
    "change our billing email",
    "set up a recurring report for {month}",
    "archive old projects",
    "change our account's time zone",
    "add a custom field to work orders",
    "move {n_users} users to another team",
    "restore something I deleted {when_past}",
)
_OBSERVATION_PREFIXES = (
    "Customer said",
    "Heard from their ops lead",
    "Observed on the call",
    "Their admin mentioned",
    "Watched it happen live",
    "Raised twice during the session",
    "Their {team} lead told us",
)

_SLOT = re.compile(r"\{(\w+)\}")
_PROPER_WORDS = frozenset(
    {"Okta", "Salesforce", "HubSpot", "Pipedrive", "Dynamics", "Azure", "Entra", "Google", "I"}
)


def pain_point_weight(key: str, *, on: dt.date, today: dt.date) -> float:
    """How loud a pain point is on a day, relative to the others (about 0.1 to 2.5).

    Each curve tells a story a PM would recognise: exports hurt until the fix shipped, SSO loops
    spiked after a release, mobile crashes and API limits are rising, onboarding got better."""
    months_ago = (today - on).days / 30.44
    shipped_months_ago = (today - export_fix_shipped_on(today)).days / 30.44
    if key == "slow_exports":
        before = 1.0 + 0.02 * (24 - months_ago)
        if months_ago >= shipped_months_ago:
            return before
        since_ship = shipped_months_ago - months_ago
        return 0.12 + (before - 0.12) * math.exp(-since_ship / 0.5)
    if key == "sso_login_loops":
        return 0.15 + 2.6 * math.exp(-(((months_ago - 9.5) / 1.2) ** 2))
    if key == "confusing_invoices":
        renewal_peak = {1: 0.8, 2: 0.5, 7: 0.4}.get(on.month, 0.0)
        return 0.45 + renewal_peak
    if key == "mobile_upload_crash":
        return 0.2 + 1.2 / (1 + math.exp((months_ago - 7) / 1.5))
    if key == "search_misses":
        return 0.7
    if key == "notification_spam":
        return 0.3 + 0.95 / (1 + math.exp(-(months_ago - 12) / 2))
    if key == "slow_dashboards":
        return 0.35 + 0.8 * max(0.0, 24 - months_ago) / 24
    if key == "coarse_permissions":
        return 0.4 + 0.5 * max(0.0, 24 - months_ago) / 24
    if key == "api_rate_limits":
        return 0.1 + 0.9 / (1 + math.exp((months_ago - 10) / 2))
    if key == "crm_sync_delays":
        return 0.3 + 1.1 * math.exp(-(((months_ago - 15) / 3.5) ** 2))
    if key == "onboarding_confusion":
        return 0.4 + 0.8 * max(0.0, min(24.0, months_ago)) / 24
    raise KeyError(key)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` earlier, clamped to the month's last day."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return dt.date(year, month_index + 1, min(day.day, last_day))


def export_fix_shipped_on(today: dt.date) -> dt.date:
    """When the backlog item that fixed slow exports shipped; the pain point fades after it."""
    return months_before(today, EXPORT_FIX_MONTHS_BEFORE_TODAY)


def comment_compose(
    rng: random.Random, *, tone: str, pain_point: str | None = None, mood: float = 0.0
) -> str:
    """One survey comment. `tone` is pain, mixed, praise or generic; `mood` below about -1 makes
    an unhappy customer threaten to leave now and then."""
    if tone == "pain":
        text = _pain_comment(rng, PAIN_POINTS_BY_KEY[pain_point], mood=mood)
    elif tone == "mixed":
        pain = PAIN_POINTS_BY_KEY[pain_point]
        praise = _fill(rng, rng.choice(_PRAISE_SHORT))
        complaint = _fill(rng, rng.choice(pain.core), pain)
        connector = rng.choice(_CONNECTORS)
        if connector.startswith(". "):
            text = f"{praise}{connector}{complaint}"
        else:
            text = f"{praise}{connector}{_lower_first(complaint)}"
        if rng.random() < 0.3:
            text += " " + _fill(rng, rng.choice(pain.asks), pain)
    elif tone == "praise":
        sentences = rng.sample(_PRAISE, k=rng.choice((1, 1, 1, 2, 2, 2, 2, 3, 3, 3)))
        if rng.random() < 0.2:
            sentences.insert(0, rng.choice(_OPENERS))
        if rng.random() < 0.4:
            sentences.append(rng.choice(_PRAISE_TAILS))
        text = " ".join(_fill(rng, s) for s in sentences)
    elif tone == "generic":
        text = _fill(rng, rng.choice(_GENERIC))
        if rng.random() < 0.7:
            text += " " + _fill(rng, rng.choice(_GENERIC_TAILS))
    else:
        raise ValueError(f"unknown tone {tone!r}")
    return _roughen(rng, text)


def ticket_compose(
    rng: random.Random, *, pain_point: str | None, requester: str, requester_email: str
) -> str:
    """A support ticket as one text: subject, blank line, body. Without a pain point it is a
    how-to question. Some bodies carry a phone number or an email, for the redaction to find."""
    first_name = requester.split()[0]
    if pain_point is None:
        howto = _fill(rng, rng.choice(_HOWTO))
        subject = f"How do I {howto}?"
        body = [f"Could you tell me how to {howto}?", "I couldn't find it in the help centre."]
        if rng.random() < 0.5:
            body.pop()
    else:
        pain = PAIN_POINTS_BY_KEY[pain_point]
        subject = _fill(rng, rng.choice(pain.subjects), pain)
        body = [_fill(rng, rng.choice(pain.core), pain)]
        for pool, chance in ((pain.details, 0.7), (_IMPACTS, 0.3), (pain.asks, 0.5)):
            if rng.random() < chance:
                body.append(_fill(rng, rng.choice(pool), pain))
    if rng.random() < 0.12:
        phone = f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        body.append(
            rng.choice(
                (
                    f"You can reach me on {phone}.",
                    f"Please reply to {requester_email}.",
                    f"Call me on {phone} if that's easier.",
                )
            )
        )
    greeting = rng.choice(_TICKET_GREETINGS)
    lines = [greeting, " ".join(body), f"{rng.choice(_TICKET_SIGNOFFS)}\n{first_name}"]
    return f"{subject}\n\n" + "\n\n".join(line for line in lines if line)


def observation_compose(rng: random.Random, *, pain_point: str) -> str:
    """What an engineer wrote down after seeing a customer struggle with a pain point."""
    pain = PAIN_POINTS_BY_KEY[pain_point]
    prefix = _fill(rng, rng.choice(_OBSERVATION_PREFIXES))
    text = f"{prefix}: {_lower_first(_fill(rng, rng.choice(pain.core), pain))}"
    if rng.random() < 0.5:
        text += " " + _fill(rng, rng.choice(pain.details), pain)
    return text


def _pain_comment(rng: random.Random, pain: PainPoint, *, mood: float) -> str:
    shape = rng.random()
    if shape < 0.05:
        return rng.choice(pain.tiny)
    core = _fill(rng, rng.choice(pain.core), pain)
    if rng.random() < 0.3:
        core = rng.choice(_SOFTENERS) + _lower_first(core)
    sentences = [core]
    if shape >= 0.3:
        sentences.append(rng.choice((*pain.details, *pain.asks, *_IMPACTS)))
    if rng.random() < (0.7 if shape < 0.3 else 0.2):
        sentences.append(rng.choice(_TAGS))
    if shape >= 0.7:
        if rng.random() < 0.5:
            sentences.insert(0, rng.choice(_OPENERS))
        else:
            sentences.append(rng.choice(pain.details))
        if rng.random() < 0.5:
            sentences.append(rng.choice((*pain.asks, *_IMPACTS)))
    if mood < -1.0 and rng.random() < min(0.6, -0.25 * mood):
        sentences.append(rng.choice(_THREATS))
    return " ".join(_fill(rng, s, pain) for s in dict.fromkeys(sentences))


def _fill(rng: random.Random, template: str, pain: PainPoint | None = None) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if pain is not None and name in pain.slots:
            return rng.choice(pain.slots[name])
        if name in _NUMBER_SLOTS:
            return str(rng.randint(*_NUMBER_SLOTS[name]))
        if name == "rows":
            thousands = rng.randint(5, 250)
            return rng.choice((f"{thousands * 1000:,}", f"{thousands}k"))
        if name == "colleague_lower":
            return _lower_first(rng.choice(_SHARED_SLOTS["colleague"]))
        if name == "feature_nice_cap":
            return _cap_first(rng.choice(_SHARED_SLOTS["feature_nice"]))
        return rng.choice(_SHARED_SLOTS[name])

    text = template
    for _ in range(3):  # slot values may hold slots themselves ("since the {month} release")
        if "{" not in text:
            break
        text = _SLOT.sub(value, text)
    return text


def _roughen(rng: random.Random, text: str) -> str:
    """Real comments are typed in a hurry: lowercase, a typo, no final full stop."""
    if rng.random() < 0.10:
        text = text.lower()
    if rng.random() < 0.08:
        text = _typo(rng, text)
    if rng.random() < 0.15 and text.endswith("."):
        text = text[:-1]
    return text


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    operation = rng.randrange(3)
    if operation == 0:
        word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    elif operation == 1:
        word = word[:j] + word[j + 1 :]
    else:
        word = word[:j] + word[j] + word[j:]
    words[i] = word
    return " ".join(words)


def _cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    first_word = text.split(" ", 1)[0].strip(".,:;!?'\"")
    if first_word in _PROPER_WORDS or not first_word[1:].islower():
        return text
    return text[:1].lower() + text[1:]
