"""Kiosk screen (rotating QR code) and the visitor's pages: check-in, ticket, survey.

The path: the enrolled kiosk shows a QR code carrying a short-lived signed code
(accueil.presence); the phone opens it, which opens a presence window for the site in
the Flask session and redirects to the token-free check-in page; the check-in creates
(or gives back) the ticket and redirects to its page, whose link is the ticket's secret.

The NIR is never put in a URL, a page or a log line: it travels in the check-in POST, and
is echoed back only in that POST's response when it has an error. One exception, for a
visitor whose only appointment is a phone call-back: while they decide whether they still
want a ticket, their answers wait in the session sealed with the data key (AES-GCM, so
neither readable nor alterable on the phone), for a few minutes and for one site.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale, gettext
from sqlmodel import Session, select

from accueil import identity, presence, push_subscriptions, tickets, waiting
from accueil import needs as need_rules
from accueil.agents import site_by_slug
from accueil.audiences import phone_snapshot
from accueil.checkin import (
    NIR_MAX,
    PHONE_MAX,
    AlreadyCheckedIn,
    CallbackOnly,
    InvalidAnswers,
    check_in,
    record_attempt,
)
from accueil.clock import end_of_service_day, service_day, utcnow
from accueil.configuration import closed_now
from accueil.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from accueil.i18n import N_
from accueil.lifecycle import ACTIVE, ROUND
from accueil.models import Site, Ticket
from accueil.survey import AlreadyAnswered
from accueil.survey import answer as answer_survey
from web.context import database, vault
from web.devices import beat, current_device
from web.i18n import LANGUAGES, error_text
from web.proxy import public_url
from web.security import error_page, limiter

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/kiosk")

TICKET_COOKIE = "accueil_ticket_{site}"
PRESENCE_KEY = "presence"
CALLBACK_KEY = "callback"
CALLBACK_SECONDS = 15 * 60  # as long as the presence window: the visitor decides on the spot
OTHER_LANGUAGE = "autre"    # an interpreter in a language not on the list

# Rate limits (Flask-Limiter, per app storage: memory, or Redis with REDIS_URL).
# Per address: generous, because a whole waiting room shares the office Wi-Fi's address.
ADDRESS_LIMIT = "30/minute;300/hour"
# Per NIR: the same number tried again and again is either a struggling visitor (the
# page tells them what is wrong) or someone probing whether a number has an
# appointment today. The key is the NIR's keyed hash, never the number itself.
NIR_LIMIT = "6/minute;20/hour"
SCAN_LIMIT = "60/minute"
# The typed code (/c): four digits can be guessed, so fewer tries; a waiting room on one Wi-Fi still passes.
SHORT_CODE_LIMIT = "10/minute;60/hour"


# --- helpers ---------------------------------------------------------------------------

def _codes() -> presence.PresenceCodes:
    codes = current_app.extensions.get("kiosk.presence")
    if codes is None:
        codes = current_app.extensions["kiosk.presence"] = presence.PresenceCodes(current_app.config["SECRET_KEY"])
    return codes


def _site(slug: str, s: Session | None = None) -> Site:
    """Return the site named *slug* as it is now (one indexed read: a renamed site shows at once), or 404.

    Read in the session *s* when given (a write transaction reads it there), else in a read session of its own.
    """
    try:
        if s is not None:
            return site_by_slug(s, slug)
        with database().session() as read:
            return site_by_slug(read, slug)
    except NotFound:
        abort(404)


def _remembered_ticket(site: Site, s: Session | None = None) -> Ticket | None:
    """Return the still active ticket this phone took at *site* today, if any (read in *s* when given)."""
    public_id = request.cookies.get(TICKET_COOKIE.format(site=site.slug))
    if not public_id:
        return None
    if s is not None:
        ticket = waiting.ticket_by_public_id(s, public_id)
    else:
        with database().session() as read:
            ticket = waiting.ticket_by_public_id(read, public_id)
    if ticket is None or ticket.site_id != site.id or ticket.status not in ACTIVE:
        return None
    return ticket


def _present(site: Site) -> bool:
    try:
        presence.check_presence(session.get(PRESENCE_KEY, {}).get(str(site.id)), now=utcnow())
    except presence.NotPresent:
        return False
    return True


def _nir_key() -> str:
    """Rate-limit key of the NIR being submitted: its keyed hash (the number is never stored)."""
    raw = request.form.get("nir", "")[:NIR_MAX]
    return "nir:" + vault().hash_nir(identity.normalize_nir(raw))[:32]


def _without_nir() -> bool:
    return "sans_numero" in request.form or not identity.normalize_nir(request.form.get("nir", "")[:NIR_MAX])




# --- the kiosk screen ------------------------------------------------------------------

KIOSK_LANGUAGES = ("fr", "en", "ar")
"""The wall screen speaks to everyone at once: its words in these three, none to switch (a public screen)."""


def _kiosk_words() -> dict:
    """The wall screen's words in the current language: its title, its three steps, the help."""
    return {"title": gettext("Prenez votre ticket avec votre téléphone"),
            "steps": [gettext("Scannez ce code"), gettext("Dites si vous avez un rendez-vous"),
                      gettext("Recevez votre numéro")],
            "help": gettext("Pas de smartphone ? Adressez-vous à l'accueil.")}


