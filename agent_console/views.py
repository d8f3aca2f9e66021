"""Agent console pages and actions.

Pages are plain HTML that works without JavaScript; console.js turns the action forms
into fetch() calls (JSON answers) and swaps the live regions on each snapshot. Every
action is a POST with its CSRF token and an idempotency key: a double press does one
thing. Everything is scoped to the signed-in agent's site.
"""
from __future__ import annotations

import secrets
from datetime import date

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_datetime, format_decimal, format_percent, format_time, get_locale, gettext
from flask_login import current_user, login_required

from accueil import desks as desk_rules
from accueil import needs, tickets
from accueil.agents import authenticate, normalize_login
from accueil.checkin import NIR_MAX, PHONE_MAX, CallbackOnly, InvalidAnswers, check_in
from accueil.clock import utcnow
from accueil.console import act, claim_action, site_device, site_devices, view
from accueil.devices import KINDS, LABEL_MAX, create_enrolment, revoke
from accueil.errors import DomainError, InvalidInput, NotFound
from accueil.ids import row_id
from accueil.models import Ticket
from accueil.reveal import reveal_nir
from accueil.slip import printer_of, slip_of
from accueil.supervision import device_health
from agent_console import auth, sockets
from web.context import database, vault
from web.i18n import error_text
from web.printer import PrinterUnavailable, print_slip
from web.proxy import public_url
from web.security import error_page, limiter

bp = Blueprint("agent", __name__, url_prefix="/agent", template_folder="templates", static_folder="static",
               static_url_path="/static/agent")


def _(text: str) -> str:
    """Mark a string for extraction; it is translated where it is shown (gettext(text, ...))."""
    return text


DONE_TEXTS = {
    "recall": _("Le ticket %(ticket)s est rappelé."),
    "start": _("Le ticket %(ticket)s est reçu."),
    "finish": _("Le ticket %(ticket)s est terminé."),
    "no-show": _("Le ticket %(ticket)s est noté absent."),
    "cancel": _("Le ticket %(ticket)s est annulé."),
}

ACTION_LIMIT = "120 per minute"


def agent_key() -> str:
    return f"agent:{current_user.id}" if current_user.is_authenticated else request.remote_addr or "?"


def _login_key() -> str:
    return "login:" + normalize_login(request.form.get("login"))


def _pair_key() -> str:
    return f"login:{request.remote_addr}:{normalize_login(request.form.get('login'))}"


def _failed(response) -> bool:
    return response.status_code == 401


bp.before_request(auth.guard)


@bp.app_context_processor
def _helpers():
    # App-wide on purpose: socket snapshots render these templates outside the blueprint.
    return {"action_key": lambda: secrets.token_urlsafe(18), "STATE_LABELS": desk_rules.STATE_LABELS,
            "NEED_LABELS": needs.NEED_LABELS, "INTERPRETER_LANGUAGES": needs.INTERPRETER_LANGUAGES,
            "waiting_row": sockets.render_waiting_row}


@bp.app_template_filter("local_time")
def _local_time(moment) -> str:
    return format_time(moment, "HH:mm") if moment else ""


@bp.app_template_filter("local_moment")
def _local_moment(moment) -> str:
    """The time if *moment* is today (the office's clock), else its day and time (« 28 nov., 17:42 »)."""
    if not moment:
        return ""
    if format_date(moment, "yyyy-MM-dd") == format_date(utcnow(), "yyyy-MM-dd"):
        return format_time(moment, "HH:mm")
    return format_datetime(moment, "d MMM, HH:mm")


# Figures as the reader writes them (Flask-Babel): « 7,5 », « 80,1 % », « 27 novembre 2026 » in French.
@bp.app_template_filter("decimal")
def _decimal(value) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.0")


@bp.app_template_filter("percent")
def _percent(share) -> str:
    if share is None:
        return "—"
    # The language's own pattern (« 80,1 % » with a non-breaking space in French), with one decimal.
    pattern = get_locale().percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)
    return format_percent(share, format=pattern)


@bp.app_template_filter("long_date")
def _long_date(day) -> str:
    return format_date(day, format="long")


