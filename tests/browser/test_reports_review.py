"""The weekly review on a projector and the monthly report, in a real browser, in English and
Arabic: no scrolling at 1280×720 and 1920×1080, type measured with getComputedStyle (≥ 28 px
body, ≥ 64 px headline numbers at 1920×1080), keyboard navigation (arrows mirrored in Arabic,
PageDown/PageUp for a clicker, Esc back), a decision recorded from the screen; the report
page's autosave, and its PDF looked at as PNG pages. Screenshots land in var/screens/."""

from __future__ import annotations

import subprocess

import pytest
from django.utils import timezone

from engines.models import KPI, GrowthEngine
from experiments.models import Experiment
from reports import services
from reports.models import ReportDecision, ReportEdit
from reports.selectors import last_closed_month
from reports.tests.data import month_of_numbers, weeks_of_numbers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meeting(workspace, owner, owner_actor):
    """Two engines with KPIs, weekly trends, experiments in every state, open decisions and a
    drafted report for the last closed month."""
    ws = workspace
    month = last_closed_month()
    month_of_numbers(ws, month)
    weeks_of_numbers(ws, timezone.localdate())
    leads = KPI.objects.get(workspace=ws, metric_key="leads")
    nsm = KPI.objects.get(workspace=ws, is_north_star=True)
    self_serve = GrowthEngine.objects.create(workspace=ws, name="Self-serve signups",
                                             owner=owner, main_kpi=leads,
                                             weekly_commitment="+2 % signup conversion")
    GrowthEngine.objects.create(workspace=ws, name="Partner referrals", owner=owner,
                                main_kpi=nsm)
    now = timezone.now()
    for i, (title, status) in enumerate([
            ("Shorter signup form with social login for new visitors", "running"),
            ("Pricing page FAQ answering the top five objections", "running"),
            ("Annual plan nudge in the trial's last three days", "planned"),
            ("Referral credit for both sides", "backlog")]):
        Experiment.objects.create(workspace=ws, key=f"x{i}", title=title, engine=self_serve,
                                  status=status, impact=8 - i, confidence=7, ease=6,
                                  started_at=now if status == "running" else None)
    for subject, kind in [("Pause LinkedIn ads until CAC is under 200", "stop"),
                          ("Weekly webinar for trial users", "start"),
                          ("SEO comparison pages", "continue")]:
        services.decision_create(actor=owner_actor, kind=kind, subject=subject, owner=owner,
                                 engine=self_serve if kind != "continue" else None,
                                 due_date=timezone.localdate())
    report = services.report_draft(workspace=ws, month=month, actor=owner_actor)
    return {"ws": ws, "report": report, "engine": self_serve}


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollHeight <= window.innerHeight && "
                         "document.documentElement.scrollWidth <= window.innerWidth")


def _px(page, selector) -> float:
    return page.evaluate(f"parseFloat(getComputedStyle(document.querySelector({selector!r}))"
                         f".fontSize)")


def _visible_screen(page) -> str:
    return page.evaluate("[...document.querySelectorAll('[data-screen]')]"
                         ".find(s => !s.hidden).id")


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_review_fits_the_projector(new_page, login, live_server, owner, meeting, screens_dir,
                                   lang, size):
    w, h = size
    page = new_page(w, h, locale=lang)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{meeting['ws'].slug}/review/")
    assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
    assert page.locator(".sidenav").count() == 0  # no app chrome
    screens = page.evaluate("[...document.querySelectorAll('[data-screen]')].map(s => s.id)")
    assert len(screens) == 4  # two engines, the North Star, decisions
    for theme in ("light", "dark"):
        if theme == "dark":
            page.click("[data-theme-toggle]")
        for i, sid in enumerate(screens):
            page.evaluate(f"location.hash = '#{sid}'")
            page.reload()
            assert _visible_screen(page) == sid
            assert _fits(page), f"{sid} scrolls at {w}×{h} ({lang}, {theme})"
            if w == 1920:
                assert _px(page, "body") >= 28
                if page.locator(f"#{sid} .rv-big").count():
                    assert _px(page, f"#{sid} .rv-big") >= 64
                if page.locator(f"#{sid} .rv-list li").count():
                    assert page.evaluate(
                        f"parseFloat(getComputedStyle(document.querySelector("
                        f"'#{sid} .rv-list li')).fontSize)") >= 28
            if theme == "light" or i == 0:
                page.screenshot(path=str(screens_dir / f"review-{lang}-{w}-{theme}-{i + 1}.png"))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_review_keyboard(new_page, login, live_server, owner, meeting, lang):
    page = new_page(1280, 720, locale=lang)
    login(page, owner)
    home = f"{live_server.url}/w/{meeting['ws'].slug}/"
    page.goto(home + "review/")
    first = _visible_screen(page)
    forward, back = ("ArrowLeft", "ArrowRight") if lang == "ar" else ("ArrowRight", "ArrowLeft")
    page.keyboard.press(forward)
    assert page.locator("[data-pos]").inner_text() == "2"
    page.keyboard.press(back)
    assert _visible_screen(page) == first
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    assert page.locator("[data-pos]").inner_text() == "3"
    page.keyboard.press("PageUp")
    assert page.locator("[data-pos]").inner_text() == "2"
    page.keyboard.press("End")
    assert _visible_screen(page) == "decisions"
    page.keyboard.press(forward)  # stays on the last screen
    assert _visible_screen(page) == "decisions"
    with page.expect_navigation():
        page.keyboard.press("Escape")
    assert page.url == home


