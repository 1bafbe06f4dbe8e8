"""Sending reports by e-mail: the PDF attached, the plain-language summary in the body.

A scheduled definition is due once its last whole period (the client's calendar) has no delivery row;
the row is written before sending (unique per definition and period), so two workers never send the
same period twice, and a failed sending is kept with its reason rather than retried forever.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialdesk.analytics.service import client_today
from socialdesk.clients.models import Client
from socialdesk.config import Settings
from socialdesk.db import utcnow
from socialdesk.kit import mail
from socialdesk.kit.errors import InvalidInput
from socialdesk.reports import periods, render, service
from socialdesk.reports.models import ReportDefinition, ReportDelivery
from socialdesk.reports.periods import Period

log = logging.getLogger("socialdesk.reports.delivery")
KIND_OF_SCHEDULE = {"weekly": "week", "monthly": "month"}


def due(*, session: Session, now: datetime | None = None) -> list[tuple[int, str]]:
    """(definition id, period key) for each scheduled definition whose last whole period was not sent."""
    rows = session.execute(select(ReportDefinition, Client).join(Client, Client.id == ReportDefinition.client_id)
                           .where(ReportDefinition.schedule != "off", Client.archived.is_(False))
                           .order_by(ReportDefinition.id)).all()
    if not rows:
        return []
    sent = set(session.execute(select(ReportDelivery.definition_id, ReportDelivery.period).where(
        ReportDelivery.definition_id.in_([d.id for d, _ in rows]))).all())
    out = []
    for definition, client in rows:
        kind = KIND_OF_SCHEDULE.get(definition.schedule)
        if kind is None or not definition.recipients:
            continue
        period = periods.last_complete(kind, client_today(client, now))
        if (definition.id, period.key) not in sent:
            out.append((definition.id, period.key))
    return out


def claim(*, session: Session, definition: ReportDefinition, period: Period) -> ReportDelivery | None:
    """Write the period's delivery row, or None when this period was already sent (or is being sent)."""
    row = ReportDelivery(definition_id=definition.id, client_id=definition.client_id, period=period.key,
                         status="pending", recipients=list(definition.recipients or []), error="")
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def message(*, settings: Settings, report: service.Report, recipients: list[str], attachment: bytes) -> EmailMessage:
    """The e-mail: the summary as text and HTML (escaped), the PDF attached."""
    summary = report.summary
    parts = [("What happened", summary.happened), ("Why it matters", summary.matters), ("What we do next", summary.next)]
    lines = [report.title, ""]
    for title, items in parts:
        if items:
            lines += [title, *(f"- {item}" for item in items), ""]
    lines.append("The full report is attached as a PDF.")
    e = html.escape
    body = [f"<h1>{e(report.title)}</h1>"]
    for title, items in parts:
        if items:
            body.append(f"<h2>{e(title)}</h2><ul>" + "".join(f"<li>{e(item)}</li>" for item in items) + "</ul>")
    body.append("<p>The full report is attached as a PDF.</p>")
    out = EmailMessage()
    out["Subject"] = " ".join(report.title.split())[:250]
    out["From"] = settings.smtp_from
    out["To"] = ", ".join(recipients)
    out["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "socialdesk")
    out.set_content("\n".join(lines))
    out.add_alternative("<!doctype html><html><body>" + "".join(body) + "</body></html>", subtype="html")
    out.add_attachment(attachment, maintype="application", subtype="pdf", filename=filename(report))
    return out


def filename(report: service.Report) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in report.client_name.lower()).strip("-")
    return f"{'-'.join(filter(None, safe.split('-'))) or 'report'}-{report.period.key.replace('..', '_')}.pdf"


def send(*, session: Session, settings: Settings, definition: ReportDefinition, period: Period,
         force: bool = False) -> ReportDelivery | None:
    """Send the definition's report for ``period`` once; with ``force`` (send now) a sent period goes again.
    Returns the delivery row (its status and error say how it went), or None when already sent."""
    if not definition.recipients:
        raise InvalidInput.on("recipients", "add at least one recipient e-mail address to send the report")
    row = claim(session=session, definition=definition, period=period)
    if row is None:
        if not force:
            return None
        row = session.scalar(select(ReportDelivery).where(ReportDelivery.definition_id == definition.id,
                                                          ReportDelivery.period == period.key))
        row.status, row.error, row.recipients = "pending", "", list(definition.recipients)
    report = service.build_for(session=session, definition=definition, period=period, settings=settings)
    try:
        mail.send(settings, message(settings=settings, report=report, recipients=list(definition.recipients),
                                    attachment=render.pdf(report)), timeout=settings.handoff_timeout_seconds)
    except mail.MailError as exc:
        row.status, row.error = "failed", exc.reason[:2000]
        log.warning("report %s for %s not sent: %s", definition.id, period.key, exc.reason)
    else:
        row.status, row.sent_at = "sent", utcnow()
        definition.last_sent_at = row.sent_at
    session.flush()
    return row


def deliveries(*, session: Session, definition: ReportDefinition) -> list[ReportDelivery]:
    return list(session.scalars(select(ReportDelivery).where(ReportDelivery.definition_id == definition.id)
                                .order_by(ReportDelivery.created_at.desc(), ReportDelivery.id.desc())))