# Messages of the domain modules this console brought (accueil/desks.py, console.py, reveal.py),
# marked here too so that the console's own catalogue translates them.
_("fermé")
_("libre")
_("appel en cours")
_("reçoit un visiteur")
_("en pause")
_("%(agent)s travaille déjà à ce bureau : %(desk)s. Confirmez pour le prendre.")
_("Choisissez d'abord votre bureau.")
_("Votre bureau est en pause. Reprenez pour appeler.")
_("Ce ticket n'a pas de numéro de sécurité sociale.")
_("Ce compte n'existe pas.")
_("Le ticket %(ticket)s est déjà à ce bureau.")
_("Cet appareil n'existe pas.")
_("Langue des signes (LSF)")
_("Interprète")
_("Mobilité réduite")
_("Besoin inconnu.")
_("Cette langue n'est pas proposée.")
_("Rendez-vous téléphonique à %(time)s.")


# --- answers -------------------------------------------------------------------------------


def done(message: str, status: int = 200, **extra):
    """Answer an action: JSON for the console's fetch(), else a message and back to the console."""
    if auth.wants_json():
        return jsonify(ok=200 <= status < 300, message=message, **extra), status
    flash(message, "ok" if status < 300 else "error")
    return redirect(url_for("agent.console"), code=303)


def fail(err: DomainError):
    status = 404 if isinstance(err, NotFound) else 400 if isinstance(err, InvalidInput) else 409
    extra = {"confirm": True} if isinstance(err, desk_rules.DeskInUse) else {}
    return done(error_text(err), status, code=err.code, **extra)


def _int(name: str) -> int | None:
    return row_id(request.form.get(name, ""))


# --- login -----------------------------------------------------------------------------------


# Sign-in limits (README « Agents' sign-in »): they count failed attempts only, so that a stranger's
# guesses slow the stranger, never an agent. Per address and login: 5 a minute, 20 an hour. Per login,
# from outside the office's networks (ACCUEIL_OFFICE_NETWORKS): 30 an hour, against guessing from many
# addresses; never from the office. Per address outside the office: 20 tries a minute in all.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"], exempt_when=auth.from_office)
@limiter.limit("5 per minute;20 per hour", key_func=_pair_key, methods=["POST"], deduct_when=_failed)
@limiter.limit("30 per hour", key_func=_login_key, methods=["POST"], deduct_when=_failed, exempt_when=auth.from_office)
def login():
    expired_before = session.pop("agent_expired", False)
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("agent.console"), code=303)
    error = None
    if request.method == "POST":
        with database().session() as s:
            agent = authenticate(s, request.form.get("login", "")[:200], request.form.get("password", "")[:200])
        if agent is not None:
            auth.sign_in(agent.id)
            return redirect(url_for("agent.console"), code=303)
        error = gettext("Identifiant ou mot de passe incorrect.")
    return render_template("agent_console/login.html", error=error, expired=expired_before,
                           idle_minutes=current_app.config["AGENT_IDLE_MINUTES"]), 401 if error else 200


@bp.post("/logout")
@login_required
def logout():
    agent_id = current_user.id
    with database().write_session() as s:
        desk_rules.release_all(s, agent_id=agent_id, now=utcnow())
        s.commit()
    sockets.end_sessions(agent_id)
    auth.sign_out()
    flash(gettext("Vous êtes déconnecté."), "ok")
    return redirect(url_for("agent.login"), code=303)


# --- the console -----------------------------------------------------------------------------


def _view():
    with database().session() as s:
        return view(s, vault(), site_id=current_user.site_id, agent_id=current_user.id, now=utcnow())


@bp.get("/")
@login_required
def console():
    c = _view()
    config = {
        "namespace": sockets.NAMESPACE,
        "idleSeconds": auth.idle_seconds(),
        "warnSeconds": auth.warn_seconds(),
        "keepAlive": url_for("agent.keep_alive"),
        "loginUrl": url_for("agent.login"),
        "text": {
            "offline": gettext("Connexion perdue. Reconnexion en cours…"),
            "online": gettext("Connecté. Les listes sont à jour."),
            "failed": gettext("L'action n'a pas abouti. Vérifiez la connexion et recommencez."),
            "deskTaken": gettext("Un autre agent a pris votre bureau."),
            "pending": gettext("Envoi en cours…"),
        },
    }
    return render_template("agent_console/console.html", c=c, config=config,
                           messages=get_flashed_messages(with_categories=True))


@bp.post("/session")
@login_required
def keep_alive():
    """Keep an idle agent's session open on request (« Rester connecté »); check_idle slid it already."""
    return jsonify(ok=True, idleSeconds=auth.idle_seconds())


@bp.get("/snapshot")
@login_required
def snapshot():
    """The live regions over HTTP (a fallback, and what the socket snapshot carries)."""
    return jsonify(sockets.console_snapshot())


