"""The `accueil` command: what a site manager runs (database, demo, sites, agents, devices, messages…).

Each command builds the application as a command (``ACCUEIL_CLI``: it serves no client and
publishes its events at once) and calls the domain; nothing here is needed to serve requests.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from accueil.clock import utcnow
from accueil.errors import DomainError
from app import create_app
from web.context import database, vault


def _command_app() -> Flask:
    """The app of an `accueil` command: it serves no client, and publishes its events at once."""
    return create_app({"ACCUEIL_CLI": True})


cli = FlaskGroup(create_app=_command_app, add_default_commands=False, add_version_option=False,
                 help="Accueil: commandes d'exploitation d'un site.")


def _fail(err: DomainError) -> None:
    click.echo(f"Erreur : {err.message}", err=True)
    sys.exit(1)


@cli.group("db")
def db_group():
    """Base de données."""


@db_group.command("upgrade")
def db_upgrade():
    """Create or migrate the database to the latest schema."""
    from accueil.migrate import upgrade

    upgrade(database())
    click.echo("Base de données à jour.")


@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Ne rien faire si un site existe déjà.")
@click.option("--history", "weeks", type=click.IntRange(0, 52), default=0,
              help="Ajouter ce nombre de semaines de visites passées (anonymes) pour les statistiques.")
def demo(if_empty: bool, weeks: int):
    """Load the demo sites (Chaumont, Saint-Dizier), their queues, desks and agents."""
    from sqlmodel import select

    from accueil.demo import load_demo, load_history
    from accueil.models import Site

    with database().write_session() as s:
        if if_empty and s.exec(select(Site)).first() is not None:
            click.echo("Des sites existent déjà : données de démonstration non chargées.")
            return
        report = load_demo(s, vault(), now=utcnow())
        visits = load_history(s, now=utcnow(), weeks=weeks) if weeks else 0
        s.commit()
    click.echo(f"Démonstration : {len(report.created)} élément(s) créé(s), {visits} visite(s) passée(s).")
    for slug, login, password, role in report.logins:
        click.echo(f"  {slug:13} {role:11} identifiant {login:24} mot de passe {password}")


@cli.group("site")
def site_group():
    """Sites (réservé aux administrateurs du réseau)."""


@site_group.command("add")
@click.argument("slug")
@click.argument("name")
@click.option("--timezone", default="Europe/Paris", help="Fuseau horaire (ex. America/Cayenne).")
def site_add(slug: str, name: str, timezone: str):
    """Create a site; its supervisors then configure queues, desks and agents in the console."""
    from accueil.configuration import create_site

    try:
        with database().write_session() as s:
            site = create_site(s, slug=slug, name=name, timezone=timezone)
            s.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"Site {site.slug} créé ({site.name}). Créez son premier superviseur : "
               f"accueil agent add LOGIN --site {site.slug} --supervisor")


@cli.group("agent")
def agent_group():
    """Comptes des agents."""


@agent_group.command("add")
@click.argument("login")
@click.option("--site", "site_slug", required=True, help="Le site de l'agent (ex. chaumont).")
@click.option("--supervisor", is_flag=True, help="Compte superviseur.")
@click.option("--password-stdin", is_flag=True, help="Lire le mot de passe sur l'entrée standard.")
def agent_add(login: str, site_slug: str, supervisor: bool, password_stdin: bool):
    """Create an agent account on a site."""
    from accueil.agents import add_agent, site_by_slug

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt="Encore une fois")
    try:
        with database().write_session() as s:
            site = site_by_slug(s, site_slug)
            agent = add_agent(s, login=login, site_id=site.id, password=password, supervisor=supervisor)
            s.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"Compte {agent.login} créé ({agent.role}, {site_slug}).")


@cli.command("purge")
def purge():
    """Erase expired personal data (NIR, phone); keep the anonymous history."""
    from accueil.retention import purge as run_purge

    with database().write_session() as s:
        report = run_purge(s, now=utcnow())
        s.commit()
    click.echo(f"Données personnelles effacées : {report.tickets} ticket(s), {report.appointments} rendez-vous.")


def _base_url(base: str | None) -> str:
    return (base or current_app.config["PUBLIC_BASE_URL"]
            or f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}").rstrip("/")


@cli.command("urls")
@click.option("--base", default=None, help="Adresse publique (par défaut http://HOST:PORT).")
def urls(base: str | None):
    """Print the address of each screen, and the demo logins still valid."""
    from sqlmodel import select

    from accueil.agents import authenticate
    from accueil.demo import demo_password
    from accueil.models import Agent, Site

    base = _base_url(base)
    click.echo(f"Accueil            {base}/")
    with database().session() as s:
        sites = s.exec(select(Site).order_by(Site.slug)).all()
        for site in sites:
            click.echo(f"[{site.slug}] {site.name}")
            for label, path in current_app.config.get("SCREEN_URLS", ()):
                click.echo(f"  {label:17}{base}{path.format(site=site.slug)}")
        logins = []
        for site in sites:
            for role in ("agent", "superviseur"):
                login, password = f"{role}.{site.slug}", demo_password(site.slug, role)
                if s.exec(select(Agent).where(Agent.login == login)).first() and authenticate(s, login, password):
                    logins.append((login, password))
    if sites:
        click.echo("La borne et l'écran de salle d'attente ne s'affichent que sur un appareil installé :")
        click.echo(f"  {Path(sys.argv[0]).name} device enroll --site {sites[0].slug} --kind kiosk --label \"Borne de "
                   "l'entrée\"   (ou --kind display), puis ouvrez le lien affiché sur l'appareil.")
    if logins:
        click.echo("Comptes de démonstration :")
        for login, password in logins:
            click.echo(f"  {login:26} mot de passe {password}")


@cli.group("appointments")
def appointments_group():
    """Rendez-vous."""


@appointments_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--site", "site_slug", required=True, help="Le site (ex. chaumont).")
def appointments_import(file, site_slug: str):
    """Import the appointments of a CSV export of the booking system (format: README)."""
    from accueil.agents import site_by_slug
    from accueil.appointment_import import import_appointments, read_csv

    try:
        count, rows = read_csv(file.read())
        with database().write_session() as s:
            site = site_by_slug(s, site_slug)
            with click.progressbar(length=count, label="Import", file=sys.stderr) as bar:
                report = import_appointments(s, vault(), site_id=site.id, rows=rows, progress=bar.update)
            s.commit()
    except DomainError as err:
        _fail(err)
    except UnicodeDecodeError:
        click.echo("Erreur : le fichier doit être en UTF-8.", err=True)
        sys.exit(1)
    click.echo(f"Créés : {report.created}. Modifiés : {report.updated}. Inchangés : {report.unchanged}. "
               f"Refusés : {len(report.rejected)}.")
    for line, err in report.rejected:
        click.echo(f"  ligne {line} : {err.message}")
    if report.rejected:
        sys.exit(2)


@cli.command("stats")
@click.option("--site", "site_slug", required=True, help="Le site (ex. chaumont).")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Premier jour (AAAA-MM-JJ).")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Dernier jour (AAAA-MM-JJ).")
@click.option("--queue", default=None, help="Une seule file (sa lettre, ex. R).")
@click.option("--csv", "as_csv", is_flag=True, help="Sortie CSV.")
def stats(site_slug: str, start, end, queue: str | None, as_csv: bool):
    """Print the figures of a site over a period (the CNAF 20-minute indicator first)."""
    from accueil.agents import site_by_slug
    from accueil.stats import compute, rows, to_csv

    try:
        with database().session() as s:
            site = site_by_slug(s, site_slug)
            fig = compute(s, site_id=site.id, start=start.date(), end=end.date(), queue_letter=queue)
    except DomainError as err:
        _fail(err)
    if as_csv:
        click.echo(to_csv(fig), nl=False)
        return
    table = None
    for name, label, value in rows(fig):
        if name != table:
            click.echo(f"{name} :")
            table = name
        click.echo(f"  {label:45} {'—' if value is None else value}")


@cli.group("api-token")
def api_token_group():
    """Jetons des intégrations (API /api/v1)."""


@api_token_group.command("create")
@click.option("--site", "site_slug", required=True, help="Le site (ex. chaumont).")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(["appointments:write", "queues:read", "stats:read"]),
              help="Un droit (répéter pour plusieurs).")
@click.option("--label", default="", help="À quoi sert ce jeton (ex. « agenda »).")
def api_token_create(site_slug: str, scopes: tuple[str, ...], label: str):
    """Create a token; it is printed once and never stored in clear."""
    from accueil.agents import site_by_slug
    from accueil.api_tokens import create

    try:
        with database().write_session() as s:
            site = site_by_slug(s, site_slug)
            token, secret = create(s, site_id=site.id, scopes=list(scopes), label=label, now=utcnow())
            s.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"Jeton n° {token.id} ({token.scopes}, {site_slug}). Gardez-le : il ne sera plus affiché.")
    click.echo(secret)


@api_token_group.command("revoke")
@click.argument("token_id", type=int)
def api_token_revoke(token_id: int):
    """Revoke a token."""
    from accueil.api_tokens import revoke

    try:
        with database().write_session() as s:
            revoke(s, token_id, now=utcnow())
            s.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"Jeton n° {token_id} révoqué.")


@cli.group("device")
def device_group():
    """Bornes et écrans de la salle d'attente."""