@bp.get("/kiosk/<site>")
def screen(site: str):
    """The entrance screen: the QR code if this browser is the site's enrolled kiosk."""
    place = _site(site)
    device = current_device("kiosk", place.id)
    short = _codes().issue_short(place.id, now=utcnow()) if device is not None else None
    address = public_url(url_for("kiosk.code_form")).split("://", 1)[-1]  # typed by hand: no « https:// »
    also = []
    for code in KIOSK_LANGUAGES:
        if code != str(get_locale()):
            with force_locale(code):
                also.append({"lang": code, "dir": LANGUAGES[code][1], **_kiosk_words()})
    return render_template("kiosk/screen.html", site=place, enrolled=device is not None, words=_kiosk_words(),
                           also=also, rotation=int(presence.ROTATION.total_seconds()), short_code=short,
                           short_address=address)


@bp.get("/kiosk/<site>/qr.svg")
@limiter.exempt
def qr(site: str):
    """The current QR code, for the enrolled kiosk only (its page reloads it every rotation)."""
    place = _site(site)
    device = current_device("kiosk", place.id)
    if device is None:
        abort(403)
    beat(device)  # the kiosk's heartbeat: it reloads its QR every 30 s
    code = _codes().issue(place.id, now=utcnow())
    link = public_url(url_for("kiosk.scan", site=place.slug, code=code))
    image = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    response = Response(image.to_string(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/kiosk/<site>/code")
@limiter.exempt
def short_code(site: str):
    """The four digits shown under the QR code, for the enrolled kiosk only (they rotate with it)."""
    place = _site(site)
    if current_device("kiosk", place.id) is None:
        abort(403)
    response = jsonify(code=_codes().issue_short(place.id, now=utcnow()))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- check-in ----------------------------------------------------------------------------

def _open_presence(place: Site, now: datetime):
    """Remember on this phone that it is at *place* (presence window), and go to the check-in form."""
    windows = dict(session.get(PRESENCE_KEY, {}))
    windows[str(place.id)] = presence.presence_until(now).timestamp()
    session[PRESENCE_KEY] = windows
    return redirect(url_for("kiosk.checkin", site=place.slug), code=303)


@bp.get("/c")
def code_form():
    """The short address for phones that cannot scan: type the four digits shown under the QR code."""
    return render_template("kiosk/code.html", error=None)


@bp.post("/c")
@limiter.limit(SHORT_CODE_LIMIT)
def code_post():
    """Check the typed code against every site's kiosk; open the presence window of the one that showed it."""
    now = utcnow()
    typed = presence.read_short_code(request.form.get("code"))
    with database().session() as s:
        sites = {site.id: site for site in s.exec(select(Site)).all()}
    try:
        site_id = _codes().verify_short(typed, list(sites), now=now)
    except presence.ExpiredCode:
        message = gettext("Ce code ne marche pas. Tapez les 4 chiffres affichés maintenant sous le code QR.") \
            if typed else gettext("Tapez les 4 chiffres affichés sous le code QR.")
        return render_template("kiosk/code.html", error=message), 422
    return _open_presence(sites[site_id], now)


@bp.get("/k/<site>/<path:code>")
@limiter.limit(SCAN_LIMIT)
def scan(site: str, code: str):
    """A phone opened the kiosk's link: check the code, remember presence, drop the code from the URL."""
    place = _site(site)
    now = utcnow()
    try:
        _codes().verify(code, place.id, now=now)
    except presence.ExpiredCode as err:
        return render_template("kiosk/expired.html", message=error_text(err)), 410
    return _open_presence(place, now)


def _not_present():
    return render_template("kiosk/expired.html", message=error_text(presence.NotPresent())), 403


def _closed_notice(place: Site) -> str | None:
    """The sentence telling the visitor the office is closed now (a ticket is still given: first come)."""
    with database().session() as s:
        closed = closed_now(s, place, utcnow())
    if closed is None:
        return None
    if closed.opens_at is None:
        return gettext("L'accueil est fermé pour aujourd'hui. Vous pouvez quand même prendre un ticket.")
    opens = closed.opens_at.astimezone(ZoneInfo(place.timezone)).strftime("%H:%M")  # the site's clock
    return gettext("L'accueil est fermé pour le moment. Il ouvre à %(time)s. Vous pouvez déjà prendre un ticket.",
                   time=opens)


def _form(place: Site, rdv: str | None, *, values=None, errors=None, status=200, nonce=None):
    return render_template("kiosk/checkin.html", site=place, rdv=rdv, values=values or {}, errors=errors or {},
                           closed=_closed_notice(place),
                           nonce=nonce or secrets.token_urlsafe(16), nir_max=NIR_MAX, phone_max=PHONE_MAX,
                           interpreter_languages=need_rules.INTERPRETER_LANGUAGES, other_language=OTHER_LANGUAGE), status


# Form fields the domain may name in an InvalidInput (anything else is shown beside the NIR).
FIELDS = ("nir", "phone", "needs", "interpreter_language", "priority")


def _read_needs(form) -> tuple[dict, dict]:
    """Read the « J'ai besoin d'aide » group: what to pass to check_in (which checks it), and errors of
    the form's own shape.

    An interpreter is asked for by choosing a language (or « une autre langue »): one
    choice on a small screen, and no interpreter without a language by mistake.
    """
    chosen = [c[:20] for c in form.getlist("needs")[:5]]
    language = (form.get("interpreter_language") or "")[:20]
    priority = form.get("priority")
    shown = {"needs": chosen, "interpreter_language": language, "priority": priority == "1"}
    errors: dict[str, str] = {}
    if priority not in (None, "1"):
        errors["priority"] = error_text(InvalidInput(N_("Besoin inconnu."), field="priority"))
    wanted = chosen + ([need_rules.INTERPRETER] if language and need_rules.INTERPRETER not in chosen else [])
    answers = {"needs": wanted, "interpreter_language": None if language in ("", OTHER_LANGUAGE) else language,
               "priority": 1 if priority == "1" else 0}
    return {"answers": answers, "shown": shown}, errors


def _step(site: str) -> tuple[Site, Response | None]:
    """The site of a visitor's page, and the answer that replaces the page, if any: no scan yet, or a
    ticket already held (its page)."""
    place = _site(site)
    if not _present(place):
        return place, _not_present()
    remembered = _remembered_ticket(place)
    if remembered is not None:
        return place, redirect(url_for("kiosk.ticket", public_id=remembered.public_id), code=303)
    return place, None


@bp.get("/k/<site>")
def checkin(site: str):
    """Step 1 (appointment or not), then step 2 (numbers), on the phone."""
    place, ended = _step(site)
    if ended is not None:
        return ended
    rdv = request.args.get("rdv")
    return _form(place, rdv if rdv in ("oui", "non") else None)


@bp.post("/k/<site>")
@limiter.limit(ADDRESS_LIMIT)
@limiter.limit(NIR_LIMIT, key_func=_nir_key, exempt_when=_without_nir)
def checkin_post(site: str):
    """Issue the ticket (or give back the one already held) and go to its page.

    The form is read first; a well-formed one is checked in by one write transaction (``_issue``),
    which also reads the site: a check-in is one transaction, not a read and then a write.
    """
    rdv = request.form.get("rdv")
    nonce = (request.form.get("once") or "")[:64] or secrets.token_urlsafe(16)
    nir = None if "sans_numero" in request.form else request.form.get("nir", "")[:NIR_MAX + 1]
    phone = request.form.get("phone", "")[:PHONE_MAX + 1].strip()
    needs, errors = _read_needs(request.form)
    no_sms = "pas_de_sms" in request.form
    values = {"nir": nir or "", "phone": phone, "no_sms": no_sms} | needs["shown"]
    if rdv not in ("oui", "non") or errors:
        place = _site(site)
        if not _present(place):
            return _not_present()
        if rdv not in ("oui", "non"):
            return _form(place, None, status=422)
        return _form(place, rdv, values=values, errors=errors, status=422, nonce=nonce)

    answers = {"rdv": rdv, "nir": nir, "phone": phone or None, "sms": not no_sms} | needs["answers"]
    try:  # a double tap sends the same form key: the domain gives back the first sending's ticket
        place, public_id = _issue(site, answers, confirm_callback=False, form_key=nonce)
    except _Away:
        return _not_present()
    except DomainError as err:
        return _refused(_site(site), err, rdv=rdv, answers=answers, values=values, nonce=nonce)
    return _to_ticket(place, public_id)


def _refused(place: Site, err: DomainError, *, rdv: str, answers: dict, values: dict, nonce: str):
    """The answer to a check-in the domain refused: the call-back step, or the form with its errors."""
    if isinstance(err, CallbackOnly):
        # Nothing stored: the visitor first reads that the CAF will call them.
        session[CALLBACK_KEY] = _seal(place, answers)
        return redirect(url_for("kiosk.callback", site=place.slug), code=303)
    if isinstance(err, AlreadyCheckedIn):  # someone else's ticket, or a lost page: see an agent
        return _form(place, rdv, values=values, errors={"nir": error_text(err)}, status=422, nonce=nonce)
    if isinstance(err, InvalidAnswers):  # every wrong answer, checked once by the domain
        errors = {field if field in FIELDS else "nir": error_text(e) for field, e in err.errors.items()}
        return _form(place, rdv, values=values, errors=errors, status=422, nonce=nonce)
    return error_page(409, error_text(err))


class _Away(Exception):
    """The phone has no presence window at the site: it has not scanned the kiosk lately."""


def _issue(slug: str, answers: dict, *, confirm_callback: bool, form_key: str) -> tuple[Site, str]:
    """Check the visitor in at the site *slug* with their *answers*; return the site and the ticket's link secret.

    One write transaction: the site is read in it (404), the phone's presence checked (_Away), the
    ticket this phone already holds there given back, else ``check_in``. A refusal because the NIR
    holds someone's ticket already (AlreadyCheckedIn) is counted for the agents first, in a
    transaction of its own: the check-in's was rolled back.
    """
    try:
        with database().write_session() as s:
            place = _site(slug, s)
            if not _present(place):
                raise _Away
            remembered = _remembered_ticket(place, s)
            if remembered is not None:
                return place, remembered.public_id
            result = check_in(s, vault(), site=place, has_appointment=answers["rdv"] == "oui",
                              nir=answers["nir"], phone=answers["phone"], channel="self",
                              priority=answers["priority"], needs=answers["needs"],
                              interpreter_language=answers["interpreter_language"],
                              confirm_callback=confirm_callback, sms=answers.get("sms", True),
                              locale=str(get_locale()), form_key=form_key,
                              held=request.cookies.get(TICKET_COOKIE.format(site=place.slug)), now=utcnow())
            public_id = result.ticket.public_id
            s.commit()
    except AlreadyCheckedIn as err:
        with database().write_session() as s:
            record_attempt(s, ticket_id=err.ticket_id, now=utcnow())
            s.commit()
        raise
    return place, public_id


# --- phone call-back only ------------------------------------------------------------------
# The answers wait in the session, sealed with the data key: the NIR is in no page, no
# URL and no hidden field, and the phone can neither read nor change it. It lasts as long
# as the presence window, for this site only.

def _seal(place: Site, answers: dict) -> str:
    data = answers | {"site": place.id, "once": secrets.token_urlsafe(16),
                      "until": utcnow().timestamp() + CALLBACK_SECONDS}
    return base64.urlsafe_b64encode(vault().encrypt(json.dumps(data))).decode("ascii")


def _pending_callback(place: Site) -> dict | None:
    """Return the sealed answers of a call-back visitor of *place*, if still valid."""
    raw = session.get(CALLBACK_KEY)
    if not isinstance(raw, str):
        return None
    try:
        data = json.loads(vault().decrypt(base64.urlsafe_b64decode(raw.encode("ascii"))))
    except (ValueError, TypeError):  # altered, or sealed with another key
        return None
    if not isinstance(data, dict) or data.get("site") != place.id or data.get("until", 0) < utcnow().timestamp():
        return None
    return data


@bp.get("/k/<site>/rappel")
def callback(site: str):
    """Tell a visitor whose only appointment today is a phone call-back that the CAF will call."""
    place, ended = _step(site)
    if ended is not None:
        return ended
    pending = _pending_callback(place)
    if pending is None:
        return redirect(url_for("kiosk.checkin", site=place.slug), code=303)
    return render_template("kiosk/callback.html", site=place)


@bp.post("/k/<site>/rappel")
@limiter.limit(ADDRESS_LIMIT)
def callback_post(site: str):
    """« Je veux quand même voir quelqu'un »: issue the ticket (once, even on a double tap)."""
    place = _site(site)
    if not _present(place):
        return _not_present()
    remembered = _remembered_ticket(place)
    if remembered is not None:
        return _to_ticket(place, remembered.public_id)
    pending = _pending_callback(place)
    if pending is None:
        return redirect(url_for("kiosk.checkin", site=place.slug), code=303)
    try:
        place, public_id = _issue(place.slug, pending, confirm_callback=True, form_key=pending["once"])
    except _Away:
        return _not_present()
    except DomainError as err:
        return error_page(409, error_text(err))
    session.pop(CALLBACK_KEY, None)
    return _to_ticket(place, public_id)


def _to_ticket(place: Site, public_id: str):
    response = redirect(url_for("kiosk.ticket", public_id=public_id), code=303)
    now = utcnow()
    end = end_of_service_day(service_day(now, place.timezone), place.timezone)
    response.set_cookie(TICKET_COOKIE.format(site=place.slug), public_id,
                        max_age=max(60, int((end - now).total_seconds())), httponly=True, samesite="Lax",
                        secure=request.is_secure, path="/")
    return response


# --- the ticket page and the survey ------------------------------------------------------

def _ticket_only(public_id: str) -> Ticket:
    """The ticket whose link is *public_id*, or NotFound (never a detail of why)."""
    with database().session() as s:
        ticket = waiting.ticket_by_public_id(s, public_id)
    if ticket is None:
        raise NotFound(N_("Ce ticket n'existe pas."))
    return ticket


def _ticket_or_404(public_id: str) -> tuple[Ticket, Site, dict]:
    ticket = _ticket_only(public_id)
    with database().session() as s:
        site = s.get(Site, ticket.site_id)
        status = phone_snapshot(s, ticket.public_id, now=utcnow(),
                                cache=current_app.extensions["accueil.dispatcher"].cache)
    return ticket, site, status


def _render_ticket(t: Ticket, site: Site, status: dict, *, answered: bool, thanks: bool = False,
                   errors: dict | None = None, values: dict | None = None, code: int = 200):
    phrases = texts()
    appointment_time = None
    if status.get("appointment_at"):
        at = datetime.fromisoformat(status["appointment_at"]).astimezone(ZoneInfo(site.timezone))
        appointment_time = at.strftime("%H:%M")  # the site's clock (an overseas office is not in Paris)
    noted = [gettext(phrase, **values) for phrase, values in need_rules.noted(t.needs, t.interpreter_language, t.priority)]
    return render_template("kiosk/ticket.html", ticket=t, site=site, status=status, answered=answered, noted=noted,
                           push_key=current_app.extensions["accueil.push_key"],
                           thanks=thanks, errors=errors or {}, values=values or {}, texts=phrases,
                           initial=describe(status, phrases), appointment_time=appointment_time), code


@bp.get("/ticket/<public_id>")
def ticket(public_id: str):
    """The visitor's ticket: number, where to go, position and wait, live; then the survey."""
    try:
        t, site, status = _ticket_or_404(public_id)
    except NotFound as err:
        return error_page(404, error_text(err))
    return _render_ticket(t, site, status, answered=t.surveyed,
                          thanks=request.args.get("merci") == "1")


@bp.post("/ticket/<public_id>/avis")
@limiter.limit(ADDRESS_LIMIT)
def survey(public_id: str):
    """Store the satisfaction answer, once per ticket (the ticket knows it was answered, from any phone)."""
    try:
        t, site, status = _ticket_or_404(public_id)
    except NotFound as err:
        return error_page(404, error_text(err))
    if t.surveyed:
        return redirect(url_for("kiosk.ticket", public_id=public_id, merci=1), code=303)
    rating, comment = request.form.get("rating", ""), request.form.get("comment", "")
    try:
        with database().write_session() as s:
            answer_survey(s, s.get(Ticket, t.id), rating=rating, comment=comment)
            s.commit()
    except AlreadyAnswered:  # another phone (or a copy of the link) answered first
        return redirect(url_for("kiosk.ticket", public_id=public_id, merci=1), code=303)
    except InvalidInput as err:
        return _render_ticket(t, site, status, answered=False, errors={err.field or "rating": error_text(err)},
                              values={"rating": rating, "comment": comment[:1200]}, code=422)
    return redirect(url_for("kiosk.ticket", public_id=public_id, merci=1), code=303)


@bp.get("/ticket/sw.js")
def service_worker():
    """The ticket pages' service worker: shows the push notifications, opens the ticket when tapped."""
    response = bp.send_static_file("kiosk/ticket-sw.js")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.post("/ticket/<public_id>/push")
@limiter.limit(ADDRESS_LIMIT)
def push_subscribe(public_id: str):
    """Keep this browser's push subscription for the ticket (JSON in, JSON out); a bad one stores nothing."""
    try:
        t = _ticket_only(public_id)
        subscription = push_subscriptions.read_subscription(
            request.get_data(cache=False), frozenset(current_app.config.get("PUSH_ALLOWED_HOSTS", ())))
    except DomainError as err:
        return jsonify(ok=False, message=error_text(err)), 404 if isinstance(err, NotFound) else 400
    with database().write_session() as s:
        kept = push_subscriptions.subscribe(s, vault(), ticket=t, subscription=subscription, now=utcnow())
        s.commit()
    if not kept:
        return jsonify(ok=False, message=gettext("Ce ticket est terminé.")), 409
    return jsonify(ok=True, message=gettext("C'est noté : ce téléphone vous préviendra, même en veille."))


@bp.post("/ticket/<public_id>/partir")
@limiter.limit(ADDRESS_LIMIT)
def leave(public_id: str):
    """« Je pars »: the visitor gives up their place (confirmed on the page); consoles and display update live."""
    try:
        t = _ticket_only(public_id)
    except NotFound as err:
        return error_page(404, error_text(err))
    try:
        with database().write_session() as s:
            tickets.leave(s, ticket=t, now=utcnow())
            s.commit()
    except InvalidTransition:  # called meanwhile, or left already: the page says where things stand
        pass
    return redirect(url_for("kiosk.ticket", public_id=public_id), code=303)


def describe(status: dict, phrases: dict) -> dict:
    """Spell a public status with the page's phrases, as ticket.js does (the phrase each line says: ``status["says"]``)."""
    says, est, desk = status.get("says") or {}, status.get("estimate") or {}, status.get("desk") or ""
    numbers = {"n": status.get("ahead"), "low": est.get("low"), "high": est.get("high"), "desk": desk}

    def spell(line: str, **more) -> str:
        key = says.get(line)
        return fill(phrases[key], numbers | more) if key else ""

    return {"ahead": spell("ahead"), "estimate": spell("estimate"), "desk": desk,
            "serving": fill(phrases["serving"], numbers), "round": spell("round", n=status.get("round"))}


def fill(template: str, values: dict) -> str:
    """Put *values* in a phrase's ``{name}`` places (the same as ticket.js's fill)."""
    return re.sub(r"\{(\w+)\}", lambda m: "" if values.get(m.group(1)) is None else str(values[m.group(1)]), template)


def texts() -> dict:
    """The live page's phrases, translated for the visitor (the JavaScript has none of its own)."""
    return {
        "ahead": gettext("Personnes avant vous : %(n)s", n="{n}"),
        "next": gettext("Vous êtes la prochaine personne appelée."),
        "between": gettext("Vous attendrez entre %(low)s et %(high)s minutes environ.", low="{low}", high="{high}"),
        "under": gettext("Vous attendrez moins de %(high)s minutes environ.", high="{high}"),
        "long": gettext("Vous attendrez sans doute plus de 2 heures."),
        "unknown": gettext("Les agents ne reçoivent pas encore. Votre place est gardée. "
                           "Restez ici : votre numéro s'affichera sur l'écran."),
        "offline": gettext("Connexion perdue. La page se met à jour dès que la connexion revient."),
        "online": gettext("Cette page se met à jour toute seule."),
        "serving": gettext("Nous vous recevons à : %(desk)s", desk="{desk}"),
        "round": gettext(ROUND, n="{n}"),
        "wake_on": gettext("L'écran reste allumé."),
        "wake_off": gettext("L'écran peut s'éteindre."),
        "wake_none": gettext("Ce téléphone ne peut pas garder l'écran allumé."),
        "push_denied": gettext("Les notifications sont bloquées sur ce téléphone. Gardez cette page ouverte."),
        "push_failed": gettext("Ce téléphone n'a pas pu s'abonner aux notifications. Gardez cette page ouverte."),
    }