# --- desks -----------------------------------------------------------------------------------


@bp.post("/desk")
@login_required
@limiter.limit(ACTION_LIMIT, key_func=agent_key)
def take_desk():
    desk_id = _int("desk_id")
    confirm = request.form.get("confirm") == "1"
    try:
        with database().write_session() as s:
            taken = desk_rules.take(s, site_id=current_user.site_id, desk_id=desk_id or 0, agent_id=current_user.id,
                                    confirm=confirm, now=utcnow())
            name = taken.desk.name
            s.commit()
    except DomainError as err:
        return fail(err)
    if taken.previous_agent_id is not None:
        sockets.tell_agent(taken.previous_agent_id, "desk_taken",
                           {"message": gettext("%(agent)s a pris votre bureau (%(desk)s). Choisissez un autre bureau.",
                                               agent=current_user.login, desk=name)})
    return done(gettext("Votre bureau : %(desk)s.", desk=name))


def _desk_action(fn, message: str):
    try:
        with database().write_session() as s:
            desk = desk_rules.held_by(s, current_user.id)
            if desk is None:
                raise desk_rules.NotYourDesk()
            fn(s, site_id=current_user.site_id, desk_id=desk.id, agent_id=current_user.id, now=utcnow())
            name = desk.name
            s.commit()
    except DomainError as err:
        return fail(err)
    return done(message % {"desk": name})


@bp.post("/desk/release")
@login_required
@limiter.limit(ACTION_LIMIT, key_func=agent_key)
def release_desk():
    return _desk_action(desk_rules.release, gettext("Vous avez quitté ce bureau : %(desk)s."))


@bp.post("/desk/pause")
@login_required
@limiter.limit(ACTION_LIMIT, key_func=agent_key)
def pause_desk():
    return _desk_action(desk_rules.pause, gettext("En pause : %(desk)s."))


@bp.post("/desk/resume")
@login_required
@limiter.limit(ACTION_LIMIT, key_func=agent_key)
def resume_desk():
    return _desk_action(desk_rules.resume, gettext("Les appels reprennent : %(desk)s."))


# --- tickets ---------------------------------------------------------------------------------


def _duplicate():
    return done(gettext("C'est déjà fait."), duplicate=True)


@bp.post("/call-next")
@login_required
@limiter.limit(ACTION_LIMIT, key_func=agent_key)
def call_next():
    now = utcnow()
    try:
        with database().write_session() as s:
            if not claim_action(s, key=request.form.get("key"), agent_id=current_user.id, now=now):
                return _duplicate()
            desk = desk_rules.caller_desk(s, site_id=current_user.site_id, agent_id=current_user.id)
            ticket = tickets.call_next(s, site_id=current_user.site_id, desk_id=desk.id, agent_id=current_user.id,
                                       now=now, desk=desk)
            code, name, ticket_id = ticket.code, desk.name, ticket.id
            s.commit()
    except DomainError as err:
        return fail(err)
    return done(gettext("Le ticket %(ticket)s est appelé. Bureau : %(desk)s.", ticket=code, desk=name), ticket=code,
                ticket_id=ticket_id)


@bp.post("/tickets/<int:ticket_id>/<action>")
@login_required
@limiter.limit(ACTION_LIMIT, key_func=agent_key)
def ticket_action(ticket_id: int, action: str):
    if action not in (*DONE_TEXTS, "call", "transfer"):
        abort(404)
    now = utcnow()
    try:
        with database().write_session() as s:
            if not claim_action(s, key=request.form.get("key"), agent_id=current_user.id, now=now):
                return _duplicate()
            acted = act(s, site_id=current_user.site_id, agent_id=current_user.id,
                       supervisor=current_user.supervisor, ticket_id=ticket_id, action=action,
                       target=request.form.get("target", "")[:40], now=now)
            s.commit()
    except DomainError as err:
        return fail(err)
    code = acted.ticket.code
    if action == "call":
        return done(gettext("Le ticket %(ticket)s est appelé. Bureau : %(desk)s.", ticket=code, desk=acted.desk.name))
    if acted.moved_to == "queue":
        return done(gettext("Le ticket %(ticket)s attend maintenant dans une autre file.", ticket=code))
    if acted.moved_to == "desk":
        return done(gettext("Le ticket %(ticket)s est envoyé à un autre bureau.", ticket=code))
    return done(gettext(DONE_TEXTS[action], ticket=code))