def test_review_records_a_decision_and_moves_an_experiment(new_page, login, live_server,
                                                          owner, meeting, screens_dir):
    page = new_page(1920, 1080)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{meeting['ws'].slug}/review/")
    engine = meeting["engine"]
    page.goto(f"{live_server.url}/w/{meeting['ws'].slug}/review/#engine-{engine.code}")
    page.reload()
    screen = page.locator(f"#engine-{engine.code}")
    screen.locator("[data-open-decision]").click()
    page.fill("#decision-dialog input[name=subject]", "Stop the Friday newsletter")
    page.select_option("#decision-dialog select[name=kind]", "stop")
    page.keyboard.press("ArrowRight")  # typing in the dialog does not change the screen
    with page.expect_response(lambda r: "/review/decisions/" in r.url):
        page.click("#decision-dialog button[type=submit]")
    screen.locator("text=Stop the Friday newsletter").wait_for()
    d = ReportDecision.objects.get(subject="Stop the Friday newsletter")
    assert d.engine == engine and d.kind == "stop" and d.report is None
    # a planned experiment is launched from the screen when its template allows; the guard
    # answers in place when it does not (no primary metric here)
    button = screen.locator("button", has_text="Running").first
    with page.expect_response(lambda r: "/status/" in r.url):
        button.click()
    screen.locator(".rv-error").wait_for()
    assert _fits(page)
    page.screenshot(path=str(screens_dir / "review-en-1920-decision.png"))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_report_page_autosaves_and_its_pdf_is_one_page(new_page, login, live_server, owner,
                                                       meeting, screens_dir, lang):
    report = meeting["report"]
    page = new_page(1366, 900, locale=lang)
    login(page, owner)
    url = f"{live_server.url}/w/{meeting['ws'].slug}/reports/{report.slug}/"
    page.goto(url)
    text = "شهر جيد بفضل البحث" if lang == "ar" else "A good month thanks to SEO."
    with page.expect_response(lambda r: "/edit/" in r.url):
        page.fill("textarea.summary-edit", text)
    page.locator("#saved-summary .ok").wait_for()
    assert ReportEdit.objects.filter(report=report, field="summary", after=text).exists()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screens_dir / f"report-page-{lang}.png"), full_page=True)
    # the PDF through the same session, looked at as an image
    resp = page.request.get(url + "pdf/", headers={"Accept-Language": lang})
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    pdf = screens_dir / f"report-browser-{lang}.pdf"
    pdf.write_bytes(resp.body())
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 1
    assert text.split()[0] in reader.pages[0].extract_text()
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf),
                    str(screens_dir / f"report-browser-{lang}")], check=True)
    # publish: the page is frozen (no inline editors), the list says so
    page.click("text=" + ("انشر وأبلغ الفريق" if lang == "ar" and page.locator(
        "text=انشر وأبلغ الفريق").count() else "Publish and notify the team"))
    page.wait_for_load_state()
    assert page.locator("textarea.summary-edit").count() == 0
    assert page.locator(".sheet[data-status=published]").count() == 1
    page.goto(f"{live_server.url}/w/{meeting['ws'].slug}/reports/")
    page.screenshot(path=str(screens_dir / f"reports-list-{lang}.png"), full_page=True)