@device_group.command("enroll")
@click.option("--site", "site_slug", required=True, help="Le site (ex. chaumont).")
@click.option("--kind", type=click.Choice(["kiosk", "display"]), required=True, help="Borne ou écran.")
@click.option("--label", required=True, help="Le nom de l'appareil, pour le retrouver (ex. « Borne de l'entrée »).")
@click.option("--base", default=None, help="Adresse publique (par défaut PUBLIC_BASE_URL ou http://HOST:PORT).")
def device_enroll(site_slug: str, kind: str, label: str, base: str | None):
    """Print a one-time link that enrols the device it is opened on (valid 24 hours)."""
    from accueil.agents import site_by_slug
    from accueil.devices import create_enrolment

    try:
        with database().write_session() as s:
            site = site_by_slug(s, site_slug)
            device, token = create_enrolment(s, site_id=site.id, kind=kind, label=label, now=utcnow())
            s.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"Appareil n° {device.id} ({kind}, {site_slug}). Ouvrez ce lien sur l'appareil, dans les 24 heures :")
    click.echo(f"{_base_url(base)}/appareil/{token}")


@device_group.command("list")
def device_list():
    """List the enrolled and pending devices."""
    from sqlmodel import select

    from accueil.models import Device, Site

    with database().session() as s:
        for device, slug in s.exec(select(Device, Site.slug).join(Site).order_by(Device.id)).all():
            state = "révoqué" if device.revoked_at else ("installé" if device.enrolled_at else "en attente")
            click.echo(f"{device.id:4}  {slug:13} {device.kind:8} {state:11} {device.label}")


@device_group.command("revoke")
@click.argument("device_id", type=int)
def device_revoke(device_id: int):
    """Revoke a device: its screen stops showing the QR code or the calls."""
    from accueil.devices import revoke

    try:
        with database().write_session() as s:
            revoke(s, device_id, now=utcnow())
            s.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"Appareil n° {device_id} révoqué.")


@cli.group("notify")
def notify_group():
    """Messages to visitors (SMS)."""


@notify_group.command("run")
def notify_run():
    """Send the visitors' messages until stopped (the scale-out deployment's sender process)."""
    import signal

    sender = current_app.extensions["accueil.sender"]
    signal.signal(signal.SIGTERM, lambda *_: sender.stop())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo("Envoi des messages : Ctrl+C pour arrêter.")
    try:
        sender.run_forever()
    except KeyboardInterrupt:
        sender.stop()