@bp.post("/tickets/<int:ticket_id>/reveal")
@login_required
@limiter.limit("30 per minute", key_func=agent_key)
def reveal(ticket_id: int):
    try:
        with database().write_session() as s:
            nir = reveal_nir(s, vault(), site_id=current_user.site_id, ticket_id=ticket_id,
                             agent_id=current_user.id, now=utcnow())
            code = s.get(Ticket, ticket_id).code
            s.commit()
    except DomainError as err:
        return fail(err)
    if auth.wants_json():
        return jsonify(ok=True, ticket=ticket_id, nir=nir,
                       message=gettext("Numéro du ticket %(ticket)s affiché.", ticket=code))
    return render_template("agent_console/reveal.html", nir=nir, code=code)


# --- assisted registration -------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@login_required
@limiter.limit(ACTION_LIMIT, key_func=agent_key, methods=["POST"])
def register():
    form = {"nir": "", "phone": "", "appointment": "", "no_nir": False, "priority": False, "needs": [],
            "interpreter_language": ""}
    errors: dict[str, str] = {}
    callback = None  # the time of the person's phone call-back, when it is their only appointment today
    if request.method == "POST":
        form = {
            "nir": request.form.get("nir", "")[:NIR_MAX + 1],
            "phone": request.form.get("phone", "")[:PHONE_MAX + 1],
            "appointment": request.form.get("appointment", ""),
            "no_nir": request.form.get("no_nir") == "1",
            "priority": request.form.get("priority") == "1",
            "needs": request.form.getlist("needs")[:5],
            "interpreter_language": request.form.get("interpreter_language", "")[:20],
            "confirm_callback": request.form.get("confirm_callback") == "1",
        }
        if form["appointment"] not in ("yes", "no"):
            errors["appointment"] = gettext("Dites si la personne a un rendez-vous.")
        if not form["no_nir"] and not form["nir"].strip():
            errors["nir"] = gettext("Écrivez le numéro de sécurité sociale, ou cochez « Sans numéro ».")
        if not errors:
            try:
                with database().write_session() as s:
                    if not claim_action(s, key=request.form.get("key"), agent_id=current_user.id, now=utcnow()):
                        return redirect(url_for("agent.console"), code=303)
                    result = check_in(s, vault(), site_id=current_user.site_id,
                                      has_appointment=form["appointment"] == "yes",
                                      nir=None if form["no_nir"] else form["nir"],
                                      phone=form["phone"].strip() or None, channel="assisted",
                                      priority=1 if form["priority"] else 0, needs=form["needs"],
                                      interpreter_language=form["interpreter_language"] or None,
                                      confirm_callback=form["confirm_callback"], now=utcnow())
                    ticket_id, created = result.ticket.id, result.created
                    s.commit()
            except CallbackOnly as err:
                # Nothing created: the agent tells the person, who may still want a ticket.
                callback = error_text(err)
            except InvalidAnswers as err:  # every wrong answer at once, checked by the domain
                for field, e in err.errors.items():
                    errors[field if field in ("nir", "phone", "needs") else "form"] = error_text(e)
            except DomainError as err:
                errors["form"] = error_text(err)
            else:
                if not created:
                    flash(gettext("Cette personne avait déjà un ticket aujourd'hui : le voici."), "ok")
                return redirect(url_for("agent.registered", ticket_id=ticket_id), code=303)
    return render_template("agent_console/register.html", form=form, errors=errors,
                           callback=callback), 400 if errors else 200


def _slip(ticket_id: int):
    """The registered ticket's slip, and the printer of the desk this agent holds (None if it has none)."""
    with database().session() as s:
        slip = slip_of(s, site_id=current_user.site_id, ticket_id=ticket_id)
        return slip, printer_of(s, site_id=current_user.site_id, agent_id=current_user.id)


def _ticket_link(slip) -> str:
    return public_url(url_for("kiosk.ticket", public_id=slip.public_id))


def list_link(secret: str | None) -> str | None:
    """The address of a list of documents to provide, as the visitor's phone opens it (None without a list)."""
    return public_url(url_for("kiosk.documents_page", secret=secret)) if secret else None


