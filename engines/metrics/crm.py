"""CRM KPIs from seed 003: share of new and repeat customers, lead quality per channel (sales
acceptance rate and mean feedback score), and campaign response rate.
"""

from __future__ import annotations

import pandas as pd

from .acquisition import check_grain, combine, cutoff, frame_or_empty, period_start, to_values
from .retention import purchases

ACCEPTED_OUTCOMES = ("accepted", "converted")
DECIDED_OUTCOMES = ("accepted", "rejected", "converted")  # "no_answer" is not a verdict
SEND_EVENTS = ("campaign_sent", "email_sent", "sms_sent", "push_sent")
# opens are left out on purpose: mail privacy proxies "open" every message automatically
RESPONSE_EVENTS = ("email_click", "link_click", "email_reply", "sms_reply", "reply",
                   "form_submit", "signup", "purchase")
RESPONSE_WINDOW_DAYS = 7

# a mean 1–5 score; the registry has no "score" unit yet, so it is shown as a plain number


def customer_shares(orders: pd.DataFrame, *, grain: str, as_of) -> pd.DataFrame:
    """Per period, of the contacts who bought: share buying for the first time, and the rest."""
    p = purchases(orders, as_of=as_of)
    period = period_start(p["occurred_at"], grain)
    # a contact is "new" in the period holding its first purchase, even if it bought twice then
    first = p["is_first"].groupby([period, p["contact_id"]]).any()
    new = first.astype("float64").groupby(level=0).mean()
    return pd.DataFrame({"new": new, "repeat": 1.0 - new})


def lead_acceptance(lead_feedback: pd.DataFrame, *, grain: str, as_of,
                    by_channel: bool = False) -> pd.Series:
    """Share of leads sales accepted (or converted) among leads with a verdict.

    Each lead counts once, with its latest verdict (accepted / rejected / converted; "no answer"
    is not a verdict), in the period of that verdict.
    """
    f = lead_feedback[(lead_feedback["at"] < cutoff(as_of))
                      & lead_feedback["outcome"].isin(DECIDED_OUTCOMES)]
    f = f.sort_values("at").drop_duplicates("contact_id", keep="last")
    accepted = f["outcome"].isin(ACCEPTED_OUTCOMES).astype("float64")
    keys = [period_start(f["at"], grain)] + ([f["channel"]] if by_channel else [])
    return accepted.groupby(keys).mean()


def lead_quality(lead_feedback: pd.DataFrame, *, grain: str, as_of,
                 by_channel: bool = False) -> pd.Series:
    """Mean quality score (1–5) of the feedback logged in the period; other scores are ignored."""
    f = lead_feedback[(lead_feedback["at"] < cutoff(as_of))
                      & lead_feedback["quality"].between(1, 5)]
    keys = [period_start(f["at"], grain)] + ([f["channel"]] if by_channel else [])
    return f["quality"].astype("float64").groupby(keys).mean()


def campaign_responses(events: pd.DataFrame, *, as_of, send_events=SEND_EVENTS,
                       response_events=RESPONSE_EVENTS,
                       window_days: int = RESPONSE_WINDOW_DAYS) -> pd.DataFrame:
    """One row per (contact, campaign) sent: first send time and whether the contact responded.

    A response is a response event for the same campaign at or after the first send and within
    `window_days` of it. Sends in the last `window_days` count with the responses so far.
    """
    ev = events[(events["occurred_at"] < cutoff(as_of)) & (events["campaign"].fillna("") != "")]
    sends = ev[ev["name"].isin(send_events)]
    sent = sends.groupby(["contact_id", "campaign"])["occurred_at"].min().rename("sent_at")
    resp = ev[ev["name"].isin(response_events)][["contact_id", "campaign", "occurred_at"]]
    resp = resp.merge(sent.reset_index(), on=["contact_id", "campaign"], how="inner")
    lag = resp["occurred_at"] - resp["sent_at"]
    resp = resp[(lag >= pd.Timedelta(0)) & (lag <= pd.Timedelta(days=window_days))]
    responded = resp.groupby(["contact_id", "campaign"]).size() > 0
    out = sent.reset_index()
    out["responded"] = responded.reindex(pd.MultiIndex.from_frame(out[["contact_id", "campaign"]]),
                                         fill_value=False).to_numpy()
    return out


def response_rates(responses: pd.DataFrame, *, grain: str, by_campaign: bool) -> pd.DataFrame:
    """Recipients and response rate per period of first send (and per campaign)."""
    keys = [period_start(responses["sent_at"], grain)]
    if by_campaign:
        keys.append(responses["campaign"])
    g = responses["responded"].astype("float64").groupby(keys)
    return pd.DataFrame({"recipients": g.size().astype("float64"), "rate": g.mean()})


def call_handling(calls: pd.DataFrame, *, grain: str, as_of) -> pd.DataFrame:
    """Seed 003's average call handling time: per period, the calls logged with a duration
    and their mean duration in minutes."""
    c = calls[calls["at"] < cutoff(as_of)]
    g = (c["duration_seconds"] / 60.0).groupby(period_start(c["at"], grain))
    return pd.DataFrame({"calls": g.size().astype("float64"), "minutes": g.mean()})


def compute_crm(orders: pd.DataFrame | None, lead_feedback: pd.DataFrame | None = None,
                events: pd.DataFrame | None = None, *, grain: str = "month", as_of,
                send_events=SEND_EVENTS, response_events=RESPONSE_EVENTS,
                response_window_days: int = RESPONSE_WINDOW_DAYS,
                calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every CRM KPI: new/repeat customer share, lead quality per channel, campaign responses,
    call handling time."""
    check_grain(grain)
    orders = frame_or_empty(orders, "orders")
    lead_feedback = frame_or_empty(lead_feedback, "lead_feedback")
    events = frame_or_empty(events, "events")
    shares = customer_shares(orders, grain=grain, as_of=as_of)
    parts = [to_values(shares["new"], "new_customer_share", grain),
             to_values(shares["repeat"], "repeat_customer_share", grain)]
    for by_channel, dimension in ((False, ""), (True, "channel")):
        parts += [to_values(lead_acceptance(lead_feedback, grain=grain, as_of=as_of,
                                            by_channel=by_channel),
                            "lead_acceptance_rate", grain, dimension),
                  to_values(lead_quality(lead_feedback, grain=grain, as_of=as_of,
                                         by_channel=by_channel),
                            "lead_quality", grain, dimension)]
    responses = campaign_responses(events, as_of=as_of, send_events=send_events,
                                   response_events=response_events,
                                   window_days=response_window_days)
    for by_campaign, dimension in ((False, ""), (True, "campaign")):
        rates = response_rates(responses, grain=grain, by_campaign=by_campaign)
        parts += [to_values(rates["recipients"], "campaign_recipients", grain, dimension),
                  to_values(rates["rate"], "campaign_response_rate", grain, dimension)]
    handling = call_handling(frame_or_empty(calls, "calls"), grain=grain, as_of=as_of)
    parts += [to_values(handling["calls"], "calls_logged", grain),
              to_values(handling["minutes"], "call_handling_time", grain)]
    return combine(parts)
