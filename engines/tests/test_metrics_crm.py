"""CRM KPIs (seed 003) on small hand-computed cases."""

from datetime import date

import pytest

from engines.metrics import crm
from engines.metrics.frames import make_frame
from engines.metrics.registry import REGISTRY, VALUE_COLUMNS

AS_OF = date(2025, 2, 28)


def val(df, key, period, dimension="", dimension_value=""):
    """The single value of one row, or None when the row is absent."""
    rows = df[(df["key"] == key) & (df["period"] == date.fromisoformat(period))
              & (df["dimension"] == dimension) & (df["dimension_value"] == dimension_value)]
    assert len(rows) <= 1
    return None if rows.empty else rows["value"].iloc[0]


def test_new_and_repeat_customer_share():
    orders = make_frame("orders", [
        (1, 1, "2025-01-05", 10.0, "new", None),
        (2, 1, "2025-01-20", 10.0, "new", None),  # still one new customer in January
        (3, 2, "2025-01-25", 10.0, "new", None),
        (4, 2, "2025-02-01", 10.0, "refund", None),  # refunds make nobody a buyer
        (5, 1, "2025-02-03", 10.0, "renewal", None),
        (6, 3, "2025-02-10", 10.0, "new", None),
    ])
    out = crm.compute_crm(orders, as_of=AS_OF)
    assert val(out, "new_customer_share", "2025-01-01") == 1.0  # 1 and 2 both first-timers
    assert val(out, "repeat_customer_share", "2025-01-01") == 0.0
    assert val(out, "new_customer_share", "2025-02-01") == pytest.approx(0.5)  # 3 new, 1 repeat
    assert val(out, "repeat_customer_share", "2025-02-01") == pytest.approx(0.5)


@pytest.fixture
def feedback():
    return make_frame("lead_feedback", [
        (1, "seo", 3, "no_answer", "2025-01-02"),
        (1, "seo", 4, "accepted", "2025-01-05"),
        (2, "seo", 2, "rejected", "2025-01-06"),
        (3, "ads", 2, "rejected", "2025-01-03"),
        (3, "ads", 5, "converted", "2025-01-20"),  # the latest verdict counts
        (4, "ads", 0, "no_answer", "2025-01-08"),  # no verdict, no score
        (5, "seo", 4, "accepted", "2025-01-30"),
        (5, "seo", 1, "rejected", "2025-02-03"),  # 5's verdict is February's
        (6, "ads", 5, "accepted", "2025-03-03"),  # after as_of
    ])


def test_lead_acceptance_rate(feedback):
    out = crm.compute_crm(None, feedback, as_of=AS_OF)
    # January verdicts: 1 accepted, 2 rejected, 3 converted → 2 / 3
    assert val(out, "lead_acceptance_rate", "2025-01-01") == pytest.approx(2 / 3)
    assert val(out, "lead_acceptance_rate", "2025-01-01", "channel", "seo") == pytest.approx(0.5)
    assert val(out, "lead_acceptance_rate", "2025-01-01", "channel", "ads") == 1.0
    assert val(out, "lead_acceptance_rate", "2025-02-01") == 0.0  # 5 rejected
    assert val(out, "lead_acceptance_rate", "2025-03-01") is None


def test_lead_quality(feedback):
    out = crm.compute_crm(None, feedback, as_of=AS_OF)
    # January scores 3, 4, 2, 2, 5, 4 (the 0 is no score) → 20 / 6
    assert val(out, "lead_quality", "2025-01-01") == pytest.approx(20 / 6)
    assert val(out, "lead_quality", "2025-01-01", "channel", "seo") == pytest.approx(13 / 4)
    assert val(out, "lead_quality", "2025-01-01", "channel", "ads") == pytest.approx(3.5)
    assert val(out, "lead_quality", "2025-02-01") == 1.0


@pytest.fixture
def campaign_events():
    return make_frame("events", [
        (1, "email_sent", "email", "spring", "2025-01-01 08:00"),
        (1, "email_click", "email", "spring", "2025-01-03 08:00"),  # responded
        (1, "email_sent", "email", "spring", "2025-01-15 08:00"),  # second send: same recipient
        (2, "email_sent", "email", "spring", "2025-01-01 08:00"),
        (2, "email_click", "email", "spring", "2025-01-10 08:00"),  # 9 days: too late
        (3, "email_sent", "email", "spring", "2025-01-02 08:00"),
        (3, "email_open", "email", "spring", "2025-01-02 09:00"),  # opens are no response
        (4, "form_submit", "email", "spring", "2025-01-05 08:00"),  # never sent: no recipient
        (5, "form_submit", "email", "spring", "2025-01-01 08:00"),  # before the send
        (5, "email_sent", "email", "spring", "2025-01-02 09:00"),
        (5, "email_click", "email", "fall", "2025-01-03 08:00"),  # another campaign
        (5, "email_sent", "email", "fall", "2025-02-01 08:00"),
        (5, "sms_reply", "sms", "fall", "2025-02-04 08:00"),  # responded to fall
        (6, "email_sent", "email", "fall", "2025-02-25 08:00"),
        (7, "email_sent", "email", "", "2025-02-25 08:00"),  # no campaign: ignored
    ])


def test_campaign_response_rate(campaign_events):
    out = crm.compute_crm(None, None, campaign_events, as_of=AS_OF)
    # spring (first sends in Jan): recipients 1, 2, 3, 5; responders 1 → 1/4
    assert val(out, "campaign_recipients", "2025-01-01", "campaign", "spring") == 4
    assert val(out, "campaign_response_rate", "2025-01-01", "campaign", "spring") == 0.25
    # fall (Feb): recipients 5, 6; responder 5 → 1/2
    assert val(out, "campaign_response_rate", "2025-02-01", "campaign", "fall") == 0.5
    assert val(out, "campaign_recipients", "2025-02-01") == 2
    assert val(out, "campaign_response_rate", "2025-01-01") == 0.25


def test_response_window_is_a_setting(campaign_events):
    out = crm.compute_crm(None, None, campaign_events, as_of=AS_OF, response_window_days=10)
    # contact 2's click after 9 days now counts → 2/4
    assert val(out, "campaign_response_rate", "2025-01-01", "campaign", "spring") == 0.5


def test_empty_and_unique(feedback, campaign_events):
    out = crm.compute_crm(None, feedback, campaign_events, as_of=AS_OF)
    assert not out.duplicated(["key", "grain", "period", "dimension", "dimension_value"]).any()
    empty = crm.compute_crm(make_frame("orders", []), make_frame("lead_feedback", []),
                            make_frame("events", []), as_of=AS_OF)
    assert empty.empty and list(empty.columns) == VALUE_COLUMNS
    assert crm.compute_crm(None, as_of=AS_OF, grain="day").empty


def test_keys_are_registered():
    for key in ("new_customer_share", "repeat_customer_share", "lead_acceptance_rate",
                "lead_quality", "campaign_recipients", "campaign_response_rate"):
        assert REGISTRY[key].family == "crm"