def _qr_svg(link: str) -> Response:
    image = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    response = Response(image.to_string(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/register/<int:ticket_id>")
@login_required
def registered(ticket_id: int):
    try:
        slip, printer = _slip(ticket_id)
    except DomainError as err:
        return error_page(404, error_text(err))
    return render_template("agent_console/registered.html", slip=slip, ticket_id=ticket_id, printer=printer,
                           day=format_date(date.fromisoformat(slip.day), format="long"),
                           messages=get_flashed_messages(with_categories=True))


@bp.get("/register/<int:ticket_id>/qr.svg")
@login_required
def slip_qr(ticket_id: int):
    """The QR code of the registered ticket's live page, for its printed slip (agents of its site only)."""
    try:
        slip, _printer = _slip(ticket_id)
    except DomainError:
        abort(404)
    return _qr_svg(_ticket_link(slip))


@bp.get("/register/<int:ticket_id>/pieces.svg")
@login_required
def slip_documents_qr(ticket_id: int):
    """The QR code of the list of documents the registered visitor was given, for the slip (its site's agents)."""
    try:
        slip, _printer = _slip(ticket_id)
    except DomainError:
        abort(404)
    link = list_link(slip.documents)
    if link is None:
        abort(404)
    return _qr_svg(link)


@bp.post("/register/<int:ticket_id>/print")
@login_required
@limiter.limit("30 per minute", key_func=agent_key)
def print_registered(ticket_id: int):
    """Print the slip on the desk's thermal printer; a printer that does not answer is said, never in the way."""
    try:
        slip, printer = _slip(ticket_id)
    except DomainError as err:
        return error_page(404, error_text(err))
    if printer is None:
        flash(gettext("Votre bureau n'a pas d'imprimante à tickets. Imprimez avec le navigateur."), "error")
    else:
        try:
            print_slip(printer, slip, link=_ticket_link(slip), words=_slip_words(),
                       documents_link=list_link(slip.documents))
        except PrinterUnavailable:
            flash(gettext("L'imprimante du bureau ne répond pas. Le ticket est bien créé : dites le numéro à la "
                          "personne, ou imprimez avec le navigateur."), "error")
        else:
            flash(gettext("Le ticket est imprimé."), "ok")
    return redirect(url_for("agent.registered", ticket_id=ticket_id), code=303)


def _slip_words() -> dict[str, str]:
    """The printed slip's phrases, in the console's language."""
    return {"number": gettext("Votre numéro"), "queue": gettext("File :"), "arrived": gettext("Arrivée à"),
            "scan": gettext("Suivez votre tour sur votre téléphone : scannez ce code."),
            "documents": gettext("Vos papiers à fournir : scannez ce code.")}


# --- devices (supervisors) -------------------------------------------------------------------


def _devices_page(link: str | None = None, status: int = 200, error: str | None = None, values: dict | None = None):
    now = utcnow()
    with database().session() as s:
        devices = [(d, device_health(d, now=now)) for d in site_devices(s, current_user.site_id)]
    return render_template("agent_console/devices.html", devices=devices, link=link, error=error,
                           values=values or {}, messages=get_flashed_messages(with_categories=True)), status


@bp.get("/devices")
@login_required
@auth.supervisor_only
def devices():
    return _devices_page()


@bp.post("/devices")
@login_required
@limiter.limit("30 per minute", key_func=agent_key)
@auth.supervisor_only
def enrol_device():
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        return _devices_page(status=400, error=gettext("Choisissez une borne ou un écran."))
    try:
        with database().write_session() as s:
            if not claim_action(s, key=request.form.get("key"), agent_id=current_user.id, now=utcnow()):
                return redirect(url_for("agent.devices"), code=303)
            _device, token = create_enrolment(s, site_id=current_user.site_id, kind=kind,
                                              label=request.form.get("label", "")[:LABEL_MAX + 1], now=utcnow())
            s.commit()
    except InvalidInput as err:
        return _devices_page(status=422, error=error_text(err),
                             values={"kind": kind, "label": request.form.get("label", "")[:LABEL_MAX]})
    return _devices_page(link=public_url(url_for("devices.enrol", token=token)))


@bp.post("/devices/<int:device_id>/revoke")
@login_required
@limiter.limit("30 per minute", key_func=agent_key)
@auth.supervisor_only
def revoke_device(device_id: int):
    try:
        with database().write_session() as s:
            device = site_device(s, current_user.site_id, device_id)
            revoke(s, device.id, now=utcnow())
            s.commit()
    except DomainError as err:
        if auth.wants_json():
            return fail(err)
        return error_page(404, error_text(err))
    flash(gettext("L'appareil est révoqué : il ne fonctionne plus."), "ok")
    return redirect(url_for("agent.devices"), code=303)

