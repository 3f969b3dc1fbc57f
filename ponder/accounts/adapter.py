"""Ponder's ways with allauth: its mails go through the task queue (ponder.mail)."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest

from ponder import mail
from ponder.proxies import client_address


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Rendered here, in the request's language; sent by the worker, outside the request.
        ctx = {"request": self.request, "email": email}
        ctx["current_site"] = get_current_site(self.request)
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        html = None
        if isinstance(message, EmailMultiAlternatives):
            html = next((c for c, kind in message.alternatives if kind == "text/html"), None)
        mail.send(
            to=message.to,
            subject=str(message.subject),
            body=message.body,
            html=html,
            from_email=message.from_email,
            headers=dict(message.extra_headers),
        )

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits per address count the client Ponder believes (PONDER_TRUSTED_
        # PROXIES), not the proxy in front, which would put everyone behind it in one bucket.
        address = client_address(request.META)
        return str(address) if address is not None else super().get_client_ip(request)
