"""Logs are JSON and never carry a NIR or a phone number, even by mistake."""
import json
import logging

from tests.conftest import make_nir
from web.logs import JsonFormatter, PersonalDataFilter


def test_a_slip_is_scrubbed_and_the_line_is_json(caplog):
    handler = logging.Handler()
    lines = []
    handler.emit = lambda record: lines.append(JsonFormatter().format(record))
    handler.addFilter(PersonalDataFilter())
    log = logging.getLogger("test.slip")
    log.addHandler(handler)
    try:
        log.warning("visitor %s phone %s and %s, ticket R007 at 10:30", make_nir(1), "06 12 34 56 78", "+33612345678")
        log.warning("corsica %s", "2 53 07 2A 073 004 43")
    finally:
        log.removeHandler(handler)
    entries = [json.loads(line) for line in lines]
    assert entries[0]["message"] == "visitor [masqué] phone [masqué] and [masqué], ticket R007 at 10:30"
    assert entries[1]["message"] == "corsica [masqué]"
    assert entries[0]["level"] == "warning"
