"""Helpers for the bulk ingest tests."""

from __future__ import annotations

from crm.models import Campaign, Channel


def post_rows(client, thing: str, rows, **headers):
    return client.post(f"/api/v1/{thing}/bulk", {"rows": rows}, format="json", **headers)


def make_channel(ws, key="google_ads", utm_sources=("google",)):
    return Channel.objects.create(workspace=ws, key=key, name=key.title(),
                                  utm_sources=list(utm_sources))


def make_campaign(ws, channel, utm="spring_sale", external_id="", name="Spring sale"):
    return Campaign.objects.create(workspace=ws, channel=channel, name=name, utm_campaign=utm,
                                   external_id=external_id)


def statuses(response):
    return [r["status"] for r in response.json()["results"]]
